#!/usr/bin/env bash
# bench-peer.sh measures Townhall against a peer, Centrifugo v6.9.1, in
# the same run on this machine (docs/benchmarks.md, "Against a peer"),
# 127.0.0.1 only, every run bounded in time:
#
#   scripts/bench-peer.sh [PHONES]            default: 10000
#   RUNS=frames ROUNDS=2 scripts/bench-peer.sh 10000
#   RUNS=board BOARD_PHONES=200 scripts/bench-peer.sh
#   BASELINE=/path/to/townhall RUNS=frames ROUNDS=2 scripts/bench-peer.sh 10000
#
# frames  the same fan-out shape on both: PHONES listeners and a state of
#         about 300 bytes pushed 4 times a second. Townhall: a poll whose
#         results attendees see, 40 votes/s (every attendee tick pushes).
#         Centrifugo: its memory engine, anonymous connect and subscribe
#         to one channel, publications through its HTTP API at 4/s
#         (townhall-load peer). Server CPU (utime+stime) over 10 s divided
#         by the frames written in them (townhall_frames_written_total;
#         centrifugo_transport_messages_sent{frame_type="push_publication"}),
#         and server RSS growth per connection, read at the end of those
#         10 s (so under the fan-out, for both alike). ROUNDS rounds, the
#         order of the two swapped every round (A/B, B/A). BASELINE names
#         another Townhall binary (say, main's) run in the same rounds as
#         "baseline": before and after, against the same peer.
# board   what a phone receives on a 500-question board with 50 upvotes/s
#         (bench-board's qa500 case) with BOARD_PHONES phones: Townhall
#         with whole views (its first phone records every view it gets),
#         Townhall with patches, then those recorded views published to
#         Centrifugo at 4/s, whole and with fossil deltas (a channel with
#         history and recovery, as Centrifugo's delta compression needs).
#
# Centrifugo is built with `go install` from the Go module proxy into
# $OUT/bin unless CENTRIFUGO names a binary. Results: one JSON line per
# run in $OUT/summary.jsonl, and the ratios at the end.
set -euo pipefail

cd "$(dirname "$0")/.."
PHONES=${1:-10000}
RUNS=${RUNS:-"frames board"}
ROUNDS=${ROUNDS:-1}
BOARD_PHONES=${BOARD_PHONES:-200}
OUT=${OUT:-$(mktemp -d /tmp/townhall-peer.XXXXXX)}
mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

BIN=$OUT/bin
mkdir -p "$BIN"
go build -o "$BIN/townhall" ./cmd/townhall
go build -o "$BIN/townhall-load" ./cmd/townhall-load
CENTRIFUGO=${CENTRIFUGO:-}
if [ -z "$CENTRIFUGO" ]; then
	if ! GOBIN=$BIN go install github.com/centrifugal/centrifugo/v6@v6.9.1 >"$OUT/centrifugo-install.log" 2>&1; then
		echo "Centrifugo v6.9.1 could not be installed here (go install from the module proxy):" >&2
		tail -5 "$OUT/centrifugo-install.log" >&2
		exit 3
	fi
	CENTRIFUGO=$BIN/centrifugo
fi

TCK=$(getconf CLK_TCK)
PORT=${PORT:-$((21000 + RANDOM % 1000))}
BASE=http://127.0.0.1:$PORT
KEY=bench-peer-key
SERVER_PID=

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}
trap stop_server EXIT

wait_healthy() { # wait_healthy PATH
	for _ in $(seq 100); do
		curl -fsS "$BASE$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "the server did not start" >&2
	exit 1
}

start_townhall() { # start_townhall [BINARY]
	local data
	data=$(mktemp -d "$OUT/data.XXXXXX")
	"${1:-$BIN/townhall}" --addr "127.0.0.1:$PORT" --data "$data" --log-level warn 2>>"$OUT/townhall.log" &
	SERVER_PID=$!
	wait_healthy /healthz
}

# Centrifugo's memory engine, anonymous clients, one channel without a
# namespace; history and recovery only where deltas need them; usage
# statistics off (nothing leaves the machine).
start_centrifugo() { # start_centrifugo delta|plain
	local extra=""
	[ "$1" = delta ] && extra='"history_size": 16, "history_ttl": "300s", "force_positioning": true, "force_recovery": true, "allowed_delta_types": ["fossil"],'
	cat >"$OUT/centrifugo.json" <<JSON
{
  "http_server": {"address": "127.0.0.1", "port": $PORT},
  "log": {"level": "error"},
  "usage_stats": {"disabled": true},
  "prometheus": {"enabled": true},
  "health": {"enabled": true},
  "http_api": {"key": "$KEY"},
  "client": {"allow_anonymous_connect_without_token": true, "allowed_origins": ["*"]},
  "channel": {"without_namespace": {$extra "allow_subscribe_for_anonymous": true, "allow_subscribe_for_client": true}}
}
JSON
	"$CENTRIFUGO" -c "$OUT/centrifugo.json" >>"$OUT/centrifugo.log" 2>&1 &
	SERVER_PID=$!
	wait_healthy /health
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
sys_ticks() { awk '{print $15}' "/proc/$SERVER_PID/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
metric() { # metric REGEX: the sum of matching samples
	curl -fsS "$BASE/metrics" | awk -v re="^$1" '$0 ~ re {s += $NF} END {printf "%d\n", s}'
}
wait_for() { # wait_for REGEX TARGET SECONDS
	local deadline=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(metric "$1")" -ge "$2" ] && return 0
		sleep 0.2
	done
	echo "timed out waiting for $1 >= $2" >&2
	return 1
}

frames_run() { # frames_run townhall|centrifugo ROUND
	local who=$1 name=frames-$1-$2 conns frames r0
	if [ "$who" = townhall ] || [ "$who" = baseline ]; then
		if [ "$who" = baseline ]; then start_townhall "$BASELINE"; else start_townhall; fi
		conns='townhall_connections\{role="attendee"\}'
		frames='townhall_frames_written_total'
		sleep 1
		r0=$(rss_kib)
		"$BIN/townhall-load" --url "$BASE" --phones "$PHONES" --join-rate 1000 --duration 25s --rate 8 \
			--reveal-attendees --json --quiet --timeout 3m >"$OUT/$name.json" 2>"$OUT/$name.err" &
	else
		start_centrifugo plain
		conns='centrifugo_node_num_clients'
		frames='centrifugo_transport_messages_sent\{.*frame_type="push_publication"'
		sleep 1
		r0=$(rss_kib)
		"$BIN/townhall-load" peer --url "$BASE" --key "$KEY" --phones "$PHONES" --join-rate 1000 --duration 25s \
			--rate 4 --payload 300 --json --timeout 3m >"$OUT/$name.json" 2>"$OUT/$name.err" &
	fi
	local load=$!
	wait_for "$conns" "$PHONES" 180 || true
	sleep 3
	local c0 s0 f0 c1 s1 f1 r1 held
	c0=$(cpu_ticks) s0=$(sys_ticks) f0=$(metric "$frames")
	sleep 10
	c1=$(cpu_ticks) s1=$(sys_ticks) f1=$(metric "$frames") r1=$(rss_kib) held=$(metric "$conns")
	wait "$load" || true
	stop_server
	jq -nc --arg who "$who" --argjson round "$2" --argjson n "$PHONES" --argjson held "$held" \
		--argjson cpu $(((c1 - c0) * 1000000 / TCK)) --argjson sys $(((s1 - s0) * 1000000 / TCK)) \
		--argjson fr $((f1 - f0)) --argjson r0 "$r0" --argjson r1 "$r1" \
		'{run: "frames", server: $who, round: $round, phones: $n, held: $held, cpuMicros: $cpu, frames: $fr,
		  cpuPerFrameMicros: (if $fr > 0 then $cpu / $fr else null end),
		  systemPerFrameMicros: (if $fr > 0 then $sys / $fr else null end),
		  userPerFrameMicros: (if $fr > 0 then ($cpu - $sys) / $fr else null end),
		  rssPerConnKiB: (if $held > 0 then ($r1 - $r0) / $held else null end)}' | tee -a "$OUT/summary.jsonl"
}

board_runs() {
	local n=$BOARD_PHONES qa=(--scenario qa --questions 500 --rate 50 --duration 25s --join-rate 1000 --json --quiet --timeout 3m)
	start_townhall
	"$BIN/townhall-load" --url "$BASE" --phones "$n" "${qa[@]}" --record-views "$OUT/board-views.jsonl" \
		>"$OUT/board-townhall-whole.json" 2>"$OUT/board-townhall-whole.err" || true
	stop_server
	start_townhall
	"$BIN/townhall-load" --url "$BASE" --phones "$n" "${qa[@]}" --patches \
		>"$OUT/board-townhall-patches.json" 2>"$OUT/board-townhall-patches.err" || true
	stop_server
	for mode in plain delta; do
		start_centrifugo "$mode"
		local args=()
		[ "$mode" = delta ] && args=(--delta)
		"$BIN/townhall-load" peer --url "$BASE" --key "$KEY" --phones "$n" --rate 4 --duration 25s \
			--views "$OUT/board-views.jsonl" --json "${args[@]}" >"$OUT/board-centrifugo-$mode.json" 2>"$OUT/board-centrifugo-$mode.err" || true
		stop_server
	done
	for f in townhall-whole townhall-patches; do
		jq -c --arg f "$f" '{run: "board", server: $f, phones, bytesPerPhone: .bytesPerPhonePerSecond, steady: .bytesPerPhonePerSecondSteady, patches}' "$OUT/board-$f.json"
	done | tee -a "$OUT/summary.jsonl"
	for f in centrifugo-plain centrifugo-delta; do
		jq -c --arg f "$f" '{run: "board", server: $f, phones, published, bytesPerFrame, bytesPerPhone: .bytesPerPhonePerSecond, steady: .bytesPerPhonePerSecondSteady, ok}' "$OUT/board-$f.json"
	done | tee -a "$OUT/summary.jsonl"
	echo "views recorded: $(wc -l <"$OUT/board-views.jsonl")" >&2
}

for r in $RUNS; do
	case $r in
	frames)
		for i in $(seq "$ROUNDS"); do
			order="townhall centrifugo"
			[ -n "${BASELINE:-}" ] && order="baseline townhall centrifugo"
			[ $((i % 2)) = 0 ] && order=$(echo "$order" | tr ' ' '\n' | tac | tr '\n' ' ')
			for who in $order; do frames_run "$who" "$i"; done
		done
		;;
	board) board_runs ;;
	esac
done

echo "ratios (Townhall / Centrifugo):" >&2
jq -s -r '
	def mean(f): (map(f) | map(select(. != null)) | if length > 0 then add / length else null end);
	(map(select(.run == "frames")) | group_by(.server) | map({key: .[0].server, value: {cpu: mean(.cpuPerFrameMicros), rss: mean(.rssPerConnKiB)}}) | from_entries) as $f
	| (map(select(.run == "board")) | map({key: .server, value: .steady.mean}) | from_entries) as $b
	| [ (if $f.baseline and $f.centrifugo then
	      "frames, baseline: CPU per frame \($f.baseline.cpu | . * 10 | round / 10) µs / \($f.centrifugo.cpu | . * 10 | round / 10) µs = \($f.baseline.cpu / $f.centrifugo.cpu | . * 100 | round / 100)x; RSS per connection \($f.baseline.rss | round) KiB"
	    else empty end),
	    (if $f.townhall and $f.centrifugo then
	      "frames: CPU per frame \($f.townhall.cpu | . * 10 | round / 10) µs / \($f.centrifugo.cpu | . * 10 | round / 10) µs = \($f.townhall.cpu / $f.centrifugo.cpu | . * 100 | round / 100)x; RSS per connection \($f.townhall.rss | round) / \($f.centrifugo.rss | round) KiB = \($f.townhall.rss / $f.centrifugo.rss | . * 100 | round / 100)x"
	    else empty end),
	    (if $b["townhall-patches"] and $b["centrifugo-delta"] then
	      "board: steady bytes per phone per second, patches \($b["townhall-patches"] | round) / fossil deltas \($b["centrifugo-delta"] | round) = \($b["townhall-patches"] / $b["centrifugo-delta"] | . * 100 | round / 100)x (whole views: Townhall \($b["townhall-whole"] | round), Centrifugo \($b["centrifugo-plain"] | round))"
	    else empty end) ] | .[]' "$OUT/summary.jsonl"
echo "results in $OUT" >&2
