#!/usr/bin/env bash
# Overhead of `sockscope run` beside strace: a Python echo client doing ROUNDS round trips
# (16 bytes each way) against a local Python echo server that is not traced.
#
# Cases, interleaved run by run so that a busy machine slows them alike:
#   bare       python3 client.py
#   strace     strace -f -e trace=network -o /dev/null python3 client.py (no --seccomp-bpf:
#              Debian's default, every system call stops twice)
#   run-calls  sockscope run --no-capture -- python3 client.py      (calls only)
#   run-pkts   sockscope run -- python3 client.py (calls and packets; needs CAP_NET_RAW)
# Reported: the median wall time of each case over RUNS runs, and its ratio to bare and to strace.
# Usage: scripts/bench-run.sh [RUNS]   env: ROUNDS=2000 PORT=47998 SOCKSCOPE=path/to/binary
#
# Measured (2 shared cores, load average 15-20, so each figure varies by tens of percent run to run;
# medians of 5 interleaved runs):
#   bare 577 ms · strace 2297 ms (3.98x bare) · run --no-capture 997 ms (0.43x strace) · run 966 ms (0.42x strace)
#   bare 661 ms · strace 1148 ms (1.74x bare) · run --no-capture 617 ms (0.54x strace) · run 672 ms (0.59x strace)
#     (second line: the merger polls its channel instead of being woken by each event)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-5}"
ROUNDS="${ROUNDS:-2000}"
PORT="${PORT:-47998}"
command -v strace >/dev/null || { echo "needs strace (apt-get install strace)" >&2; exit 2; }

# SOCKSCOPE=path runs that binary instead of building one.
if [ -z "${SOCKSCOPE:-}" ]; then
  cargo build --release --quiet --bin sockscope
  SOCKSCOPE=target/release/sockscope
fi
tmp="$(mktemp -d)"
cat > "$tmp/server.py" <<PY
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", $PORT))
s.listen()
while True:
    c, _ = s.accept()
    with c:
        while data := c.recv(1024):
            c.sendall(data)
PY
cat > "$tmp/client.py" <<PY
import socket
s = socket.create_connection(("127.0.0.1", $PORT))
for _ in range($ROUNDS):
    s.sendall(b"x" * 16)
    got = b""
    while len(got) < 16:
        got += s.recv(1024)
s.close()
PY
python3 "$tmp/server.py" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
  grep -q ":$(printf '%04X' "$PORT") 00000000:0000 0A" /proc/net/tcp && break
  sleep 0.05
done

cases=(bare strace run-calls)
if "$SOCKSCOPE" run -- true 2>&1 | grep -q CAP_NET_RAW; then
  echo "(no CAP_NET_RAW: run-pkts left out)"
else
  cases+=(run-pkts)
fi

one() {
  case "$1" in
    bare) python3 "$tmp/client.py" ;;
    strace) strace -f -e trace=network -o /dev/null python3 "$tmp/client.py" ;;
    run-calls) "$SOCKSCOPE" run --no-capture -- python3 "$tmp/client.py" >/dev/null ;;
    run-pkts) "$SOCKSCOPE" run -- python3 "$tmp/client.py" >/dev/null ;;
  esac
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), kernel $(uname -r)"
echo "$ROUNDS round trips, $RUNS runs per case, interleaved"
for _ in $(seq "$RUNS"); do
  for c in "${cases[@]}"; do
    t0=$(date +%s%N)
    one "$c"
    t1=$(date +%s%N)
    echo "$c $(( (t1 - t0) / 1000000 ))" >> "$tmp/times"
  done
done

median() { grep "^$1 " "$tmp/times" | cut -d' ' -f2 | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bare=$(median bare)
strace_ms=$(median strace)
printf '%-10s %8s %8s %10s\n' case "ms" "x bare" "x strace"
for c in "${cases[@]}"; do
  m=$(median "$c")
  printf '%-10s %8d %8.2f %10.2f\n' "$c" "$m" "$(echo "$m / $bare" | bc -l)" "$(echo "$m / $strace_ms" | bc -l)"
done
