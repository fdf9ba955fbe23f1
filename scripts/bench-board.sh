#!/usr/bin/env bash
# bench-board.sh measures what patches save (docs/benchmarks.md, "Patches"):
# the real townhall binary (embedded store) and cmd/townhall-load on this
# machine, 127.0.0.1 only, each case against a fresh server, whole views
# ("before") and patches ("after") interleaved.
#
#   scripts/bench-board.sh [PHONES...]               default: 1000
#   CASES="qa500 words" scripts/bench-board.sh 1000 5000
#
# Cases: qaN (N questions asked before the phones join, then 50 upvotes/s
# spread evenly over them; qaNz: the same with upvotes gathered on the
# first questions asked, a Zipf law of exponent $SKEW, default 1.1), words (100 different words, revealed to
# attendees, 20 submissions/s), queue (hands raised and lowered, 20/s).
# Each prints one JSON line: bytes per phone per second (mean, p95), ack
# latency, and the server's CPU (utime+stime from /proc over 10 s of the
# send phase, in cores).
#
# SERVER_ARGS go to the server (e.g. "--attendee-interval 500ms"),
# LOAD_ARGS to every load run (e.g. "--slow-phones 5": five phones on an
# emulated 1 Mbit/s link, 40 ms each way, whose upvote-to-view latency is
# then in the line as "slow"). PROFILE=1 also takes the server's CPU
# profile over the same 10 s, in $OUT/<case>-<phones>-<mode>.pprof
# (go tool pprof -top bin/townhall FILE).
set -euo pipefail

cd "$(dirname "$0")/.."
PHONES=("$@")
[ ${#PHONES[@]} -gt 0 ] || PHONES=(1000)
CASES=${CASES:-"qa200 qa500 words"}
MODES=${MODES:-"whole patches"}
DURATION=${DURATION:-25s}
OUT=${OUT:-$(mktemp -d /tmp/townhall-board.XXXXXX)}
mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

BIN=$OUT/bin
mkdir -p "$BIN"
go build -o "$BIN/townhall" ./cmd/townhall
go build -o "$BIN/townhall-load" ./cmd/townhall-load

TCK=$(getconf CLK_TCK)
PORT=${PORT:-$((19000 + RANDOM % 1000))}
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
	# shellcheck disable=SC2086 # SERVER_ARGS are words on purpose
	local debug=()
	[ -n "${PROFILE:-}" ] && debug=(--debug-addr "127.0.0.1:$((PORT + 1))")
	"$BIN/townhall" --addr "127.0.0.1:$PORT" --data "$data" --log-level warn "${debug[@]}" ${SERVER_ARGS:-} 2>>"$OUT/server.log" &
	SERVER_PID=$!
	for _ in $(seq 100); do
		curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "the server did not start" >&2
	exit 1
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
attendees() {
	curl -fsS "$BASE/metrics" | awk '/^townhall_connections\{role="attendee"\}/ {s += $NF} END {printf "%d\n", s}'
}
wait_for_attendees() {
	local deadline=$((SECONDS + 180))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(attendees)" -ge "$1" ] && return 0
		sleep 0.2
	done
	echo "timed out waiting for $1 attendees" >&2
	return 1
}

run_case() { # run_case CASE PHONES MODE
	local c=$1 n=$2 mode=$3 name=$1-$2-$3 args=()
	case $c in
	qa*z) args=(--scenario qa --questions "$(echo "$c" | tr -dc 0-9)" --rate 50 --upvote-skew "${SKEW:-1.1}") ;;
	qa*) args=(--scenario qa --questions "${c#qa}" --rate 50) ;;
	words) args=(--scenario words --vocabulary 100 --max-entries 20 --reveal-attendees --rate 20) ;;
	queue) args=(--scenario queue --rate 20) ;;
	esac
	[ "$mode" = patches ] && args+=(--patches)
	# shellcheck disable=SC2206 # LOAD_ARGS are words on purpose
	args+=(${LOAD_ARGS:-})
	start_server
	"$BIN/townhall-load" --url "$BASE" --phones "$n" --join-rate 1000 --duration "$DURATION" \
		--json --quiet --timeout 5m "${args[@]}" >"$OUT/$name.json" 2>"$OUT/$name.err" &
	local load=$!
	wait_for_attendees "$n" || true
	sleep 3
	local c0 c1
	c0=$(cpu_ticks)
	if [ -n "${PROFILE:-}" ]; then
		curl -fsS -o "$OUT/$name.pprof" "http://127.0.0.1:$((PORT + 1))/debug/pprof/profile?seconds=10"
	else
		sleep 10
	fi
	c1=$(cpu_ticks)
	wait "$load" || true
	stop_server
	jq -c --arg case "$c" --arg mode "$mode" --argjson n "$n" \
		--argjson cores "$(echo "($c1 - $c0) / $TCK / 10" | bc -l)" \
		'{case: $case, mode: $mode, phones: $n, ok, connected, acked,
		  bytesPerPhone: .bytesPerPhonePerSecond, steady: .bytesPerPhonePerSecondSteady, ack: .ackLatency, display: .displayLatency,
		  serverCores: $cores, patches, slow: .slowPhones, lost: .export.lost, doubled: .export.doubled}' \
		"$OUT/$name.json" | tee -a "$OUT/summary.jsonl"
}

for n in "${PHONES[@]}"; do
	for c in $CASES; do
		for m in $MODES; do
			run_case "$c" "$n" "$m"
		done
	done
done
echo "results in $OUT" >&2
