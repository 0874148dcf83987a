#!/usr/bin/env bash
# Kill -9 `dnstel analyze` repeatedly while it reads a growing event file, then check that no
# event is lost and that alerts.json has no corrupt line.
#
# Usage: crash_analyze.sh DNSTEL_BINARY WORKDIR [KILLS]
# Writes N events (each matching rule 200300 once) in bursts, kills the analyzer at random
# moments, restarts it, and at the end runs it with --once to catch up.
set -euo pipefail
dnstel=$1
work=$2
kills=${3:-20}
rm -rf "$work" && mkdir -p "$work/data"
events="$work/events.json"
: > "$events"
cat > "$work/ossec.conf" <<CONF
<ossec_config>
  <localfile>
    <log_format>json</log_format>
    <location>$events</location>
  </localfile>
</ossec_config>
CONF
written=0
for round in $(seq 1 "$kills"); do
  "$dnstel" analyze -c "$work/ossec.conf" --data-dir "$work/data" 2>>"$work/analyze.log" &
  pid=$!
  # Append 5000 events while the analyzer runs, then kill it at a random moment.
  python3 - "$events" "$written" <<'PY'
import sys
path, start = sys.argv[1], int(sys.argv[2])
with open(path, "a") as handle:
    for index in range(start, start + 5000):
        handle.write('{"method":"QUERY","seq":%d,"dns":{"question":{"name":"n%d.example"}}}\n' % (index, index))
PY
  written=$((written + 5000))
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
done
"$dnstel" analyze -c "$work/ossec.conf" --data-dir "$work/data" --once 2>>"$work/analyze.log"
python3 - "$work/data/alerts.json" "$written" <<'PY'
import json, sys
path, written = sys.argv[1], int(sys.argv[2])
seen, corrupt = set(), 0
with open(path, "rb") as handle:
    lines = handle.read().split(b"\n")
for number, line in enumerate(lines, 1):
    if not line:
        continue
    try:
        alert = json.loads(line)
    except ValueError:
        corrupt += 1
        print("corrupt line %d: %r" % (number, line[:120]))
        continue
    seen.add(int(alert["data"]["seq"]))
missing = sorted(set(range(written)) - seen)
print("events written %d, alerted %d, missing %d, alert lines %d, corrupt lines %d"
      % (written, len(seen), len(missing), len([l for l in lines if l]), corrupt))
sys.exit(1 if missing or corrupt else 0)
PY
