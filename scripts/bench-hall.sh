#!/usr/bin/env bash
# bench-hall.sh puts the phones in a hall: the load generator in a network
# namespace of its own, behind one shaped link to the server's namespace,
# both made and removed by this script (root, ip and tc needed; no traffic
# leaves the two namespaces). The phones share one address, as a hall
# behind one NAT address does.
#
#   sudo scripts/bench-hall.sh [PHONES...]            default: 1000
#   CASES="qa500 words" MODES="whole patches" RATE=50mbit DELAY=40ms LOSS=0.5% sudo scripts/bench-hall.sh 1000
#
# The link: $RATE shared, $DELAY each way (80 ms round trip by default),
# $LOSS each way: netem, or internal/tools/hallink on a kernel without it.
# The cases are those
# of scripts/bench-board.sh, and so are SERVER_ARGS and LOAD_ARGS; each
# prints one JSON line like it.
set -euo pipefail

cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench-hall.sh makes network namespaces: run it as root" >&2; exit 2; }
PHONES=("$@")
[ ${#PHONES[@]} -gt 0 ] || PHONES=(1000)
CASES=${CASES:-"qa500"}
MODES=${MODES:-"whole patches"}
DURATION=${DURATION:-25s}
RATE=${RATE:-50mbit}
DELAY=${DELAY:-40ms}
LOSS=${LOSS:-0.5%}
OUT=${OUT:-$(mktemp -d /tmp/townhall-hall.XXXXXX)}
mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

BIN=$OUT/bin
mkdir -p "$BIN"
go build -o "$BIN/townhall" ./cmd/townhall
go build -o "$BIN/townhall-load" ./cmd/townhall-load

ID=$$
NS_S=thsrv$ID
NS_H=thhall$ID
VS=ths$ID
VH=thh$ID
SRV_IP=10.213.$((ID % 250)).1
HALL_IP=10.213.$((ID % 250)).2
PORT=8080
BASE=http://$SRV_IP:$PORT
TCK=$(getconf CLK_TCK)
SERVER_PID=
LINK_PID=

cleanup() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [ -n "$LINK_PID" ]; then
		kill "$LINK_PID" 2>/dev/null || true
		wait "$LINK_PID" 2>/dev/null || true
	fi
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_H" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$NS_S"
ip netns add "$NS_H"
for ns in "$NS_S" "$NS_H"; do ip -n "$ns" link set lo up; done
# The link: netem on both ends of a veth pair where the kernel has it;
# where it has not (this machine's), a TUN device in each namespace and
# internal/tools/hallink between them, which does what netem would: the
# rate, the delay and the loss, each way. Its counts are in $OUT/link.json.
# netem's own queue holds what the rate cannot send yet: a second of it.
LIMIT=${LIMIT:-5000}
if ip link add "$VS" type veth peer name "$VH" &&
	ip link set "$VS" netns "$NS_S" && ip link set "$VH" netns "$NS_H" &&
	tc -n "$NS_S" qdisc add dev "$VS" root netem rate "$RATE" delay "$DELAY" loss "$LOSS" limit "$LIMIT" 2>/dev/null; then
	tc -n "$NS_H" qdisc add dev "$VH" root netem rate "$RATE" delay "$DELAY" loss "$LOSS" limit "$LIMIT"
	ip -n "$NS_S" addr add "$SRV_IP/30" dev "$VS"
	ip -n "$NS_H" addr add "$HALL_IP/30" dev "$VH"
	LINK="$RATE, $DELAY each way, $LOSS loss each way (netem)"
else
	ip -n "$NS_S" link del "$VS" 2>/dev/null || true
	go build -o "$BIN/hallink" ./internal/tools/hallink
	ip -n "$NS_S" tuntap add dev "$VS" mode tun
	ip -n "$NS_H" tuntap add dev "$VH" mode tun
	ip -n "$NS_S" addr add "$SRV_IP" peer "$HALL_IP" dev "$VS"
	ip -n "$NS_H" addr add "$HALL_IP" peer "$SRV_IP" dev "$VH"
	"$BIN/hallink" --a "$NS_S:$VS" --b "$NS_H:$VH" --rate "$RATE" --delay "$DELAY" --loss "$LOSS" >"$OUT/link.json" &
	LINK_PID=$!
	LINK="$RATE, $DELAY each way, $LOSS loss each way (hallink: this kernel has no netem)"
fi
ip -n "$NS_S" link set "$VS" up
ip -n "$NS_H" link set "$VH" up

in_srv() { ip netns exec "$NS_S" "$@"; }

start_server() {
	local data
	data=$(mktemp -d "$OUT/data.XXXXXX")
	# shellcheck disable=SC2086 # SERVER_ARGS are words on purpose
	ip netns exec "$NS_S" "$BIN/townhall" --addr "$SRV_IP:$PORT" --data "$data" --log-level warn ${SERVER_ARGS:-} 2>>"$OUT/server.log" &
	SERVER_PID=$!
	for _ in $(seq 100); do
		in_srv curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "the server did not start" >&2
	exit 1
}
stop_server() {
	kill "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=
}
# "ip netns exec" execs the server: $! is the server's own process.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
attendees() {
	in_srv curl -fsS "$BASE/metrics" | awk '/^townhall_connections\{role="attendee"\}/ {s += $NF} END {printf "%d\n", s}'
}
wait_for_attendees() {
	local deadline=$((SECONDS + 240))
	while [ "$SECONDS" -lt "$deadline" ]; do
		[ "$(attendees)" -ge "$1" ] && return 0
		sleep 0.5
	done
	echo "timed out waiting for $1 attendees" >&2
	return 1
}

run_case() { # run_case CASE PHONES MODE
	local c=$1 n=$2 mode=$3 name=$1-$2-$3 args=()
	case $c in
	qa*) args=(--scenario qa --questions "${c#qa}" --rate 50) ;;
	words) args=(--scenario words --vocabulary 100 --max-entries 20 --reveal-attendees --rate 20) ;;
	vote) args=(--scenario vote --rate 40 --reveal-attendees) ;;
	esac
	[ "$mode" = patches ] && args+=(--patches)
	# shellcheck disable=SC2206 # LOAD_ARGS are words on purpose
	args+=(${LOAD_ARGS:-})
	start_server
	ip netns exec "$NS_H" "$BIN/townhall-load" --allow-remote --url "$BASE" --phones "$n" --join-rate 500 --duration "$DURATION" \
		--connect-timeout 60s --json --quiet --timeout 8m "${args[@]}" >"$OUT/$name.json" 2>"$OUT/$name.err" &
	local load=$!
	wait_for_attendees "$n" || true
	sleep 3
	local c0 c1
	c0=$(cpu_ticks)
	sleep 10
	c1=$(cpu_ticks)
	wait "$load" || true
	stop_server
	jq -c --arg case "$c" --arg mode "$mode" --argjson n "$n" --arg link "$LINK" \
		--argjson cores "$(echo "($c1 - $c0) / $TCK / 10" | bc -l)" \
		'{case: $case, mode: $mode, phones: $n, link: $link, ok, connected, connectionFailures, acked, unacked,
		  bytesPerPhone: .bytesPerPhonePerSecond, steady: .bytesPerPhonePerSecondSteady,
		  ack: .ackLatency, display: .displayLatency, displayMissing,
		  serverCores: $cores, patches, slow: .slowPhones, lost: .export.lost, doubled: .export.doubled, errors}' \
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
