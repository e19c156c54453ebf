#!/usr/bin/env bash
# Tests the classroom page (`scalesim serve`) in headless Chromium with real
# clicks: picks a scenario, runs it, pins it, moves a knob, runs again, and
# checks the new figures and charts; then checks a screenshot of the page.
# With `--save FILE.png` it also keeps that screenshot (docs/serve.png is
# made this way). Installs Debian's chromium, chromium-driver and
# python3-selenium first if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

save=()
if [ "${1:-}" = "--save" ]; then
  save=(--save "${2:?--save needs the path of a PNG file}")
fi

# Debian's Python, where Debian's python3-selenium lives (a pyenv or venv
# python3 first on the PATH would not see it).
python=/usr/bin/python3
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
"$python" -c 'import selenium' >/dev/null 2>&1 || missing+=(python3-selenium)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]}"
  apt-get update
  apt-get install -y "${missing[@]}"
fi

echo "== building scalesim"
cargo build --release --quiet
target=$(cargo metadata --format-version 1 --no-deps \
  | "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

work=$(mktemp -d)
"$target/release/scalesim" serve --port 0 >"$work/serve.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://[^ ]*' "$work/serve.log" | head -n 1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "scalesim serve printed no address:" >&2
  cat "$work/serve.log" >&2
  exit 1
fi

echo "== the classroom page at $url in headless Chromium"
"$python" .ci/serve-browser.py "$url" "$work/page.png" "${save[@]}"
