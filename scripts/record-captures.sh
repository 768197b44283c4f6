#!/usr/bin/env bash
# Regenerates every lesson recording (captures/lesson-<name>.pcapng, with the demo's socket calls) from real loopback traffic.
#
# Needs root (to create a network namespace and capture in it). Each lesson runs live with
# `sockscope lesson <name> --record captures/lesson-<name>.pcapng` inside a fresh namespace of its
# own, whose only interface is its own lo, so nothing else on the machine can leak into the
# recordings. The lesson picks its demo's usual port (7007, 7008, ...) there, as a learner would.
#
# It also records the "case" captures (captures/case-<name>.pcap): each runs one small
# deterministic Python program from scripts/cases/ (server and client in one process) in a fresh
# namespace of its own while tcpdump captures lo there (-U, immediate mode). Where a case needs
# loss, an nftables rule in that namespace's input hook drops chosen packets after tcpdump has
# seen them (the kernel here has no netem; a fixed pattern is deterministic anyway).
#
# Usage: sudo scripts/record-captures.sh [LESSON...]     (default: every lesson, then every case)
#        sudo scripts/record-captures.sh --cases [CASE...]   (only cases; default: every case)
#        SOCKSCOPE=path/to/sockscope to use a binary already built.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "record-captures: needs root (network namespaces and live capture): sudo $0" >&2
  exit 2
fi
for tool in ip tcpdump; do
  command -v "$tool" >/dev/null || { echo "record-captures: $tool is not installed" >&2; exit 2; }
done

# case NAME SNAPLEN MTU NFT_RULE PROGRAM [ARG...]: records captures/case-NAME.pcap. MTU "-"
# keeps lo's 65536; any other value also turns segmentation offloads off, so that the capture
# shows the segments TCP really sent. NFT_RULE "-" drops nothing; else it is one rule for a
# chain on the input hook (run before the packet is delivered, after tcpdump saw it on lo).
record_case() {
  local name=$1 snap=$2 mtu=$3 rule=$4 prog=$5
  shift 5
  ns="sockscope-case-$$-$name"
  ip netns add "$ns"
  if [ "$mtu" = - ]; then
    ip -n "$ns" link set lo up
  else
    ip -n "$ns" link set lo mtu "$mtu" up
    ip netns exec "$ns" ethtool -K lo tso off gso off gro off >/dev/null 2>&1 || true
  fi
  if [ "$rule" != - ]; then
    ip netns exec "$ns" nft add table inet cases
    ip netns exec "$ns" nft add chain inet cases in "{ type filter hook input priority 0; }"
    ip netns exec "$ns" nft add rule inet cases in "$rule"
  fi
  local out="captures/case-$name.pcap"
  ip netns exec "$ns" tcpdump -i lo -p -U --immediate-mode -s "$snap" -w "$out.tmp" \
    'tcp or udp or icmp or icmp6' 2>/dev/null &
  local dump=$!
  sleep 1 # tcpdump is listening
  if ! ip netns exec "$ns" python3 "scripts/cases/$prog" "$@" >"/tmp/record-captures-case-$name.log" 2>&1; then
    echo "record-captures: case $name failed; see /tmp/record-captures-case-$name.log" >&2
    kill "$dump"
    rm -f "$out.tmp"
    exit 1
  fi
  sleep 0.5 # the last packets reach tcpdump
  kill "$dump"
  wait "$dump" 2>/dev/null || true
  mv "$out.tmp" "$out"
  ip netns delete "$ns"
  ns=""
  echo "record-captures: $out ($(tcpdump -r "$out" 2>/dev/null | wc -l) packets, $(stat -c %s "$out") bytes)"
}

# Each case: name, snap length, MTU, drop rule, program and its arguments. IPv6 neighbour
# discovery and the like stay out: the filter keeps TCP, UDP and ICMP only.
record_cases() {
  local want=("$@") c
  selected() { [ ${#want[@]} -eq 0 ] && return 0; for c in "${want[@]}"; do [ "$c" = "$1" ] && return 0; done; return 1; }
  # The first SYN (numgen inc counts from 0 the packets the rule sees).
  selected syn-loss && record_case syn-loss 0 - \
    'tcp dport 7201 tcp flags & (syn | ack) == syn numgen inc mod 1000 == 0 drop' handshake_loss.py
  # The first SYN-ACK: the server's kernel answers the retransmitted SYN with a second SYN-ACK.
  selected synack-loss && record_case synack-loss 0 - \
    'tcp sport 7201 tcp flags & (syn | ack) == syn | ack numgen inc mod 1000 == 0 drop' handshake_loss.py
  selected zero-window && record_case zero-window 128 1500 - zero_window.py
  selected unread-close && record_case unread-close 0 - - unread_close.py
  selected keepalive && record_case keepalive 0 - - keepalive.py
  selected nagle && record_case nagle 0 - - nagle.py
  selected udp-closed && record_case udp-closed 0 - - udp_closed.py
  selected http11-keepalive && record_case http11-keepalive 0 - - http_persistence.py 1.1
  selected http10-close && record_case http10-close 0 - - http_persistence.py 1.0
  # Every 12th data segment from the client (numgen counts the data segments the rule sees).
  selected ipv6-loss && record_case ipv6-loss 128 1500 \
    'ip6 daddr ::1 tcp dport 7209 meta length > 100 numgen inc mod 12 == 5 drop' ipv6_loss.py
  return 0
}

ns=""
cleanup() {
  if [ -n "$ns" ]; then ip netns delete "$ns" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM
echo "record-captures: kernel $(uname -r), $(tcpdump --version 2>&1 | head -1)"

cases_only=false
if [ "${1:-}" = --cases ]; then
  cases_only=true
  shift
fi
if [ $# -eq 0 ] || $cases_only; then
  for tool in nft python3; do
    command -v "$tool" >/dev/null || { echo "record-captures: $tool is not installed" >&2; exit 2; }
  done
fi

lessons=()
if ! $cases_only; then
  if [ -z "${SOCKSCOPE:-}" ]; then
    cargo build --quiet --bin sockscope
    SOCKSCOPE="$PWD/target/debug/sockscope"
  fi
  if [ $# -gt 0 ]; then
    lessons=("$@")
  else
    # `sockscope lesson` lists the lessons: a heading, then one line each, the name first.
    mapfile -t lessons < <("$SOCKSCOPE" lesson | tail -n +2 | awk '{print $1}')
  fi
fi

for name in "${lessons[@]}"; do
  ns="sockscope-rec-$$-$name"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  out="captures/lesson-$name.pcapng"
  # TZ=UTC: the threaded server's replies carry a ctime() timestamp.
  if ! TZ=UTC ip netns exec "$ns" "$SOCKSCOPE" lesson "$name" --record "$out.tmp" --color never \
      >"/tmp/record-captures-$name.log" 2>&1; then
    echo "record-captures: lesson $name failed; see /tmp/record-captures-$name.log" >&2
    rm -f "$out.tmp"
    exit 1
  fi
  mv "$out.tmp" "$out"
  ip netns delete "$ns"
  ns=""
  echo "record-captures: $out ($(stat -c %s "$out") bytes)"
done

if $cases_only; then
  record_cases "$@"
elif [ $# -eq 0 ]; then
  record_cases
fi
