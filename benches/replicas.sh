#!/usr/bin/env bash
# Prints the time per request of a balancer over 10, 100, 1,000 and 10,000
# replicas for the strategies that look at load: the cost per request should grow
# at most logarithmically with the pool. Each run sends about 1,000,000 requests
# (the rate grows with the pool so every clone stays at 50% load).
# Usage: benches/replicas.sh    (honours CARGO_TARGET_DIR)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/scalesim"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-18s %8s %10s %12s %14s\n' strategy replicas requests wall_ms ns_per_request
for strategy in least_connections least_loaded power_of_two round_robin; do
  for n in 10 100 1000 10000; do
    rate=$((n * 500))
    secs=$(python3 -c "print(max(1e6 / $rate, 0.2))")
    start=$(date +%s%N)
    "$bin" run benches/replicas.yaml --quiet --out "$out" \
      --set "components.lb.strategy=$strategy" --set "components.web.replicas=$n" \
      --set "traffic.rate=$rate/s" --set "duration=${secs}s"
    end=$(date +%s%N)
    requests=$(python3 -c "import json; print(json.load(open('$out/results.json'))[0]['requests']['offered'])")
    wall_ms=$(( (end - start) / 1000000 ))
    printf '%-18s %8d %10d %12d %14.0f\n' "$strategy" "$n" "$requests" "$wall_ms" \
      "$(python3 -c "print($wall_ms * 1e6 / $requests)")"
  done
done
