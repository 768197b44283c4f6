#!/usr/bin/env bash
# Regenerates every lesson recording (captures/lesson-<name>.pcap) from real loopback traffic.
#
# Needs root (to create a network namespace and capture in it). Each lesson runs live with
# `sockscope lesson <name> --record captures/lesson-<name>.pcap` inside a fresh namespace of its
# own, whose only interface is its own lo, so nothing else on the machine can leak into the
# recordings. The lesson picks its demo's usual port (7007, 7008, ...) there, as a learner would.
#
# Usage: sudo scripts/record-captures.sh [LESSON...]     (default: every lesson)
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

ns=""
cleanup() {
  if [ -n "$ns" ]; then ip netns delete "$ns" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

echo "record-captures: kernel $(uname -r), $(tcpdump --version 2>&1 | head -1)"
for name in "${lessons[@]}"; do
  ns="sockscope-rec-$$-$name"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  out="captures/lesson-$name.pcap"
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
