#!/usr/bin/env bash
# Start unbound in the foreground on ADDRESS port 53 (loopback only), serving a static zone and
# NXDOMAIN for everything else, so it never queries beyond loopback. Prints its pid file path.
#
# Usage: unbound_lo.sh ADDRESS WORKDIR   (for example 127.0.0.113 /tmp/ub)
set -euo pipefail
address=$1
work=$2
mkdir -p "$work"
cat > "$work/unbound.conf" <<CONF
server:
  interface: $address
  port: 53
  do-daemonize: no
  username: ""
  chroot: ""
  directory: "$work"
  pidfile: "$work/unbound.pid"
  use-syslog: no
  logfile: ""
  verbosity: 0
  num-threads: 1
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  module-config: "iterator"
  local-zone: "." static
  local-data: "www.example.test. 300 IN A 192.0.2.10"
  local-data: "example.test. 300 IN TXT \"v=spf1 -all\""
  ratelimit: 0
  ip-ratelimit: 0
remote-control:
  control-enable: no
CONF
exec unbound -d -c "$work/unbound.conf"
