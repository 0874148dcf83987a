#!/usr/bin/env bash
# End-to-end benchmark of the dnstel sensor and analyzer, on loopback only.
#
# What it does, in one run:
#   1. Generates a zone of ZONE_NAMES A records and a dnsperf query file (names inside the zone,
#      plus 10% names outside it that get NXDOMAIN from unbound's static root zone).
#   2. Starts unbound on $SERVER port 53 with that zone as local-data. The root zone is static, so
#      unbound never sends a query beyond loopback.
#   3. Records the traffic with tcpdump on lo while dnsperf sends load for LOAD_SECONDS over UDP
#      and then over TCP (-m tcp). The UDP run's "Queries per second" is taken as unbound's
#      maximum rate here.
#   4. Times, each pinned to core READ_CORE with taskset and writing to the same sink, SINK.
#      The sink is /dev/null when that is the character device. Some containers start with
#      /dev/null as a regular file, and then the sink is a tmpfs file, $WORK/sink, emptied
#      before each run. The timed readers are
#      `dnstel read` (release build, events to standard output), `tcpdump -nn -r` and
#      `tshark -T ek -r`, all on the same whole capture. tshark takes about two CPU minutes on
#      it; TSHARK_PACKETS=N limits it to the first N packets for a quicker run, but those are
#      all UDP, which tshark handles faster than the TCP part, so the ratio is then lower than
#      on the whole capture. Peak RSS comes from /usr/bin/time -v. `dnstel read` runs
#      READ_RUNS times and the best run counts. It also runs with --workers 2, then with its
#      standard output to a tmpfs file, and once writing events to a real file under WORK_DISK
#      (the disk-bound rate).
#   5. Analyzer: `dnstel analyze --stdin --once` (alerts.json and alerts.log in a tmpfs folder,
#      then, when SINK is a device, both linked to it)
#      and `dnstel logtest --json` over the first ANALYZER_EVENTS events of step 4 with the
#      built-in ruleset, and `analyze` once more with Wazuh's default ruleset (WAZUH_RULESET).
#   6. Memory: `dnstel read` of a generated flood (scripts/bench/flood.py) of FLOOD_QUERIES
#      unanswered random-ID queries and FLOOD_STREAMS half-open TCP streams; peak RSS.
#   7. Live capture: `dnstel capture -i lo` while dnsperf sends at fixed rates (dnsperf -Q), at
#      LIVE_FRACTIONS percent of the maximum measured in step 3; reports the kernel drops.
#      This machine may have only 2 cores: dnsperf and unbound share core 0 and dnstel capture
#      gets core 1 (on more cores each gets its own).
#
# Rates are per wall-clock second and per CPU second (user + system time of the process), which
# stays meaningful when other work shares the cores.
# Prints a markdown table to standard output; details go to $WORK/log. Needs: unbound, dnsperf,
# tcpdump, tshark, editcap (wireshark-common), taskset, /usr/bin/time, and root for capture.
#
# Usage: scripts/bench/run.sh            (from the repository root)
# Environment: WORK (default /dev/shm/dnstel-bench, a tmpfs), WORK_DISK (default target/bench),
#   SERVER (127.0.0.53), ZONE_NAMES (20000), LOAD_SECONDS (10), TSHARK_PACKETS (0: all),
#   READ_RUNS (3), LIVE_SECONDS (8), LIVE_FRACTIONS ("20 40 60 80"), DNSTEL (path to a built
#   binary; default builds release/dnstel under CARGO_TARGET_DIR or target), WAZUH_RULESET (../shared/wazuh/ruleset),
#   FLOOD_QUERIES (300000), FLOOD_STREAMS (20000), ANALYZER_EVENTS (200000), SINK (see step 4).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/dev/shm/dnstel-bench}
WORK_DISK=${WORK_DISK:-$ROOT/target/bench}
SERVER=${SERVER:-127.0.0.53}
ZONE_NAMES=${ZONE_NAMES:-20000}
LOAD_SECONDS=${LOAD_SECONDS:-10}
TSHARK_PACKETS=${TSHARK_PACKETS:-0}
READ_RUNS=${READ_RUNS:-3}
LIVE_SECONDS=${LIVE_SECONDS:-8}
LIVE_FRACTIONS=${LIVE_FRACTIONS:-"20 40 60 80"}
FLOOD_QUERIES=${FLOOD_QUERIES:-300000}
FLOOD_STREAMS=${FLOOD_STREAMS:-20000}
ANALYZER_EVENTS=${ANALYZER_EVENTS:-200000}
WAZUH_RULESET=${WAZUH_RULESET:-$ROOT/../shared/wazuh/ruleset}
CORES=$(nproc)
READ_CORE=$((CORES > 1 ? 1 : 0))
LOAD_CORE=0
SERVER_CORE=$((CORES > 2 ? 2 : 0))

mkdir -p "$WORK" "$WORK_DISK"
if [[ -z ${SINK:-} ]]; then
    if [[ -c /dev/null ]]; then
        SINK=/dev/null
    else
        SINK=$WORK/sink
    fi
fi
LOG=$WORK/log
: >"$LOG"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT

note() { echo "# $*" >>"$LOG"; echo "# $*" >&2; }

build() {
    if [[ -z ${DNSTEL:-} ]]; then
        (cd "$ROOT" && cargo build --release -p dnstel >>"$LOG" 2>&1)
        DNSTEL=${CARGO_TARGET_DIR:-$ROOT/target}/release/dnstel
    fi
}

generate_zone() {
    note "generating $ZONE_NAMES names"
    {
        echo "server:"
        echo "  interface: $SERVER"
        echo "  port: 53"
        echo "  do-daemonize: no"
        echo "  username: \"\""
        echo "  chroot: \"\""
        echo "  directory: \"$WORK\""
        echo "  pidfile: \"$WORK/unbound.pid\""
        echo "  use-syslog: no"
        echo "  logfile: \"\""
        echo "  verbosity: 0"
        echo "  num-threads: 1"
        echo "  do-ip6: no"
        echo "  access-control: 127.0.0.0/8 allow"
        echo "  module-config: \"iterator\""
        echo "  incoming-num-tcp: 100"
        echo "  local-zone: \".\" static"
        echo "  local-zone: \"bench.test.\" static"
        awk -v n="$ZONE_NAMES" 'BEGIN {
            for (i = 0; i < n; i++)
                printf "  local-data: \"host%d.bench.test. 300 IN A 192.0.2.%d\"\n", i, i % 250 + 1
        }'
        echo "remote-control:"
        echo "  control-enable: no"
    } >"$WORK/unbound.conf"
    awk -v n="$ZONE_NAMES" 'BEGIN {
        srand(7)
        for (i = 0; i < n; i++) {
            if (i % 10 == 9) printf "missing%d.example.invalid A\n", i
            else if (i % 10 == 8) printf "host%d.bench.test AAAA\n", int(rand() * n)
            else printf "host%d.bench.test A\n", int(rand() * n)
        }
    }' >"$WORK/queries.txt"
}

start_unbound() {
    taskset -c "$SERVER_CORE" unbound -d -c "$WORK/unbound.conf" >>"$LOG" 2>&1 &
    UNBOUND_PID=$!
    PIDS+=("$UNBOUND_PID")
    for _ in $(seq 50); do
        if dig "@$SERVER" host1.bench.test A +tries=1 +time=1 2>/dev/null | grep -q 192.0.2.2; then
            return
        fi
        sleep 0.2
    done
    echo "unbound on $SERVER did not respond within 10 s; see $LOG" >&2
    exit 1
}

# dnsperf QPS from its report on standard input.
qps_of() { awk '/Queries per second/ { print int($4) }'; }

record_capture() {
    note "recording $LOAD_SECONDS s of UDP and $((LOAD_SECONDS / 2)) s of TCP load"
    tcpdump -i lo -s 0 -B 262144 -w "$WORK/load.pcap" "host $SERVER and port 53" 2>>"$LOG" &
    local tcpdump_pid=$!
    sleep 1
    taskset -c "$LOAD_CORE" dnsperf -s "$SERVER" -d "$WORK/queries.txt" -c 20 -q 500 \
        -l "$LOAD_SECONDS" >"$WORK/dnsperf-udp.txt" 2>&1
    taskset -c "$LOAD_CORE" dnsperf -s "$SERVER" -m tcp -d "$WORK/queries.txt" -c 20 -q 200 \
        -l "$((LOAD_SECONDS / 2))" >"$WORK/dnsperf-tcp.txt" 2>&1
    sleep 1
    kill -INT "$tcpdump_pid"
    wait "$tcpdump_pid" || true
    MAX_QPS=$(qps_of <"$WORK/dnsperf-udp.txt")
    TCP_QPS=$(qps_of <"$WORK/dnsperf-tcp.txt")
    PACKETS=$(tcpdump -r "$WORK/load.pcap" 2>/dev/null | wc -l)
    if [[ $TSHARK_PACKETS -gt 0 ]]; then
        editcap -r "$WORK/load.pcap" "$WORK/slice.pcap" "1-$TSHARK_PACKETS" 2>>"$LOG"
        TSHARK_INPUT=$WORK/slice.pcap
        TSHARK_LABEL="tshark -T ek -r (first $TSHARK_PACKETS packets)"
    else
        TSHARK_INPUT=$WORK/load.pcap
        TSHARK_LABEL="tshark -T ek -r"
    fi
    SLICE_PACKETS=$(tcpdump -r "$TSHARK_INPUT" 2>/dev/null | wc -l)
    note "capture: $PACKETS packets, unbound max $MAX_QPS qps (udp), $TCP_QPS qps (tcp)"
}

# Empties the output file of a timed run, unless it is a device.
empty_sink() {
    if [[ ! -c $1 ]]; then
        : >"$1"
    fi
}

# Runs a command pinned to READ_CORE (or the cores in PIN) under /usr/bin/time -v, with
# standard output to TIMED_OUTPUT (default SINK) and standard input from TIMED_INPUT when set.
# Sets SECONDS_TAKEN (wall clock), CPU_SECONDS (user + system) and PEAK_KIB.
timed() {
    local report=$WORK/time.txt
    local output=${TIMED_OUTPUT:-$SINK}
    empty_sink "$output"
    taskset -c "${PIN:-$READ_CORE}" /usr/bin/time -v -o "$report" "$@" \
        <"${TIMED_INPUT:-/dev/stdin}" >"$output" 2>>"$LOG"
    SECONDS_TAKEN=$(awk -F': ' '/Elapsed \(wall clock\)/ {
        n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$report")
    CPU_SECONDS=$(awk -F': ' '/(User|System) time/ { s += $2 } END { print s }' "$report")
    PEAK_KIB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$report")
    empty_sink "$output"
}

# Best of READ_RUNS runs by CPU time; sets BEST_SECONDS, BEST_CPU and BEST_KIB (the largest).
best_of() {
    BEST_SECONDS=""
    BEST_CPU=""
    BEST_KIB=0
    for _ in $(seq "$READ_RUNS"); do
        timed "$@"
        if [[ -z $BEST_CPU ]] || awk "BEGIN { exit !($CPU_SECONDS < $BEST_CPU) }"; then
            BEST_CPU=$CPU_SECONDS
            BEST_SECONDS=$SECONDS_TAKEN
        fi
        if ((PEAK_KIB > BEST_KIB)); then
            BEST_KIB=$PEAK_KIB
        fi
    done
}

rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s <= 0) s = 0.001; printf "%d", n / s }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

ROWS=()
# row NAME INPUT WALL_SECONDS CPU_SECONDS RATE NOTES
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 |"); }

bench_read() {
    note "timing readers on $PACKETS packets (tshark: $SLICE_PACKETS), output to $SINK"
    best_of "$DNSTEL" read "$WORK/load.pcap"
    DNSTEL_RATE=$(rate "$PACKETS" "$BEST_CPU")
    row "dnstel read, 1 worker" "$PACKETS packets" "$BEST_SECONDS" "$BEST_CPU" \
        "$DNSTEL_RATE packets/CPU-s, $(rate "$PACKETS" "$BEST_SECONDS") packets/s" \
        "$(mib "$BEST_KIB") MiB"
    TIMED_OUTPUT=$WORK/sink best_of "$DNSTEL" read "$WORK/load.pcap"
    row "dnstel read, 1 worker, standard output to a tmpfs file" "$PACKETS packets" \
        "$BEST_SECONDS" "$BEST_CPU" \
        "$(rate "$PACKETS" "$BEST_CPU") packets/CPU-s, $(rate "$PACKETS" "$BEST_SECONDS") packets/s" \
        "$(mib "$BEST_KIB") MiB"
    PIN=0-$((CORES - 1)) best_of "$DNSTEL" read --workers 2 "$WORK/load.pcap"
    row "dnstel read --workers 2, all cores" "$PACKETS packets" "$BEST_SECONDS" "$BEST_CPU" \
        "$(rate "$PACKETS" "$BEST_SECONDS") packets/s" "$(mib "$BEST_KIB") MiB"
    rm -f "$WORK_DISK"/events.json*
    timed "$DNSTEL" read "$WORK/load.pcap" -o "$WORK_DISK/events.json"
    row "dnstel read, events to a file on disk" "$PACKETS packets" "$SECONDS_TAKEN" \
        "$CPU_SECONDS" "$(rate "$PACKETS" "$SECONDS_TAKEN") packets/s" "$(mib "$PEAK_KIB") MiB"
    rm -f "$WORK_DISK"/events.json*
    best_of tcpdump -nn -r "$WORK/load.pcap"
    TCPDUMP_RATE=$(rate "$PACKETS" "$BEST_CPU")
    row "tcpdump -nn -r" "$PACKETS packets" "$BEST_SECONDS" "$BEST_CPU" \
        "$TCPDUMP_RATE packets/CPU-s, $(rate "$PACKETS" "$BEST_SECONDS") packets/s" \
        "$(mib "$BEST_KIB") MiB"
    timed tshark -T ek -r "$TSHARK_INPUT"
    TSHARK_RATE=$(rate "$SLICE_PACKETS" "$CPU_SECONDS")
    row "$TSHARK_LABEL" "$SLICE_PACKETS packets" "$SECONDS_TAKEN" "$CPU_SECONDS" \
        "$TSHARK_RATE packets/CPU-s" "$(mib "$PEAK_KIB") MiB"
}

bench_analyzer() {
    "$DNSTEL" read "$WORK/load.pcap" >"$WORK/events-all.json" 2>>"$LOG"
    head -n "$ANALYZER_EVENTS" "$WORK/events-all.json" >"$WORK/events.json"
    rm -f "$WORK/events-all.json"
    EVENTS=$(wc -l <"$WORK/events.json")
    note "analyzer over $EVENTS events"
    TIMED_INPUT=$WORK/events.json best_of "$DNSTEL" analyze --stdin --once \
        --data-dir "$WORK/analyze"
    ANALYZE_RATE=$(rate "$EVENTS" "$BEST_CPU")
    row "dnstel analyze --stdin --once, built-in ruleset, alerts.json + alerts.log on tmpfs" \
        "$EVENTS events" "$BEST_SECONDS" "$BEST_CPU" "$ANALYZE_RATE events/CPU-s" \
        "$(mib "$BEST_KIB") MiB"
    rm -rf "$WORK/analyze"
    if [[ -c $SINK ]]; then
        # Both alert files linked to the sink device: the analyzer's own cost, without the
        # kernel's page-cache writes (dnstel writes devices in place and never rotates them).
        mkdir -p "$WORK/analyze"
        ln -sfn "$SINK" "$WORK/analyze/alerts.json"
        ln -sfn "$SINK" "$WORK/analyze/alerts.log"
        TIMED_INPUT=$WORK/events.json best_of "$DNSTEL" analyze --stdin --once \
            --data-dir "$WORK/analyze"
        row "dnstel analyze --stdin --once, built-in ruleset, alerts.json + alerts.log to $SINK" \
            "$EVENTS events" "$BEST_SECONDS" "$BEST_CPU" "$(rate "$EVENTS" "$BEST_CPU") events/CPU-s" \
            "$(mib "$BEST_KIB") MiB"
        rm -rf "$WORK/analyze"
    fi
    TIMED_INPUT=$WORK/events.json best_of "$DNSTEL" logtest --json
    row "dnstel logtest --json, built-in ruleset" "$EVENTS events" "$BEST_SECONDS" \
        "$BEST_CPU" "$(rate "$EVENTS" "$BEST_CPU") events/CPU-s" "$(mib "$BEST_KIB") MiB"
    if [[ -d $WAZUH_RULESET ]]; then
        TIMED_INPUT=$WORK/events.json timed "$DNSTEL" analyze --stdin --once \
            --data-dir "$WORK/analyze" --ruleset "$WAZUH_RULESET"
        row "dnstel analyze --stdin --once, Wazuh default ruleset" "$EVENTS events" \
            "$SECONDS_TAKEN" "$CPU_SECONDS" "$(rate "$EVENTS" "$CPU_SECONDS") events/CPU-s" \
            "$(mib "$PEAK_KIB") MiB"
        rm -rf "$WORK/analyze"
    fi
}

bench_flood() {
    note "memory under a flood of unanswered queries and half-open TCP streams"
    python3 "$ROOT/scripts/bench/flood.py" "$WORK/flood.pcap" "$FLOOD_QUERIES" "$FLOOD_STREAMS" \
        4000
    timed "$DNSTEL" read "$WORK/flood.pcap"
    row "dnstel read, flood: $FLOOD_QUERIES unanswered queries, $FLOOD_STREAMS half-open TCP" \
        "$((FLOOD_QUERIES + 2 * FLOOD_STREAMS)) packets" "$SECONDS_TAKEN" "$CPU_SECONDS" \
        "default caps: 100000 queries, 10000 connections, 64 MiB TCP" "$(mib "$PEAK_KIB") MiB"
    rm -f "$WORK/flood.pcap"
}

bench_live() {
    local fraction qps log capture_pid drops packets
    for fraction in $LIVE_FRACTIONS; do
        qps=$((MAX_QPS * fraction / 100))
        log=$WORK/capture-$fraction.log
        note "live capture at $qps qps ($fraction% of max)"
        rm -rf "$WORK/live"
        mkdir -p "$WORK/live"
        taskset -c "$READ_CORE" "$DNSTEL" capture -i lo -o "$WORK/live/events.json" >"$log" 2>&1 &
        capture_pid=$!
        sleep 1
        taskset -c "$LOAD_CORE" dnsperf -s "$SERVER" -d "$WORK/queries.txt" -c 20 -q 500 \
            -Q "$qps" -l "$LIVE_SECONDS" >"$WORK/dnsperf-live-$fraction.txt" 2>&1
        sleep 1
        kill -INT "$capture_pid"
        wait "$capture_pid" || true
        drops=$(grep -o 'kernel_drops=[0-9]*' "$log" | tail -1 | cut -d= -f2)
        packets=$(grep 'capture stopped' "$log" | grep -o ' packets=[0-9]*' | cut -d= -f2)
        row "dnstel capture -i lo at $fraction% of max" "${packets:-?} packets" \
            "$LIVE_SECONDS" "-" "$qps qps sent" "kernel drops: ${drops:-?}"
    done
}

print_table() {
    echo "Machine: $(lscpu | awk -F': +' '/Model name/ { print $2 }'), $CORES cores" \
        "($(lscpu | awk -F': +' '/Hypervisor vendor/ { print $2 " guest" }')), kernel $(uname -r)," \
        "$(free -g | awk '/Mem:/ { print $2 }') GiB RAM; disk file on" \
        "$(df --output=source,fstype "$WORK_DISK" | tail -1 | tr -s ' '); load average before" \
        "the run: $LOAD_BEFORE."
    echo "Capture: $PACKETS packets from dnsperf against unbound ($ZONE_NAMES names);"
    echo "unbound maximum: $MAX_QPS qps over UDP, $TCP_QPS qps over TCP (dnsperf, $CORES cores)."
    echo
    echo "Standard output of the timed runs: $SINK, unless the row says otherwise."
    echo
    echo "| run | input | wall s | CPU s | rate | peak RSS / notes |"
    echo "| --- | --- | --- | --- | --- | --- |"
    printf '%s\n' "${ROWS[@]}"
    echo
    awk -v d="$DNSTEL_RATE" -v t="$TCPDUMP_RATE" -v s="$TSHARK_RATE" 'BEGIN {
        printf "Per CPU second, dnstel read vs tcpdump -nn -r: %.2fx; vs tshark -T ek -r: %.0fx\n", d / t, d / s
    }'
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
build
generate_zone
start_unbound
record_capture
bench_read
bench_analyzer
bench_flood
if [[ $(id -u) == 0 ]]; then
    bench_live
else
    note "not root: live capture skipped"
fi
print_table
