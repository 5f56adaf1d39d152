#!/usr/bin/env bash
# Renders annex.html in a real headless browser (Debian's chromium) and keeps a screenshot.
#   scripts/check-annex-html.sh [OUTPUT_DIR] [PNG]
# Fails if chromium cannot render the page or the screenshot is empty. Runs offline: the page
# is self-contained, and the flags keep chromium from reaching any network.
set -euo pipefail
out=${1:-out}
png=${2:-docs/annex.png}
html="$(cd "$out" && pwd)/annex/annex.html"
test -f "$html" || { echo "no $html: run 'cargo run -- run' first" >&2; exit 2; }
browser=$(command -v chromium || command -v chromium-browser || true)
test -n "$browser" || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --hide-scrollbars --window-size=1200,1800 \
  --screenshot="$png" "file://$html" 2>/dev/null
test -s "$png" || { echo "chromium wrote no screenshot" >&2; exit 1; }
# The DOM as chromium parsed it: the tables and charts are there.
dom=$("$browser" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$profile" --dump-dom "file://$html" 2>/dev/null)
for needle in 'id="table-A"' 'id="table-B"' 'id="table-C"' 'id="table-E"' '<svg'; do
  grep -q "$needle" <<<"$dom" || { echo "rendered page lacks $needle" >&2; exit 1; }
done
echo "annex.html renders in $("$browser" --version 2>/dev/null); screenshot: $png"
