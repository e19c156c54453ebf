#!/usr/bin/env bash
# Compares two scalesim binaries on the same scenario, interleaved (A B A B...),
# so that the drift of a shared machine hits both alike. Prints each pair's
# wall times and ratio B/A, then the medians and the median of the ratios.
#
# Usage: benches/ab.sh BINARY_A BINARY_B SCENARIO [PAIRS] [-- EXTRA ARGS...]
#   PAIRS defaults to 7; EXTRA ARGS go to `scalesim run` (like --set duration=10m).
# Example (the M/M/4 model, a million customers):
#   benches/ab.sh /tmp/scalesim-before target/release/scalesim benches/mm4.yaml 9
set -euo pipefail

if [ $# -lt 3 ]; then
    sed -n '2,9p' "$0" >&2
    exit 2
fi
a=$1 b=$2 scenario=$3
pairs=${4:-7}
shift 3
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
extra=("$@")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Runs a binary once and prints its wall time in seconds.
wall() {
    local start end
    start=$(date +%s.%N)
    "$1" run "$scenario" --quiet --out "$out/$2" "${extra[@]}" >/dev/null
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { print e - s }'
}

# One run of each first, unmeasured: the files are then in the page cache.
wall "$a" warm >/dev/null
wall "$b" warm >/dev/null

printf '%-5s %10s %10s %8s\n' pair "A (s)" "B (s)" "B/A"
as=() bs=() ratios=()
for i in $(seq 1 "$pairs"); do
    ta=$(wall "$a" a)
    tb=$(wall "$b" b)
    r=$(awk -v a="$ta" -v b="$tb" 'BEGIN { print b / a }')
    as+=("$ta") bs+=("$tb") ratios+=("$r")
    printf '%-5s %10.3f %10.3f %8.3f\n' "$i" "$ta" "$tb" "$r"
done

median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
printf 'median %10.3f %10.3f %8.3f   (median of the pairwise ratios)\n' \
    "$(median "${as[@]}")" "$(median "${bs[@]}")" "$(median "${ratios[@]}")"
cmp -s "$out/a/results.json" "$out/b/results.json" &&
    echo "results.json: identical" || echo "results.json: DIFFERENT"
