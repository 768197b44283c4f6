#!/usr/bin/env bash
# Grants a sockscope binary CAP_NET_RAW, the only capability live capture needs, so that
# `sockscope live` runs without sudo. `sockscope replay` needs nothing.
# Usage: scripts/setcap.sh [path/to/sockscope]   (default: target/release/sockscope)
# Note: every `cargo build` writes a new binary without the capability; run this again after.
set -euo pipefail
bin="${1:-$(dirname "$0")/../target/release/sockscope}"
if [ ! -x "$bin" ]; then
  echo "setcap.sh: no executable at $bin; build it (cargo build --release) or pass its path" >&2
  exit 2
fi
bin="$(readlink -f "$bin")"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "+ ${sudo:+sudo }setcap cap_net_raw+eip $bin"
$sudo setcap cap_net_raw+eip "$bin"
getcap "$bin"
