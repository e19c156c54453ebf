#!/usr/bin/env bash
# Photographs the HTML report in headless Chromium and checks that its charts
# show. Installs Debian's Chromium first if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium"
  apt-get update
  apt-get install -y chromium
fi

echo "== report screenshot"
# The screenshot test is ignored by default, since it needs a browser.
SCALESIM_CHROMIUM="${SCALESIM_CHROMIUM:-$(command -v chromium)}" \
  cargo test --release --test report -- --include-ignored
