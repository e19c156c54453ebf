#!/usr/bin/env bash
# Builds the engine benchmark in release mode and prints its table once:
# the full pipeline (benches/mm4.yaml through runner::simulate) against a
# minimal hand-written M/M/4 event loop. See docs/performance.md.
#
# Usage: benches/run-engine.sh
# Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --quiet --bench engine -- --table
