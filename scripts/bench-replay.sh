#!/usr/bin/env bash
# Replay throughput and memory of `sockscope replay`, beside tcpdump and tshark on the same file.
#
#   scripts/bench-replay.sh [PACKETS]       (default 2,000,000 packets)
#
# Generates a large capture with examples/gen_bench.rs (many TCP conversations with handshake,
# data and teardown over IPv4 and IPv6, UDP exchanges, a few hundred hosts told apart mostly by
# port), then reads it with each output format of sockscope and with `tcpdump -nn -r` and
# `tshark -n -r` when they are installed (BENCH_TSHARK=0 skips the slow tshark run), all writing
# to /dev/null with TZ set, and
# prints packets per second, the ratio to tcpdump and the peak resident memory (GNU time).
# Each time is the best of BENCH_RUNS runs (default 3); memory is the largest seen.
set -euo pipefail
cd "$(dirname "$0")/.."

packets=${1:-2000000}
runs=${BENCH_RUNS:-3}
file=${BENCH_FILE:-target/bench/replay-$packets.pcap}
export TZ=UTC

if ! /usr/bin/env time -f "%e" true >/dev/null 2>&1; then
  echo "bench-replay: GNU time is needed for timing and peak memory (apt-get install time)" >&2
  exit 1
fi

cargo build --release --quiet --bin sockscope --example gen_bench
mkdir -p "$(dirname "$file")"
if [ ! -s "$file" ]; then
  target/release/examples/gen_bench "$file" "$packets"
fi
size=$(stat -c %s "$file")
echo "capture: $file, $packets packets, $((size / 1048576)) MiB; best of $runs runs; $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"

# best_of CMD...: prints "seconds peak_kib" (fastest time, largest peak memory of $runs runs).
best_of() {
  local best_t="" best_m=0 i t m out tf
  tf=$(mktemp)
  for ((i = 0; i < runs; i++)); do
    /usr/bin/env time -o "$tf" -f "%e %M" "$@" >/dev/null 2>/dev/null || true
    out=$(tail -n 1 "$tf")
    t=${out% *}
    m=${out#* }
    if [ -z "$best_t" ] || awk -v a="$t" -v b="$best_t" 'BEGIN { exit !(a < b) }'; then best_t=$t; fi
    if [ "$m" -gt "$best_m" ]; then best_m=$m; fi
  done
  rm -f "$tf"
  echo "$best_t $best_m"
}

tcpdump_t=""
row() { # name seconds peak_kib
  local pps
  pps=$(awk -v n="$packets" -v t="$2" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }')
  printf "%-30s %8.2f s %11s pkt/s %8.1f MiB" "$1" "$2" "$pps" "$(awk -v k="$3" 'BEGIN { print k / 1024 }')"
  if [ -n "$tcpdump_t" ]; then
    printf "   %5.2fx tcpdump" "$(awk -v a="$tcpdump_t" -v b="$2" 'BEGIN { print (b > 0 ? a / b : 0) }')"
  fi
  echo
}

if command -v tcpdump >/dev/null; then
  read -r t m < <(best_of tcpdump -nn -r "$file")
  row "tcpdump -nn -r" "$t" "$m"
  tcpdump_t=$t
else
  echo "tcpdump is not installed: no comparison"
fi
if [ "${BENCH_TSHARK:-1}" = 1 ] && command -v tshark >/dev/null; then
  read -r t m < <(runs=1 best_of tshark -n -r "$file")
  row "tshark -n -r" "$t" "$m"
fi
for fmt in tcpdump learner json verbose; do
  read -r t m < <(best_of target/release/sockscope replay --format "$fmt" --color never "$file")
  row "sockscope --format $fmt" "$t" "$m"
done
read -r t m < <(best_of target/release/sockscope replay -q "$file")
row "sockscope replay -q" "$t" "$m"
