#!/usr/bin/env bash
# Kill -9 `dnstel capture` (or `run`) repeatedly while a UDP flood to a loopback unbound makes
# it write and rotate event files every few kilobytes, then check every event file: each line
# must be valid JSON except at most one partial last line per kill.
#
# Usage: crash_capture.sh DNSTEL_BINARY WORKDIR SERVER [KILLS] [capture|run]
# SERVER is a loopback resolver address (see unbound_lo.sh). Needs root for the live capture.
set -euo pipefail
dnstel=$1
work=$2
server=$3
kills=${4:-10}
mode=${5:-capture}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work" && mkdir -p "$work/out" "$work/data"
cat > "$work/packetbeat.yml" <<CONF
packetbeat.interfaces.device: lo
packetbeat.protocols:
- type: dns
  ports: [53]
output.file:
  path: "$work/out"
  filename: packetbeat
  rotate_every_kb: 20
  number_of_files: 1024
path.data: "$work/data"
CONF
for round in $(seq 1 "$kills"); do
  if [ "$mode" = run ]; then
    "$dnstel" run -i lo -c "$work/packetbeat.yml" --data-dir "$work/data" 2>>"$work/dnstel.log" &
  else
    "$dnstel" capture -i lo -c "$work/packetbeat.yml" 2>>"$work/dnstel.log" &
  fi
  pid=$!
  sleep 1
  python3 "$here/flood_udp.py" "$server" 20000 --seconds 3 >>"$work/flood.log" &
  flood=$!
  sleep "1.$((RANDOM % 9))"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  wait "$flood" || true
done
python3 - "$work" "$kills" <<'PY'
import glob, json, os, sys
work, kills = sys.argv[1], int(sys.argv[2])
files = sorted(glob.glob(os.path.join(work, "out", "*")) + glob.glob(os.path.join(work, "data", "packetbeat*"))
               + glob.glob(os.path.join(work, "data", "alerts.json*")))
bad = partial_tails = events = 0
for path in files:
    with open(path, "rb") as handle:
        data = handle.read()
    lines = data.split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line:
            continue
        try:
            json.loads(line)
            events += 1
        except ValueError:
            last = number == len(lines)
            if last:
                partial_tails += 1
            else:
                bad += 1
                print("%s:%d: corrupt line inside the file: %r" % (path, number, line[:100]))
print("files %d, events %d, partial last lines %d, corrupt inner lines %d"
      % (len(files), events, partial_tails, bad))
sys.exit(1 if bad or partial_tails > kills else 0)
PY
