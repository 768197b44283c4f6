#!/usr/bin/env bash
# Conversations: `sockscope flows` beside `tshark -q -z conv,tcp -r` on the same file, and the
# memory of `flows`, `ladder --flow` and `follow` per conversation.
#
#   scripts/bench-flows.sh [N...]        (default: 300000 1000000 conversations)
#
# For each N, writes (once, to $BENCH_DIR, default /tmp) a capture of N conversations: three in
# four TCP (handshake, one request, FIN teardown: 7 packets), one in four a UDP request and
# response, each between its own client address and one server. Then, interleaved (A B A B ...,
# BENCH_RUNS times, default 5), runs `sockscope flows` and tshark, and prints medians of wall and
# CPU (user+sys) time, their ratio (tshark ÷ sockscope: the target is >= 20x), the median of each
# round's own CPU ratio (flows beside the tshark run of the same round, seconds apart: the
# steadiest figure when the machine's speed drifts), peak RSS, rows
# printed (every conversation must be listed), and for `flows` the peak RSS per conversation
# between the two largest N (the target is <= 128 bytes). tshark runs only for N up to
# TSHARK_MAX (default 300000): on larger files it takes minutes and gigabytes.
# Wall times on a loaded machine are unreliable: compare the CPU ratio, and the load printed.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(300000 1000000)
runs=${BENCH_RUNS:-5}
dir=${BENCH_DIR:-/tmp}
tshark_max=${TSHARK_MAX:-300000}
export TZ=UTC

cargo build --release --quiet --bin sockscope
bin=target/release/sockscope
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

gen() { # N FILE
  python3 - "$1" "$2" <<'PY'
import struct, sys
n, path = int(sys.argv[1]), sys.argv[2]
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ip(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, src, dst)
    return h[:10] + struct.pack("!H", csum(h)) + h[12:] + payload
dst = bytes([10, 255, 0, 1])
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
    t = 1_700_000_000
    us = 0
    for i in range(n):
        src = bytes([11 + (i >> 24), (i >> 16) & 255, (i >> 8) & 255, i & 255])
        sport = 1024 + i % 60000
        if i % 4 == 3:
            pkts = [ip(src, dst, 17, struct.pack("!HHHH", sport, 53, 12, 0) + b"qqqq"),
                    ip(dst, src, 17, struct.pack("!HHHH", 53, sport, 16, 0) + b"rrrrrrrr")]
        else:
            pkts = []
            for c2s, flags, seq, ack, data in ((1, 0x02, 100, 0, b""), (0, 0x12, 900, 101, b""),
                                              (1, 0x10, 101, 901, b""), (1, 0x18, 101, 901, b"GET /\r\n"),
                                              (0, 0x11, 901, 108, b""), (1, 0x11, 108, 902, b""),
                                              (0, 0x10, 902, 109, b"")):
                a, b, sp, dp = (src, dst, sport, 80) if c2s else (dst, src, 80, sport)
                tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535, 0, 0)
                pkts.append(ip(a, b, 6, tcp + data))
        for p in pkts:
            us += 3
            f.write(struct.pack("<IIII", t + us // 1_000_000, us % 1_000_000, len(p), len(p)))
            f.write(p)
PY
}

# measure NAME CMD...: appends "wall cpu peak_kib" of one run to $tmp/NAME.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
measure() {
  local name=$1
  shift
  /usr/bin/time -o "$tmp/t" -f "%e %U %S %M" "$@" >"$tmp/$name.out" 2>/dev/null || true
  grep -v "^Command" "$tmp/t" | awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' >>"$tmp/$name"
}
median() { # FILE COLUMN
  sort -g -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

declare -A rss
printf '%-9s %-28s %8s %8s %10s %9s %s\n' N command wall-s cpu-s peak-MiB rows "ratio (tshark ÷ sockscope)"
for n in "${sizes[@]}"; do
  file="$dir/flows-$n.pcap"
  [ -s "$file" ] || gen "$n" "$file"
  rm -f "$tmp"/flows "$tmp"/tshark "$tmp"/paired "$tmp"/ladder "$tmp"/follow
  for ((i = 0; i < runs; i++)); do
    measure flows "$bin" flows "$file"
    if [ "$n" -le "$tshark_max" ] && command -v tshark >/dev/null; then
      measure tshark tshark -q -z conv,tcp -r "$file"
      # This round's own ratio: tshark's CPU time over the flows run just before it.
      paste <(tail -n1 "$tmp/tshark") <(tail -n1 "$tmp/flows") |
        awk '{ printf "%.2f\n", ($5 > 0 ? $2 / $5 : 0) }' >>"$tmp/paired"
    fi
  done
  measure ladder "$bin" ladder --flow $((n / 2)) "$file"
  measure follow "$bin" follow --flow $((n / 2)) "$file"
  rows=$(grep -cE '^ *[0-9]+  (TCP|UDP)' "$tmp/flows.out" || true)
  fw=$(median "$tmp/flows" 1) fc=$(median "$tmp/flows" 2) fm=$(median "$tmp/flows" 3)
  rss[$n]=$fm
  printf '%-9s %-28s %8s %8s %10.1f %9s\n' "$n" "sockscope flows" "$fw" "$fc" "$(awk -v k="$fm" 'BEGIN { print k / 1024 }')" "$rows"
  if [ -s "$tmp/tshark" ]; then
    tw=$(median "$tmp/tshark" 1) tc=$(median "$tmp/tshark" 2) tm=$(median "$tmp/tshark" 3)
    trows=$(grep -cE '<->' "$tmp/tshark.out" || true)
    printf '%-9s %-28s %8s %8s %10.1f %9s   flows is %sx faster by wall, %sx by cpu, %sx paired (target >= 20x), %sx less memory\n' "$n" "tshark -q -z conv,tcp" "$tw" "$tc" \
      "$(awk -v k="$tm" 'BEGIN { print k / 1024 }')" "$trows" "$(ratio "$tw" "$fw")" "$(ratio "$tc" "$fc")" "$(median "$tmp/paired" 1)" "$(ratio "$tm" "$fm")"
  fi
  for v in ladder follow; do
    read -r w c m <"$tmp/$v"
    printf '%-9s %-28s %8s %8s %10.1f\n' "$n" "sockscope $v (one conv.)" "$w" "$c" "$(awk -v k="$m" 'BEGIN { print k / 1024 }')"
  done
done
if [ ${#sizes[@]} -ge 2 ]; then
  a=${sizes[-2]} b=${sizes[-1]}
  per=$(awk -v ra="${rss[$a]}" -v rb="${rss[$b]}" -v a="$a" -v b="$b" 'BEGIN { printf "%.0f", (rb - ra) * 1024 / (b - a) }')
  echo "flows: peak RSS grows by $per bytes per conversation between $a and $b (target <= 128)"
fi
