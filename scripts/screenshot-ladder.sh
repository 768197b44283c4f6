#!/usr/bin/env bash
# Renders a ladder exported as HTML (or SVG) in headless Chromium and saves a PNG, to check by
# eye that the export is clear: lanes, arrows, labels, states, notes.
#
# Usage: scripts/screenshot-ladder.sh INPUT.html|svg OUTPUT.png [WIDTHxHEIGHT]
# Needs Debian's chromium (apt-get install -y chromium). Exit code 3 when it is missing.
set -euo pipefail

in=${1:?usage: screenshot-ladder.sh INPUT.html OUTPUT.png [WIDTHxHEIGHT]}
out=${2:?usage: screenshot-ladder.sh INPUT.html OUTPUT.png [WIDTHxHEIGHT]}
size=${3:-1220x900}

browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
  echo "screenshot-ladder: chromium is not installed (apt-get install -y chromium)" >&2
  exit 3
fi
abs_in=$(cd "$(dirname "$in")" && pwd)/$(basename "$in")
abs_out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --no-first-run --disable-dev-shm-usage --hide-scrollbars --user-data-dir="$profile" \
  --window-size="${size/x/,}" --screenshot="$abs_out" "file://$abs_in" >/dev/null 2>&1
[ -s "$abs_out" ] || { echo "screenshot-ladder: no screenshot written" >&2; exit 1; }
echo "screenshot-ladder: wrote $out"
