#!/usr/bin/env bash
# Live capture under a loopback UDP flood: sockscope beside tcpdump on the same kind of flood.
#
# For each case a capturer starts on lo, examples/udp_flood sends small datagrams for SECS
# seconds (as fast as one sender goes, or at RATE per second), then the capturer gets SIGINT.
# Reported per case: datagrams sent, flood datagrams in the written file (-w cases), and the
# capturer's own counts (captured / received by filter / dropped by kernel). Other traffic on lo
# during the run also counts in the capturer's numbers.
#
# Cases: tcpdump -w and sockscope -w at the sender's full rate (sockscope also with smaller
# ring buffers: -B 2048, tcpdump's default size, and 8192), then each with two senders at full
# rate; tcpdump printing and sockscope printing the learner format to /dev/null at PRINT_RATE
# (300,000/s). Afterwards the figures the targets name, as ratios beside tcpdump: the sender's
# rate beside each capturer (>= 1), drops with two senders (0) and while printing (0).
# Usage: scripts/bench-live.sh [SECS]   env: PRINT_RATE=300000 PORT=47999 PNET=1 (adds pnet's reader)
# Needs root or CAP_NET_RAW (tcpdump too). Run it on a quiet machine: it takes both cores.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-5}"
PRINT_RATE="${PRINT_RATE:-300000}"
PORT="${PORT:-47999}"

cargo build --release --quiet --bin sockscope --example udp_flood --example pnet_probe
SOCKSCOPE=target/release/sockscope
FLOOD=target/release/examples/udp_flood
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
printf '%-34s %10s %10s %10s %10s %10s\n' case sent in-file captured received dropped

declare -A SENT DROPPED
# run_case NAME RATE OUTFILE CAPTURER ARGS... : capturer's stdout goes to /dev/null. SENDERS
# (default 1) floods run at once; their counts add up.
run_case() {
  local name="$1" rate="$2" file="$3" senders="${SENDERS:-1}"
  shift 3
  "$@" >/dev/null 2>"$tmp/err" &
  local pid=$!
  for _ in $(seq 100); do grep -q "listening on" "$tmp/err" && break; sleep 0.05; done
  local sent=0 k floods=()
  for ((k = 0; k < senders; k++)); do
    "$FLOOD" --seconds "$SECS" --rate "$rate" --port $((PORT + k)) >"$tmp/sent$k" &
    floods+=($!)
  done
  wait "${floods[@]}"
  for ((k = 0; k < senders; k++)); do
    sent=$((sent + $(sed -E 's/^sent ([0-9]+) .*/\1/' "$tmp/sent$k")))
  done
  sleep 1
  kill -INT "$pid"
  wait "$pid" || true
  local infile="-"
  if [ "$file" != "-" ]; then
    infile="$(tcpdump -n -r "$file" "udp dst portrange $PORT-$((PORT + senders - 1))" 2>/dev/null | wc -l)"
    rm -f "$file"
  fi
  local cap rec drop
  cap="$(sed -nE 's/^([0-9]+) packets? captured$/\1/p' "$tmp/err")"
  rec="$(sed -nE 's/^([0-9]+) packets? received by filter$/\1/p' "$tmp/err")"
  drop="$(sed -nE 's/^([0-9]+) packets? dropped by kernel$/\1/p' "$tmp/err")"
  printf '%-34s %10s %10s %10s %10s %10s\n' "$name" "$sent" "$infile" "${cap:-?}" "${rec:-?}" "${drop:-?}"
  SENT[$name]=$sent
  DROPPED[$name]=${drop:-?}
}

run_case "tcpdump -w (full rate)" 0 "$tmp/t.pcap" tcpdump -i lo -n -Z root -w "$tmp/t.pcap"
run_case "sockscope live -w (full rate)" 0 "$tmp/s.pcap" "$SOCKSCOPE" live -i lo -w "$tmp/s.pcap"
for kib in 2048 8192; do
  run_case "sockscope live -w -B $kib (full rate)" 0 "$tmp/s.pcap" "$SOCKSCOPE" live -i lo -B "$kib" -w "$tmp/s.pcap"
done
SENDERS=2 run_case "tcpdump -w (2 senders)" 0 "$tmp/t.pcap" tcpdump -i lo -n -Z root -w "$tmp/t.pcap"
SENDERS=2 run_case "sockscope live -w (2 senders)" 0 "$tmp/s.pcap" "$SOCKSCOPE" live -i lo -w "$tmp/s.pcap"
run_case "tcpdump -n > /dev/null ($PRINT_RATE/s)" "$PRINT_RATE" - tcpdump -i lo -n -Z root
run_case "sockscope live > /dev/null ($PRINT_RATE/s)" "$PRINT_RATE" - "$SOCKSCOPE" live -i lo

echo
echo "targets, beside tcpdump on the same flood:"
awk -v s="${SENT[sockscope live -w (full rate)]}" -v t="${SENT[tcpdump -w (full rate)]}" \
  'BEGIN { printf "  sender rate beside sockscope -w / beside tcpdump -w: %.2fx (target >= 1)\n", (t > 0 ? s / t : 0) }'
echo "  drops, two senders at full rate: sockscope ${DROPPED[sockscope live -w (2 senders)]}, tcpdump ${DROPPED[tcpdump -w (2 senders)]} (target 0)"
echo "  drops printing at $PRINT_RATE/s: sockscope learner ${DROPPED[sockscope live > /dev/null ($PRINT_RATE/s)]}, tcpdump ${DROPPED[tcpdump -n > /dev/null ($PRINT_RATE/s)]} (target 0)"
if [ "${PNET:-0}" = 1 ]; then
  # pnet's own reader (poll + recvfrom + SIOCGSTAMPNS per packet), for the design note.
  "$FLOOD" --seconds "$SECS" --rate 0 --port "$PORT" &
  target/release/examples/pnet_probe --seconds "$SECS" --no-timestampns | tail -1
  wait
fi
