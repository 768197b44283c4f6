#!/usr/bin/env bash
# Replay throughput, memory and start-up of `sockscope replay`, each view beside its anchor.
#
#   scripts/bench-replay.sh [PACKETS]       (default 1,000,000 packets)
#
# Generates a large capture with examples/gen_bench.rs (many TCP conversations with handshake,
# data and teardown over IPv4 and IPv6, UDP exchanges, a few hundred hosts told apart mostly by
# port), then reads it with each view of sockscope and with its anchor, all writing to /dev/null
# with TZ=UTC: `tcpdump -nn -r` for --format tcpdump, the learner view, --json and -q;
# `tcpdump -nn -v -r` for -v. The runs are interleaved (every command once, BENCH_RUNS times,
# default 5) so that a change in the machine's load hits them alike; each figure is a median.
# Printed per command: wall and CPU (user + sys) seconds, packets per second, the ratio to the
# anchor (anchor's time ÷ this time: above 1 is faster) by wall and by CPU, and the peak RSS
# (the largest of the runs), and the median of each round's own ratio by CPU (the view beside
# the anchor's run of the same round, seconds apart: the steadiest figure when the machine's
# speed drifts). On a loaded machine compare the CPU ratios, and the load printed.
# Targets (issue 13): tcpdump view >= 7x, learner >= 3x, JSON >= 2x, -v >= 1x, peak < 50 MB.
#
# Then start-up: `sockscope replay` and `tcpdump -nn -r` of a 1-packet file, BENCH_STARTS times
# each (default 50), interleaved: the median wall time of one run, in ms (target <= 5 ms).
# BENCH_TSHARK=1 adds one run of `tshark -n -r` (slow: minutes and gigabytes).
set -euo pipefail
cd "$(dirname "$0")/.."

packets=${1:-1000000}
runs=${BENCH_RUNS:-5}
starts=${BENCH_STARTS:-50}
file=${BENCH_FILE:-target/bench/replay-$packets.pcap}
export TZ=UTC

if ! /usr/bin/env time -f "%e" true >/dev/null 2>&1; then
  echo "bench-replay: GNU time is needed for timing and peak memory (apt-get install time)" >&2
  exit 1
fi
command -v tcpdump >/dev/null || { echo "bench-replay: tcpdump is the anchor; install it" >&2; exit 1; }

cargo build --release --quiet --bin sockscope --example gen_bench
bin=target/release/sockscope
mkdir -p "$(dirname "$file")"
[ -s "$file" ] || target/release/examples/gen_bench "$file" "$packets" >/dev/null 2>&1
size=$(stat -c %s "$file")
echo "capture: $file, $packets packets, $((size / 1048576)) MiB; medians of $runs interleaved runs; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# name|anchor name|command
cmds=(
  "tcpdump -nn -r||tcpdump -nn -r $file"
  "tcpdump -nn -v -r||tcpdump -nn -v -r $file"
  "sockscope --format tcpdump|tcpdump -nn -r|$bin replay --format tcpdump --color never $file"
  "sockscope (learner)|tcpdump -nn -r|$bin replay --color never $file"
  "sockscope --json|tcpdump -nn -r|$bin replay --json $file"
  "sockscope -v|tcpdump -nn -v -r|$bin replay -v $file"
  "sockscope -q|tcpdump -nn -r|$bin replay -q $file"
)
key() { echo "$1" | tr -c 'a-zA-Z0-9\n' _; }

for ((i = 0; i < runs; i++)); do
  for c in "${cmds[@]}"; do
    IFS='|' read -r name _ cmd <<<"$c"
    # shellcheck disable=SC2086 # the command is split into words on purpose
    /usr/bin/env time -o "$tmp/t" -f "%e %U %S %M" $cmd >/dev/null 2>/dev/null || true
    grep -v '^Command' "$tmp/t" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' >>"$tmp/$(key "$name")"
  done
done

median() { # FILE COLUMN
  sort -g -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

printf '%-28s %7s %7s %10s %16s %16s %14s %9s\n' command wall-s cpu-s pkt/s "ratio by wall" "ratio by cpu" "paired (cpu)" peak-MiB
for c in "${cmds[@]}"; do
  IFS='|' read -r name anchor _ <<<"$c"
  f="$tmp/$(key "$name")"
  w=$(median "$f" 1) u=$(median "$f" 2)
  m=$(sort -g -k3 "$f" | tail -n 1 | awk '{ printf "%.1f", $3 / 1024 }')
  pps=$(awk -v n="$packets" -v t="$w" 'BEGIN { printf "%d", (t > 0 ? n / t : 0) }')
  if [ -n "$anchor" ]; then
    a="$tmp/$(key "$anchor")"
    rw="$(ratio "$(median "$a" 1)" "$w")x" ru="$(ratio "$(median "$a" 2)" "$u")x"
    # The same round's anchor run against this one, CPU: the pairs are seconds apart, so a
    # change in the machine's speed between rounds cancels out.
    paste -d' ' "$a" "$f" | awk '{ printf "%.4f\n", ($5 > 0 ? $2 / $5 : 0) }' >"$tmp/pairs"
    rp="$(median "$tmp/pairs" 1 | awk '{ printf "%.2f", $1 }')x"
  else
    rw="(anchor)" ru="(anchor)" rp="(anchor)"
  fi
  printf '%-28s %7s %7s %10s %16s %16s %14s %9s\n' "$name" "$w" "$u" "$pps" "$rw" "$ru" "$rp" "$m"
done

if [ "${BENCH_TSHARK:-0}" = 1 ] && command -v tshark >/dev/null; then
  /usr/bin/env time -o "$tmp/t" -f "%e %U %S %M" tshark -n -r "$file" >/dev/null 2>/dev/null || true
  read -r w u s m < <(grep -v '^Command' "$tmp/t")
  printf '%-28s %7s %7s %10s %16s\n' "tshark -n -r (one run)" "$w" "$(awk -v a="$u" -v b="$s" 'BEGIN { print a + b }')" "" "$(awk -v k="$m" 'BEGIN { printf "%.1f MiB", k / 1024 }')"
fi

# Start-up: one packet, wall time of the whole process (fork and exec included).
one=$tmp/one.pcap
target/release/examples/gen_bench "$one" 1 >/dev/null 2>&1
wall_ms() { # CMD...: one run's wall time in ms
  local s e
  s=$(date +%s%N)
  "$@" >/dev/null 2>&1 || true
  e=$(date +%s%N)
  awk -v d="$((e - s))" 'BEGIN { printf "%.2f\n", d / 1e6 }'
}
for ((i = 0; i < starts; i++)); do
  wall_ms "$bin" replay "$one" >>"$tmp/start_s"
  wall_ms tcpdump -nn -r "$one" >>"$tmp/start_t"
done
ss=$(median "$tmp/start_s" 1) st=$(median "$tmp/start_t" 1)
echo "start-up, 1-packet file, median of $starts: sockscope replay $ss ms, tcpdump -nn -r $st ms (ratio $(ratio "$st" "$ss")x); target <= 5 ms"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
