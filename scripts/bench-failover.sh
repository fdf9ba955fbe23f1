#!/usr/bin/env bash
# bench-failover.sh measures how long phones are without a connection when
# one of three instances behind HAProxy dies (kill -9), for each HAProxy
# configuration given: redis-server, three townhall instances sharing it,
# HAProxy with the configuration rendered for this machine (loopback ports
# instead of Docker's names and resolver), and cmd/townhall-load's phones
# through HAProxy. Everything listens on 127.0.0.1 only.
#
#   scripts/bench-failover.sh [CONFIG...]        default: deploy/haproxy.cfg
#   git show 55d9142:deploy/haproxy.cfg >/tmp/haproxy-before.cfg
#   scripts/bench-failover.sh /tmp/haproxy-before.cfg deploy/haproxy.cfg
#
# Each run: the phones connect and vote (RATE votes/s in all), KILL_AFTER
# seconds later the instance holding the most phones (of the second and
# third) is killed with SIGKILL, and the load generator reports, per lost
# connection, the time from the phone seeing it end to its next welcome
# (reconnectGap). A phone waits 20-200 ms before each reconnect attempt,
# so that is in the gap too.
# SIGNAL=TERM sends SIGTERM instead: the instance drains (/readyz 503 for
# --ready-drain, 5 s) and then tells its phones to reconnect, so the gap
# is the one of a rolling restart.
# RUNS runs per configuration (default 3); one JSON line per run goes to
# $OUT/summary.jsonl (default: a new folder under /tmp), with each run's
# configuration, logs and the load generator's report beside it.
set -euo pipefail

cd "$(dirname "$0")/.."
CONFIGS=("$@")
[ ${#CONFIGS[@]} -gt 0 ] || CONFIGS=(deploy/haproxy.cfg)
PHONES=${PHONES:-300}
RUNS=${RUNS:-3}
RATE=${RATE:-100}
KILL_AFTER=${KILL_AFTER:-3}
DURATION=${DURATION:-15s}
SIGNAL=${SIGNAL:-KILL}
OUT=${OUT:-$(mktemp -d /tmp/townhall-failover.XXXXXX)}
mkdir -p "$OUT"

for tool in haproxy redis-server redis-cli curl jq; do
	command -v "$tool" >/dev/null || {
		echo "bench-failover: $tool is not installed" >&2
		exit 1
	}
done
for cfg in "${CONFIGS[@]}"; do
	[ -r "$cfg" ] || {
		echo "bench-failover: cannot read $cfg" >&2
		exit 1
	}
done

BIN=$OUT/bin
mkdir -p "$BIN"
go build -o "$BIN/townhall" ./cmd/townhall
go build -o "$BIN/townhall-load" ./cmd/townhall-load

# Every process this script starts, by pid: the exit trap ends them all.
PIDS=()
cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	PIDS=()
}
trap cleanup EXIT

# free_port VAR: sets VAR to a port in 20000-29999 on which nothing
# answers now, and that this script has not handed out before (none is
# bound until all of a run's are chosen).
CHOSEN=" "
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((20000 + RANDOM % 10000))
		[[ $CHOSEN == *" $p "* ]] && continue
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			CHOSEN+="$p "
			printf -v "$1" %s "$p"
			return 0
		fi
	done
	echo "bench-failover: no free port" >&2
	return 1
}

# render CFG FRONT STATS PORT1 PORT2 PORT3: CFG with its frontend on
# 127.0.0.1:FRONT, the servers townhallN on 127.0.0.1:PORTN, no Docker
# resolver, a global maxconn of 4096, and a stats page (CSV) on
# 127.0.0.1:STATS. It fails unless it
# found one bind line and the three servers, so a changed file shape is
# noticed rather than benchmarked wrongly.
render() {
	awk -v front="$2" -v stats="$3" -v p1="$4" -v p2="$5" -v p3="$6" '
		BEGIN { port["townhall1"] = p1; port["townhall2"] = p2; port["townhall3"] = p3 }
		# A section starts at a line without indentation.
		/^[^ \t#]/ { skip = ($1 == "resolvers"); section = $1 }
		skip { next }
		# The shipped maxconn wants more open files than a shell here may.
		section == "global" && $1 == "maxconn" { sub(/maxconn[ \t]+[0-9]+/, "maxconn 4096") }
		$1 == "bind" { sub(/bind[ \t]+[^ \t]+/, "bind 127.0.0.1:" front); binds++ }
		$1 == "default-server" {
			sub(/[ \t]+resolvers[ \t]+[^ \t]+/, ""); sub(/[ \t]+init-addr[ \t]+[^ \t]+/, "")
		}
		$1 == "server" && ($2 in port) {
			sub(/[ \t]+[^ \t]+:8080/, " 127.0.0.1:" port[$2]); servers++
		}
		{ print }
		END {
			print ""
			print "frontend stats"
			print "    bind 127.0.0.1:" stats
			print "    stats enable"
			print "    stats uri /stats"
			if (binds != 1 || servers != 3) {
				printf "render: %d bind lines and %d of the servers townhall1-3 found\n", binds, servers > "/dev/stderr"
				exit 1
			}
		}' "$1"
}

# server_field STATS NAME FIELD: one column of server NAME in the stats CSV.
server_field() {
	curl -fsS "http://127.0.0.1:$1/stats;csv" 2>/dev/null | awk -F, -v name="$2" -v field="$3" '
		NR == 1 { sub(/^# /, ""); for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == "townhall" && $2 == name { print $col[field] }'
}

attendees() { # attendees PORT: open attendee sockets on the instance
	curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null |
		awk '/^townhall_connections\{role="attendee"\}/ { s += $NF } END { printf "%d\n", s }'
}

wait_until() { # wait_until SECONDS COMMAND...: poll COMMAND until it succeeds
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

ready() { curl -fsS -o /dev/null "http://127.0.0.1:$1/readyz" 2>/dev/null; }
all_up() {
	local n
	for n in townhall1 townhall2 townhall3; do
		[ "$(server_field "$1" "$n" status)" = UP ] || return 1
	done
}
all_connected() {
	local sum=0 p
	for p in "${PORTS[@]}"; do
		sum=$((sum + $(attendees "$p")))
	done
	[ "$sum" -ge "$PHONES" ]
}

# run_one CFG LABEL N: one run; appends its JSON line to summary.jsonl.
run_one() {
	local cfg=$1 label=$2 n=$3 dir
	dir=$OUT/$label-$n
	mkdir -p "$dir"
	local rport front stats secret
	free_port rport
	free_port front
	free_port stats
	secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	PORTS=()
	local port
	for _ in 1 2 3; do
		free_port port
		PORTS+=("$port")
	done
	render "$cfg" "$front" "$stats" "${PORTS[@]}" >"$dir/haproxy.cfg"
	haproxy -c -q -f "$dir/haproxy.cfg"

	redis-server --bind 127.0.0.1 --port "$rport" --save "" --appendonly no \
		--dir "$dir" >"$dir/redis.log" 2>&1 &
	PIDS+=($!)
	wait_until 10 redis_ping "$rport" || { echo "redis did not start" >&2; exit 1; }
	local i inst=()
	for i in 0 1 2; do
		mkdir -p "$dir/data$i"
		"$BIN/townhall" --addr "127.0.0.1:${PORTS[$i]}" --data "$dir/data$i" --log-level warn \
			--redis "redis://127.0.0.1:$rport/0" --secret "$secret" >"$dir/townhall$((i + 1)).log" 2>&1 &
		inst+=($!)
		PIDS+=($!)
	done
	for i in 0 1 2; do
		wait_until 20 ready "${PORTS[$i]}" || { echo "instance $((i + 1)) not ready" >&2; exit 1; }
	done
	haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 &
	PIDS+=($!)
	wait_until 20 all_up "$stats" || {
		echo "HAProxy does not see the three instances up; $dir/haproxy.log:" >&2
		cat "$dir/haproxy.log" >&2
		exit 1
	}

	# The display watches an instance directly (the first, never the one
	# killed), so that its socket does not count in the gaps.
	"$BIN/townhall-load" --url "http://127.0.0.1:$front" --display-url "http://127.0.0.1:${PORTS[0]}" \
		--phones "$PHONES" --join-rate 500 --rate "$RATE" --duration "$DURATION" \
		--connect-retries 10 --json --quiet --timeout 3m >"$dir/load.json" 2>"$dir/load.err" &
	local load=$!
	PIDS+=($load)
	wait_until 60 all_connected || { echo "the phones did not all connect" >&2; exit 1; }
	sleep "$KILL_AFTER"
	# The victim: the instance with the most phones, apart from the first.
	local victim=1 most=-1 c
	for i in 1 2; do
		c=$(attendees "${PORTS[$i]}")
		if [ "$c" -gt "$most" ]; then most=$c victim=$i; fi
	done
	kill -"$SIGNAL" "${inst[$victim]}"
	wait "${inst[$victim]}" 2>/dev/null || true
	local rc=0
	wait "$load" || rc=$?
	jq -c --arg cfg "$cfg" --arg signal "$SIGNAL" --argjson run "$n" --argjson killed "$most" --argjson rc "$rc" \
		'{config: $cfg, signal: $signal, run: $run, phonesOnKilled: $killed, exit: $rc, connected,
		  gap: .reconnectGap, unended: .reconnectGapUnended, reconnectFailures,
		  unacked, lost: .export.lost, doubled: .export.doubled, errors}' \
		"$dir/load.json" | tee -a "$OUT/summary.jsonl"
	cleanup
}

redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]; }

idx=0
for cfg in "${CONFIGS[@]}"; do
	idx=$((idx + 1))
	label=$idx-$(basename "$cfg" .cfg)
	for n in $(seq "$RUNS"); do
		run_one "$cfg" "$label" "$n"
	done
done

# The gaps of every run of each configuration: p50, p95 and max of the
# runs' own figures, in milliseconds.
echo "reconnect gap after SIG$SIGNAL of one of three instances, $PHONES phones (ms):"
jq -rs 'group_by(.config)[] |
	"\(.[0].config): " + (map("p50 \(.gap.p50Ms|round) p95 \(.gap.p95Ms|round) max \(.gap.maxMs|round) (n=\(.gap.count), unended \(.unended))") | join("; "))' \
	"$OUT/summary.jsonl"
echo "results in $OUT" >&2
