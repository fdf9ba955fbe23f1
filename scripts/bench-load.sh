#!/usr/bin/env bash
# bench-load.sh reproduces the load figures of docs/benchmarks.md: the real
# townhall binary (embedded store) and cmd/townhall-load on this machine,
# 127.0.0.1 only.
#
#   scripts/bench-load.sh [PHONES...]          default: 1000 10000
#   RUNS="votes idle frames" scripts/bench-load.sh 10000
#
# For each audience size it runs, each against a fresh server and store:
#   votes   10,000 votes at 1,000/s: ack and vote-to-display latency, lost and
#           doubled, the server's own command time (the buckets of
#           townhall_command_seconds holding its p50, p95 and p99), and server
#           CPU per vote (utime+stime from /proc/<pid>/stat between the end of
#           the ramp and the last vote counted on /metrics);
#   idle    the phones join and stay idle (one vote every 10 s): server VmRSS
#           before the first phone and once all are connected and settled;
#   frames  results revealed to attendees and 40 votes/s, so that every
#           attendee tick (250 ms) pushes the poll to every phone: server CPU
#           (user and system apart too) over 10 s divided by
#           townhall_frames_written_total over the same 10 s.
# Results go to $OUT (default: a new folder under /tmp), one JSON line per
# run in summary.jsonl, with the load generator's own --json report beside.
set -euo pipefail

cd "$(dirname "$0")/.."
PHONES=("$@")
[ ${#PHONES[@]} -gt 0 ] || PHONES=(1000 10000)
RUNS=${RUNS:-"votes idle frames"}
JOIN_RATE=${JOIN_RATE:-1000}
# SERVER_ENV: extra environment for the server only, e.g. GODEBUG=gctrace=1
# (its stderr goes to $OUT/server.log).
SERVER_ENV=${SERVER_ENV:-}
OUT=${OUT:-$(mktemp -d /tmp/townhall-bench.XXXXXX)}
mkdir -p "$OUT"

# Each phone is a socket in the load generator and one in the server.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

BIN=$OUT/bin
mkdir -p "$BIN"
go build -o "$BIN/townhall" ./cmd/townhall
go build -o "$BIN/townhall-load" ./cmd/townhall-load

TCK=$(getconf CLK_TCK)
PORT=${PORT:-$((18000 + RANDOM % 1000))}
BASE=http://127.0.0.1:$PORT
SERVER_PID=

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}
trap stop_server EXIT

start_server() {
	local data
	data=$(mktemp -d "$OUT/data.XXXXXX")
	env $SERVER_ENV "$BIN/townhall" --addr "127.0.0.1:$PORT" --data "$data" --log-level warn 2>>"$OUT/server.log" &
	SERVER_PID=$!
	for _ in $(seq 100); do
		curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "the server did not start" >&2
	exit 1
}

# cpu_ticks: the server's utime+stime in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
sys_ticks() { awk '{print $15}' "/proc/$SERVER_PID/stat"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }
metric() { # metric NAME-REGEX: the sum of matching samples
	curl -fsS "$BASE/metrics" | awk -v re="^$1" '$0 ~ re {s += $NF} END {printf "%d\n", s}'
}
attendees() { metric 'townhall_connections\{role="attendee"\}'; }
frames() { metric 'townhall_frames_written_total'; }
votes_counted() { metric 'townhall_commands_total\{op="vote"'; }
# command_buckets: the server's command-time histogram, "le count" per line.
command_buckets() {
	curl -fsS "$BASE/metrics" | sed -n 's/^townhall_command_seconds_bucket{le="\([^"]*\)"} \(.*\)$/\1 \2/p'
}
# server_quantiles BEFORE AFTER: the upper bound (ms) of the buckets holding
# p50, p95 and p99 of the commands answered between two command_buckets.
server_quantiles() {
	paste -d' ' <(echo "$1") <(echo "$2") | awk '
		{ le[NR] = $1; n[NR] = $4 - $2 }
		END {
			total = n[NR]; split("0.5 0.95 0.99", q, " ")
			printf "{"
			for (i = 1; i <= 3; i++) {
				for (j = 1; j <= NR && n[j] < q[i] * total; j++) {}
				printf "%s\"p%sLeMs\": %s", (i > 1 ? ", " : ""), q[i] * 100, (le[j] == "+Inf" ? "null" : le[j] * 1000)
			}
			printf "}\n"
		}'
}

# wait_for FUNC TARGET SECONDS: poll until FUNC prints at least TARGET.
wait_for() {
	local deadline=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$($1)" -ge "$2" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1 >= $2" >&2
	return 1
}

load() { # load NAME ARGS...: the load generator in the background
	local name=$1
	shift
	"$BIN/townhall-load" --url "$BASE" --join-rate "$JOIN_RATE" --json --quiet --timeout 4m "$@" \
		>"$OUT/$name.json" 2>"$OUT/$name.err" &
	LOAD_PID=$!
}

run_votes() {
	local n=$1 name=votes-$1
	start_server
	load "$name" --phones "$n" --votes 10000 --rate 1000
	wait_for attendees "$n" 120 || true
	local c0 v0 c1 v1 h0 h1
	c0=$(cpu_ticks) v0=$(votes_counted) h0=$(command_buckets)
	# A fresh server: the counter reaches 10,000 with the last vote.
	wait_for votes_counted 10000 60 || true
	c1=$(cpu_ticks) v1=$(votes_counted) h1=$(command_buckets)
	wait "$LOAD_PID" || true
	stop_server
	jq -c --argjson n "$n" --argjson cpu $(((c1 - c0) * 1000000 / TCK)) --argjson votes $((v1 - v0)) \
		--argjson server "$(server_quantiles "$h0" "$h1")" \
		'{run: "votes", phones: $n, connected, connectionFailures, ok,
		  ack: .ackLatency, serverCommand: $server, display: .displayLatency, displayMissing,
		  lost: .export.lost, doubled: .export.doubled, unacked, refused,
		  cpuMicros: $cpu, votesCounted: $votes, cpuPerVoteMicros: ($cpu / $votes)}' \
		"$OUT/$name.json" | tee -a "$OUT/summary.jsonl"
}

run_idle() {
	local n=$1 name=idle-$1
	start_server
	sleep 1
	local r0 r1
	r0=$(rss_kib)
	load "$name" --phones "$n" --duration 20s --rate 0.1
	wait_for attendees "$n" 120 || true
	sleep 8 # the ramp's garbage collected, the hub settled
	r1=$(rss_kib)
	local held
	held=$(attendees)
	wait "$LOAD_PID" || true
	stop_server
	jq -nc --argjson n "$n" --argjson held "$held" --argjson r0 "$r0" --argjson r1 "$r1" \
		'{run: "idle", phones: $n, held: $held, rssBeforeKiB: $r0, rssAfterKiB: $r1,
		  rssPerConnKiB: (($r1 - $r0) / $held)}' | tee -a "$OUT/summary.jsonl"
}

run_frames() {
	local n=$1 name=frames-$1
	start_server
	load "$name" --phones "$n" --duration 25s --rate 40 --reveal-attendees
	wait_for attendees "$n" 120 || true
	sleep 3
	local c0 s0 f0 c1 s1 f1
	c0=$(cpu_ticks) s0=$(sys_ticks) f0=$(frames)
	sleep 10
	c1=$(cpu_ticks) s1=$(sys_ticks) f1=$(frames)
	wait "$LOAD_PID" || true
	stop_server
	jq -nc --argjson n "$n" --argjson cpu $(((c1 - c0) * 1000000 / TCK)) --argjson sys $(((s1 - s0) * 1000000 / TCK)) \
		--argjson fr $((f1 - f0)) \
		'{run: "frames", phones: $n, cpuMicros: $cpu, frames: $fr, cpuPerFrameMicros: ($cpu / $fr),
		  systemPerFrameMicros: ($sys / $fr), userPerFrameMicros: (($cpu - $sys) / $fr)}' |
		tee -a "$OUT/summary.jsonl"
}

for n in "${PHONES[@]}"; do
	for r in $RUNS; do
		"run_$r" "$n"
	done
done
echo "results in $OUT" >&2
