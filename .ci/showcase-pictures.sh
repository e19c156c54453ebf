#!/usr/bin/env bash
# Draws the showcase pictures the README shows (docs/showcase-*.png) from the
# current build: runs the showcase into a temporary folder and copies two of
# its charts. The showcase is deterministic, so the pictures change only when
# the showcase or the charts do.
set -euo pipefail
cd "$(dirname "$0")/.."

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo run --release --quiet -- --out "$out" --quiet
cp "$out/time_series.png" docs/showcase-time-series.png
cp "$out/cost_vs_p99.png" docs/showcase-cost-vs-p99.png
echo "wrote docs/showcase-time-series.png and docs/showcase-cost-vs-p99.png"
