#!/usr/bin/env bash
# Makes the lossy captures in captures/ that tests/it/analysis_vs_tshark.rs compares with tshark.
#
# Needs root (network namespaces), iproute2, nftables, ethtool, tcpdump and python3.
# Each capture runs inside a network namespace made here and removed afterwards, on its own
# loopback with MTU 1500 and segmentation offloads off (so the capture shows the segments TCP
# really sent), while nftables drops packets at random:
#   lossy-unseen.pcap   client and server in two namespaces joined through a third that routes
#                       and drops in its forward hook; captured at the server: lost data never
#                       reaches the capture, which shows holes (previous segment not captured),
#                       duplicate ACKs and fast retransmissions. (A drop on the sender's own
#                       output hook would not do: TCP sees the local error and simply resends.)
#   lossy-seen.pcap     drops in the input hook, after tcpdump saw them: the capture shows the
#                       original and its retransmission, and ACKs of data never delivered.
#   lossy-zero-window.pcap   no loss; the receiver stops reading for a while with a small buffer:
#                       zero windows, zero-window probes, window updates, window full.
# Snap length 128 keeps every header (payloads are not needed) and the files small; tcpdump
# runs in immediate mode, else packets still in its ring buffer are lost when it is stopped.
#
# Usage: sudo scripts/make-lossy-captures.sh [OUTDIR]   (default: captures)
set -euo pipefail

out=${1:-captures}
mkdir -p "$out"
for tool in ip nft ethtool tcpdump python3; do
  command -v "$tool" >/dev/null || {
    echo "make-lossy-captures: $tool is missing; install iproute2 nftables ethtool tcpdump python3" >&2
    exit 2
  }
done
[ "$(id -u)" = 0 ] || { echo "make-lossy-captures: needs root for network namespaces" >&2; exit 2; }

ns=sockscope-lossy-$$
cleanup() { for n in "$ns" "$ns-a" "$ns-r" "$ns-b"; do ip netns del "$n" 2>/dev/null || true; done; }
trap cleanup EXIT

# The two ends: a server that reads everything (optionally pausing), a client that sends
# BYTES then closes. Both in Python for a clean FIN-based close.
server_py='
import socket, sys, time
port, pause, rcvbuf = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if rcvbuf: s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
s.bind((sys.argv[4], port)); s.listen(1)
c, _ = s.accept()
if pause: time.sleep(pause)
while c.recv(65536): pass
c.close()
'
client_py='
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = socket.create_connection((sys.argv[3], port))
chunk = bytes(range(256)) * 64
sent = 0
while sent < n:
    sent += c.send(chunk[: min(len(chunk), n - sent)])
c.shutdown(socket.SHUT_WR)
while c.recv(65536): pass
c.close()
'

# run NAME HOOK PERCENT BYTES PAUSE RCVBUF
run() {
  local name=$1 hook=$2 pct=$3 bytes=$4 pause=$5 rcvbuf=$6 port=5001
  cleanup
  ip netns add "$ns"
  ip -n "$ns" link set lo mtu 1500 up
  ip netns exec "$ns" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
  if [ "$pct" != 0 ]; then
    ip netns exec "$ns" nft add table inet lossy
    ip netns exec "$ns" nft add chain inet lossy c "{ type filter hook $hook priority 0; }"
    ip netns exec "$ns" nft add rule inet lossy c tcp flags != syn numgen random mod 100 "<" "$pct" drop
  fi
  ip netns exec "$ns" tcpdump -i lo --immediate-mode -s 128 -U -w "$out/$name" "tcp port $port" 2>/dev/null &
  local dump=$!
  sleep 1
  ip netns exec "$ns" python3 -c "$server_py" "$port" "$pause" "$rcvbuf" 127.0.0.1 &
  local srv=$!
  sleep 0.3
  ip netns exec "$ns" python3 -c "$client_py" "$port" "$bytes" 127.0.0.1
  wait "$srv"
  sleep 1.5
  kill "$dump"
  wait "$dump" 2>/dev/null || true
  echo "make-lossy-captures: $out/$name: $(stat -c %s "$out/$name") bytes"
}

# routed NAME PERCENT BYTES: client in A, server in B, random drop in R's forward hook,
# captured on B's interface.
routed() {
  local name=$1 pct=$2 bytes=$3 port=5001 a=$ns-a r=$ns-r b=$ns-b
  cleanup
  for n in "$a" "$r" "$b"; do ip netns add "$n"; ip -n "$n" link set lo up; done
  ip link add ssa0 netns "$a" type veth peer name ssa1 netns "$r"
  ip link add ssb0 netns "$b" type veth peer name ssb1 netns "$r"
  ip -n "$a" addr add 10.99.1.1/24 dev ssa0
  ip -n "$r" addr add 10.99.1.2/24 dev ssa1
  ip -n "$r" addr add 10.99.2.2/24 dev ssb1
  ip -n "$b" addr add 10.99.2.1/24 dev ssb0
  for x in "$a ssa0" "$r ssa1" "$r ssb1" "$b ssb0"; do
    set -- $x
    ip -n "$1" link set "$2" up
    ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1 || true
  done
  ip -n "$a" route add default via 10.99.1.2
  ip -n "$b" route add default via 10.99.2.2
  ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1
  ip netns exec "$r" nft add table inet lossy
  ip netns exec "$r" nft add chain inet lossy c "{ type filter hook forward priority 0; }"
  ip netns exec "$r" nft add rule inet lossy c tcp flags != syn numgen random mod 100 "<" "$pct" drop
  ip netns exec "$b" tcpdump -i ssb0 --immediate-mode -s 128 -U -w "$out/$name" "tcp port $port" 2>/dev/null &
  local dump=$!
  sleep 1
  ip netns exec "$b" python3 -c "$server_py" "$port" 0 0 10.99.2.1 &
  local srv=$!
  sleep 0.3
  ip netns exec "$a" python3 -c "$client_py" "$port" "$bytes" 10.99.2.1
  wait "$srv"
  sleep 1.5
  kill "$dump"
  wait "$dump" 2>/dev/null || true
  echo "make-lossy-captures: $out/$name: $(stat -c %s "$out/$name") bytes"
}

routed lossy-unseen.pcap 3 1500000
run lossy-seen.pcap input 3 1500000 0 0
run lossy-zero-window.pcap output 0 400000 1.5 4096
