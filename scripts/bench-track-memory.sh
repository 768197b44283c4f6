#!/usr/bin/env bash
# Measures the peak memory of `sockscope flows` on a capture with many conversations, to check
# that tracking streams in bounded memory (live state capped at 100 000 conversations, 200 000
# summaries kept). Writes a synthetic pcap of N one-datagram UDP conversations (default 1 000 000)
# and N/4 three-segment TCP handshakes into a temporary directory.
#
# Usage: scripts/bench-track-memory.sh [N] [path/to/sockscope]
set -euo pipefail
n=${1:-1000000}
bin=${2:-target/release/sockscope}
[ -x "$bin" ] || { echo "bench-track-memory: build first: cargo build --release" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$n" "$dir/many.pcap" <<'PY'
import struct, sys
n, path = int(sys.argv[1]), sys.argv[2]
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
def ip(src, dst, proto, payload):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0, src, dst)
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
    t = 1_700_000_000
    for i in range(n):
        src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255]); dst = bytes([10, 255, 0, 1])
        sport = 1024 + i % 60000
        pkts = [ip(src, dst, 17, struct.pack("!HHHH", sport, 53, 9, 0) + b"q")]
        if i % 4 == 0:
            for flags, seq, ack in ((0x02, 1, 0), (0x12, 9, 2), (0x10, 2, 10)):
                a, b = (src, dst) if flags != 0x12 else (dst, src)
                sp, dp = (sport, 80) if flags != 0x12 else (80, sport)
                tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 0x50, flags, 65535, 0, 0)
                pkts.append(ip(a, b, 6, tcp))
        for p in pkts:
            us = i * 10
            f.write(struct.pack("<IIII", t + us // 1_000_000, us % 1_000_000, len(p), len(p)))
            f.write(p)
PY
size=$(stat -c %s "$dir/many.pcap")
echo "bench-track-memory: $n UDP + $((n / 4)) TCP conversations, $((size / 1048576)) MiB capture"
/usr/bin/time -f "bench-track-memory: %e s, peak RSS %M KiB" "$bin" flows "$dir/many.pcap" >"$dir/out.txt"
tail -3 "$dir/out.txt"
