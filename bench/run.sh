#!/usr/bin/env bash
# bench/run.sh: the same DogStatsD loads, in one run, against the floor receiver (bench/floor)
# and tally; prints per load and receiver the max rate with < 0.1% loss, CPU-seconds per
# million metrics and peak RSS. See bench/README.md. Only ever sends to 127.0.0.1.
#
# usage: bench/run.sh [--quick]
# env:   TALLY_BIN (./tally)  FLOOR_ONLY=1  TALLY_ONLY=1  LOADS ("single packed memory")
#        SINGLE_RATES  PACKED_RATES  MEM_GAUGES (1000000)  MEM_RATE (250000)
#        TRIAL_SECONDS (2)  REPEAT (1)  RCVBUF (8388608)  FLUSH_INTERVAL (10)
#        FLOOR_PORT (18125)  TALLY_PORT (18126)  TALLY_STATUS_LISTEN (127.0.0.1:18127)
#        OUT_DIR (bench/results/DATE)  RECEIVED_CMD  TALLY_EXTRA_YAML
set -uo pipefail

readonly HOST=127.0.0.1 # never anything else
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
LOADGEN=${LOADGEN:-$BENCH_DIR/loadgen}
FLOOR=${FLOOR:-$BENCH_DIR/floor}
TALLY_BIN=${TALLY_BIN:-./tally}
FLOOR_PORT=${FLOOR_PORT:-18125}
TALLY_PORT=${TALLY_PORT:-18126}
TALLY_STATUS_LISTEN=${TALLY_STATUS_LISTEN:-127.0.0.1:18127}
RCVBUF=${RCVBUF:-8388608}
FLUSH_INTERVAL=${FLUSH_INTERVAL:-10}
TRIAL_SECONDS=${TRIAL_SECONDS:-2}
REPEAT=${REPEAT:-1}
LOSS_MAX=0.001
LOADS=${LOADS:-single packed memory}
MEM_GAUGES=${MEM_GAUGES:-1000000}
MEM_RATE=${MEM_RATE:-250000}
QUICK=0

for arg in "$@"; do
	case $arg in
	--quick) QUICK=1 ;;
	-h | --help)
		sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "run.sh: unknown argument $arg (try --help)" >&2
		exit 2
		;;
	esac
done
if [ "$QUICK" = 1 ]; then
	SINGLE_RATES=${SINGLE_RATES:-100000}
	PACKED_RATES=${PACKED_RATES:-1000000}
else
	SINGLE_RATES=${SINGLE_RATES:-100000 150000 200000 250000 300000}
	PACKED_RATES=${PACKED_RATES:-1000000 2000000 4000000 8000000 16000000}
fi
OUT_DIR=${OUT_DIR:-$BENCH_DIR/results/$(date +%Y%m%d-%H%M%S)}
CLK_TCK=$(getconf CLK_TCK)

TAGS=env:bench,svc:blast

# load_args LOAD: sets LG_ARGS to the loadgen options of LOAD (rate and total come later).
load_args() {
	case $1 in
	single) LG_ARGS=(--per-datagram 1 --cardinality 1000 --type c) ;;
	packed)
		LG_ARGS=(--datagram-bytes 8000 --cardinality 1000 --tag-cardinality 10 --type c
			--tags "$TAGS")
		;;
	memory) LG_ARGS=(--datagram-bytes 8000 --cardinality "$MEM_GAUGES" --type g --tags "$TAGS") ;;
	*) return 1 ;;
	esac
}

describe() {
	case $1 in
	single) echo "single: 1 counter per datagram, 1,000 names" ;;
	packed) echo "packed: 8,000-byte datagrams of counters |#$TAGS,k:0..9, 10,000 contexts" ;;
	memory) echo "memory: $MEM_GAUGES distinct gauges |#$TAGS, each sent once" ;;
	esac
}

log() { echo "[$(date +%T)] $*" >&2; }

# ---- process handling -------------------------------------------------------------------

PIDS=()

forget_pid() {
	local keep=() p
	for p in "${PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (5); reaps it.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < ${2:-5} * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
}

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		stop_pid "$p" 2
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS CMD...: runs CMD every 50 ms until it succeeds; fails after SECONDS.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

alive() { kill -0 "$RX_PID" 2>/dev/null; }

# port_bound PORT: some socket is bound to UDP PORT (IPv4 or IPv6).
port_bound() {
	awk -v p="$(printf ':%04X' "$1")" \
		'FNR > 1 && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' \
		/proc/net/udp /proc/net/udp6 2>/dev/null
}

# utime + stime of PID, in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() {
	local s f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	read -r -a f <<<"${s##*) }"
	echo $((f[11] + f[12]))
}

peak_rss_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

json_get() { sed -n "s/.*\"$1\":\([-0-9.eE+]*\).*/\1/p"; }

line_count() { wc -l <"$1"; }

# ---- floor receiver ---------------------------------------------------------------------
# Started once per load; SIGUSR1 prints the counters since the previous SIGUSR1 and resets.

floor_port() { echo "$FLOOR_PORT"; }

floor_start() {
	local ready=$OUT_DIR/$1.floor.ready
	rm -f "$ready"
	"$FLOOR" --host "$HOST" --port "$FLOOR_PORT" --rcvbuf "$RCVBUF" --ready-file "$ready" \
		>"$RX_OUT" 2>"$RX_ERR" &
	RX_PID=$!
	PIDS+=("$RX_PID")
	if ! wait_for 5 test -s "$ready"; then
		log "floor did not start (see $RX_ERR)"
		return 1
	fi
}

floor_report() {
	local n
	n=$(line_count "$RX_OUT")
	kill -USR1 "$RX_PID" 2>/dev/null || return 1
	wait_for 5 floor_has_line "$n" || return 1
	sed -n "$((n + 1))p" "$RX_OUT"
}

floor_has_line() { [ "$(line_count "$RX_OUT")" -gt "$1" ]; }

floor_begin() { floor_report >/dev/null; }

# Reads counters until a report shows nothing more arrived (the socket buffer is drained).
floor_end() {
	local line m i
	RX_RECEIVED=0
	RX_DROPS=0
	sleep 0.3
	for ((i = 0; i < 20; i++)); do
		line=$(floor_report) || break
		m=$(json_get metrics <<<"$line")
		RX_RECEIVED=$((RX_RECEIVED + m))
		RX_DROPS=$((RX_DROPS + $(json_get kernel_drops <<<"$line")))
		[ "$m" = 0 ] && break
		sleep 0.2
	done
}

floor_stop() { stop_pid "$RX_PID"; }

# ---- tally -----------------------------------------------------------------------------
# Started once per load with a generated config; what it received is read from its console
# output (one table per flush on stdout), or from RECEIVED_CMD when set.

tally_port() { echo "$TALLY_PORT"; }

# tally_console_values FILE NAME [TAG]: for each console line of metric NAME (carrying TAG),
# the number it stands for. Lines look like
#   tally.metrics.received    count    12345  host:bench
# The first numeric field after the name is taken; a "rate" (per second) is multiplied by
# the flush interval. Adapt here if the console format changes.
tally_console_values() {
	awk -v name="$2" -v tag="${3:-}" -v iv="$FLUSH_INTERVAL" '
	$1 == name && (tag == "" || index($0, tag)) {
		mult = ($2 == "rate") ? iv : 1
		for (i = 2; i <= NF; i++) {
			if ($i ~ /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) {
				printf "%.0f\n", $i * mult
				break
			}
		}
	}' "$1"
}

tally_received_lines() { tally_console_values "$RX_OUT" tally.metrics.received | wc -l; }

sum_from_line() { tail -n "+$1" | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# RECEIVED_CMD prints the cumulative number of metrics tally received so far.
received_cmd() {
	TALLY_BIN=$TALLY_BIN TALLY_CONFIG=$TALLY_CFG TALLY_PID=$RX_PID bash -c "$RECEIVED_CMD"
}

tally_write_config() {
	mkdir -p "$OUT_DIR/empty.d"
	cat >"$TALLY_CFG" <<EOF
# generated by bench/run.sh
hostname: bench
bind_host: $HOST
dogstatsd_port: $TALLY_PORT
dogstatsd_so_rcvbuf: $RCVBUF
dogstatsd_context_limit: $((MEM_GAUGES + 100000))
flush_interval: $FLUSH_INTERVAL
log_level: info
log_file: $OUT_DIR/$1.tally.log
status_listen: $TALLY_STATUS_LISTEN
confd_path: $OUT_DIR/empty.d
checksd_path: $OUT_DIR/empty.d
${TALLY_EXTRA_YAML:-}
EOF
}

tally_ready() { alive && port_bound "$TALLY_PORT"; }

tally_ready_or_dead() { ! alive || port_bound "$TALLY_PORT"; }

tally_start() {
	local why
	TALLY_CFG=$OUT_DIR/$1.tally.yaml
	tally_write_config "$1"
	# No stdbuf -oL: tally flushes stdout after each flush table, and line buffering turned a
	# 10k-series table into 10k write calls on the main thread, right as the next trial began.
	(
		for v in $(compgen -e); do
			case $v in DD_*) unset "$v" ;; esac # no DD_API_KEY: never send anywhere
		done
		exec "$TALLY_BIN" run -c "$TALLY_CFG"
	) >"$RX_OUT" 2>"$RX_ERR" &
	RX_PID=$!
	PIDS+=("$RX_PID")
	wait_for 5 tally_ready_or_dead
	tally_ready && return 0
	if alive; then
		why="did not bind UDP $HOST:$TALLY_PORT within 5 s"
	else
		wait "$RX_PID"
		why="exited with status $? before binding UDP $HOST:$TALLY_PORT"
	fi
	log "tally: '$TALLY_BIN run' $why (see $RX_ERR and $OUT_DIR/$1.tally.log)"
	stop_pid "$RX_PID"
	return 1
}

tally_begin() {
	if [ -n "${RECEIVED_CMD:-}" ]; then
		RX_BASE=$(received_cmd)
	else
		RX_BASE=$(tally_received_lines)
	fi
}

# With RECEIVED_CMD: polls until the count is stable. Otherwise waits for the first flush
# after the trial and sums tally.metrics.received over the flushes since tally_begin.
tally_end() {
	local n1 prev now
	RX_DROPS=-
	sleep 0.5
	if [ -n "${RECEIVED_CMD:-}" ]; then
		prev=-1
		now=$(received_cmd)
		while [ "$now" != "$prev" ]; do
			sleep 0.3
			prev=$now
			now=$(received_cmd)
		done
		RX_RECEIVED=$((now - RX_BASE))
		return
	fi
	n1=$(tally_received_lines)
	wait_for $((FLUSH_INTERVAL + 5)) test_gt tally_received_lines "$n1" ||
		log "tally: no flush within $((FLUSH_INTERVAL + 5)) s after the trial"
	sleep 0.2
	RX_RECEIVED=$(tally_console_values "$RX_OUT" tally.metrics.received |
		sum_from_line $((RX_BASE + 1)))
	RX_DROPS=$(tally_console_values "$RX_OUT" tally.packets.dropped reason:kernel |
		sum_from_line $((RX_BASE + 1)))
}

test_gt() { [ "$($1)" -gt "$2" ]; }

tally_stop() { stop_pid "$RX_PID" 15; }

# ---- trials and the search --------------------------------------------------------------

# loss_and_cpu SENT RECEIVED CPU_TICKS: prints the loss (fraction) and CPU-s per 1M received.
loss_and_cpu() {
	awk -v s="$1" -v r="$2" -v c="$3" -v hz="$CLK_TCK" 'BEGIN {
		loss = 1
		cpu = "-"
		if (s > 0)
			loss = 1 - r / s
		if (r > 0)
			cpu = sprintf("%.3f", c / hz / (r / 1e6))
		printf "%.6f %s\n", loss, cpu
	}'
}

# run_trial RX LOAD RATE TOTAL: one loadgen run; sets T_LOSS, T_CPU, T_ACHIEVED and appends
# a row to trials.tsv.
run_trial() {
	local rx=$1 load=$2 rate=$3 total=$4 c0 c1 out sent
	load_args "$load"
	"${rx}_begin"
	c0=$(cpu_ticks "$RX_PID")
	out=$("$LOADGEN" --host "$HOST" --port "$("${rx}_port")" --rate "$rate" --total "$total" \
		"${LG_ARGS[@]}")
	"${rx}_end"
	c1=$(cpu_ticks "$RX_PID")
	sent=$(json_get sent_metrics <<<"$out")
	T_ACHIEVED=$(json_get rate <<<"$out")
	read -r T_LOSS T_CPU < <(loss_and_cpu "${sent:-0}" "$RX_RECEIVED" $((c1 - c0)))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$load" "$rx" "$rate" "$T_ACHIEVED" \
		"${sent:-0}" "$RX_RECEIVED" "$T_LOSS" "$RX_DROPS" "$T_CPU" >>"$OUT_DIR/trials.tsv"
	log "$rx $load rate=$rate achieved=$T_ACHIEVED sent=$sent received=$RX_RECEIVED" \
		"loss=$T_LOSS kernel_drops=$RX_DROPS cpu_s_per_1M=$T_CPU"
}

lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

median() { printf '%s\n' "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }

# rate_loss RX LOAD RATE: sets R_LOSS, R_ACHIEVED and R_TRIAL_CPU to the medians of REPEAT
# trials at RATE (loss, the rate loadgen reached, CPU-s per 1M).
rate_loss() {
	local losses=() achieved=() cpu=() i
	for ((i = 0; i < REPEAT; i++)); do
		run_trial "$1" "$2" "$3" "$(($3 * TRIAL_SECONDS))"
		losses+=("$T_LOSS")
		achieved+=("$T_ACHIEVED")
		cpu+=("$T_CPU")
		alive || break
	done
	R_LOSS=$(median "${losses[@]}")
	R_ACHIEVED=$(median "${achieved[@]}")
	R_TRIAL_CPU=$(median "${cpu[@]}")
}

# search RX LOAD RATES...: tries the rates in ascending order and stops at the first one with
# too much loss; sets R_MAX (text), R_NOTE and R_CPU (CPU-s per 1M at the first, reference,
# rate, and at the last rate tried). A rate loadgen could not reach (sender-bound) counts as the rate it reached.
search() {
	local rx=$1 load=$2 rate best='' bound=0
	shift 2
	R_CPU=-
	R_NOTE="top of the list"
	for rate; do
		rate_loss "$rx" "$load" "$rate"
		[ "$R_CPU" = - ] && R_CPU="$R_TRIAL_CPU @$(fmt_rate "$rate")" && R_CPU_FIRST=$R_CPU
		# Also the last rate tried: the cost of the work itself, once wake-ups are amortized.
		[ "$rate" != "$1" ] && R_CPU="$R_CPU_FIRST, $R_TRIAL_CPU @$(fmt_rate "$rate")"
		if ! alive; then
			R_NOTE="receiver died at $(fmt_rate "$rate")"
			break
		fi
		if ! lt "$R_LOSS" "$LOSS_MAX"; then
			R_NOTE="loss $(pct "$R_LOSS") at $(fmt_rate "$rate")"
			break
		fi
		bound=0
		lt "$R_ACHIEVED" "$(awk -v r="$rate" 'BEGIN { print r * 0.97 }')" && bound=1
		[ "$bound" = 1 ] && rate=$R_ACHIEVED
		if [ -z "$best" ] || lt "$best" "$rate"; then
			best=$rate
		fi
	done
	if [ -z "$best" ]; then
		R_MAX="< $(fmt_rate "$1")"
		return
	fi
	R_MAX=$(fmt_rate "$best")
	[ "$R_NOTE" = "top of the list" ] && R_MAX=">= $R_MAX"
	if [ "$bound" = 1 ]; then
		R_MAX=">= $(fmt_rate "$best")"
		R_NOTE="$R_NOTE; sender-bound (loadgen reached $(fmt_rate "$R_ACHIEVED"))"
	fi
}

fmt_rate() {
	awk -v r="$1" 'BEGIN {
		if (r >= 1e6)
			printf "%.3gM/s", r / 1e6
		else
			printf "%.0fk/s", r / 1e3
	}'
}

fmt_kb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

pct() { awk -v l="$1" 'BEGIN { printf "%.2f%%", l * 100 }'; }

# ---- loads ------------------------------------------------------------------------------

ROWS=()

add_row() { ROWS+=("$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$@")"); }

run_load() {
	local rx=$1 load=$2 rss
	RX_OUT=$OUT_DIR/$load.$rx.out
	RX_ERR=$OUT_DIR/$load.$rx.err
	"${rx}_start" "$load" || return 1
	# shellcheck disable=SC2086 # the rate lists are meant to split
	case $load in
	single) search "$rx" "$load" $SINGLE_RATES ;;
	packed) search "$rx" "$load" $PACKED_RATES ;;
	memory)
		run_trial "$rx" memory "$MEM_RATE" "$MEM_GAUGES"
		R_MAX="n/a"
		R_CPU="$T_CPU @$(fmt_rate "$MEM_RATE")"
		R_NOTE="loss $(pct "$T_LOSS") at $(fmt_rate "$MEM_RATE")"
		;;
	esac
	rss=$(peak_rss_kb "$RX_PID")
	add_row "$load" "$rx" "$R_MAX" "$R_CPU" "$(fmt_kb "${rss:-0}")" "$R_NOTE"
	"${rx}_stop"
}

table_row() { printf '%-7s %-8s %-22s %-30s %-9s %s\n' "$@"; }

print_table() {
	local row f
	table_row load receiver "max rate (<0.1% loss)" "CPU-s per 1M" "peak RSS" notes
	for row in "${ROWS[@]}"; do
		IFS=$'\t' read -r -a f <<<"$row"
		table_row "${f[@]}"
	done
}

check_tools() {
	local b
	for b in "$LOADGEN" "$FLOOR"; do
		[ -x "$b" ] || { echo "run.sh: $b not built; run: make bench/loadgen bench/floor" >&2; exit 1; }
	done
	for b in $LOADS; do
		load_args "$b" || { echo "run.sh: unknown load '$b' in LOADS" >&2; exit 2; }
	done
	for b in "$FLOOR_PORT" "$TALLY_PORT"; do
		if port_bound "$b"; then
			echo "run.sh: UDP port $b is already in use (set FLOOR_PORT/TALLY_PORT)" >&2
			exit 1
		fi
	done
}

# cpu_idle_total: idle and total jiffies of all CPUs (first line of /proc/stat).
cpu_idle_total() {
	awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat
}

# Other work on the machine takes cores from the sender and the receiver: measure 1 s of
# CPU use before starting and say so if it is not idle.
check_idle() {
	local i0 t0 i1 t1 busy
	read -r i0 t0 < <(cpu_idle_total)
	sleep 1
	read -r i1 t1 < <(cpu_idle_total)
	busy=$(awk -v i=$((i1 - i0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.0f", t ? 100 * (1 - i / t) : 0 }')
	if [ "$busy" -gt 10 ]; then
		log "warning: the CPUs were ${busy}% busy before the run: other processes compete" \
			"with the sender and the receiver; numbers will be low and noisy"
		IDLE_NOTE="CPUs ${busy}% busy before the run: the machine was not idle"
	fi
}

main() {
	local receivers=() load rx tally_ok=1
	[ "${TALLY_ONLY:-0}" = 1 ] || receivers+=(floor)
	[ "${FLOOR_ONLY:-0}" = 1 ] || receivers+=(tally)
	check_tools
	check_idle
	mkdir -p "$OUT_DIR"
	printf 'load\treceiver\trate\tachieved\tsent\treceived\tloss\tkernel_drops\tcpu_s_per_1M\n' \
		>"$OUT_DIR/trials.tsv"
	log "results in $OUT_DIR; receivers: ${receivers[*]}; loads: $LOADS"
	for load in $LOADS; do
		log "load $load: $(describe "$load")"
		for rx in "${receivers[@]}"; do
			[ "$rx" = tally ] && [ "$tally_ok" = 0 ] && continue
			run_load "$rx" "$load" && continue
			if [ "$rx" = tally ] && [ "${TALLY_ONLY:-0}" != 1 ]; then
				log "tally: skipped for the rest of the run (FLOOR_ONLY=1 to skip it quietly)"
				add_row "$load" tally - - - "did not start: skipped"
				tally_ok=0
				continue
			fi
			echo "run.sh: $rx failed to start" >&2
			exit 1
		done
	done
	print_table | tee "$OUT_DIR/summary.txt"
	{
		echo
		echo "loads:"
		for load in $LOADS; do echo "  $(describe "$load")"; done
		echo "receive buffer $RCVBUF bytes requested; trials of $TRIAL_SECONDS s; REPEAT=$REPEAT"
		[ -z "${IDLE_NOTE:-}" ] || echo "warning: $IDLE_NOTE"
		if [ "$tally_ok" = 0 ]; then
			echo "tally: did not start, not measured"
		fi
	} | tee -a "$OUT_DIR/summary.txt"
}

main
