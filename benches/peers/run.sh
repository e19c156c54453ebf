#!/usr/bin/env bash
# Measures scalesim against its peers on the same M/M/4 model (Poisson
# arrivals at 3.6/s, 4 servers, exponential service of mean 1 s, the about
# 1,000,000 customers of benches/mm4.yaml), side by side: a lean hand-written
# Rust event loop, the floor (that loop making scalesim's recording calls), a
# SimCore model, SimPy and Ciw.
#
# The engines run in interleaved rounds (each round runs every engine once,
# in a fixed order), and the script prints, per engine, the medians of the
# wall time of the whole process and of the simulation alone, peak memory and
# the mean response time beside Erlang C; then scalesim's speed over each peer
# pair by pair within each round, their medians, and the targets met or not.
# See docs/performance.md.
#
# Usage: benches/peers/run.sh
# Environment:
#   ROUNDS=N          timed rounds (default 5)
#   CUSTOMERS=N       customers of the peers (default: as many as scalesim
#                     serves in benches/mm4.yaml)
#   CIW_CUSTOMERS=N   customers of Ciw (default: CUSTOMERS); Ciw keeps every
#                     customer's record, so a smaller run may be needed on a
#                     small machine. Ratios compare time per customer.
#   SEED=N            seed of the peers (default 1; scalesim's is in the YAML)
#   ENGINES=a,b       the peers to run (default: lean,floor,simcore,simpy,ciw);
#                     ENGINES=lean,floor,simcore takes seconds instead of minutes
#   CARGO_TARGET_DIR  where cargo builds (default: target/ of each project)
#
# Needs cargo, python3 with venv, and /usr/bin/time (GNU time) for peak memory.
# The Rust peers are a cargo project of their own (benches/peers/rust), which
# the main crate's builds and tests never touch.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rounds=${ROUNDS:-5}
seed=${SEED:-1}

if [ ! -x /usr/bin/time ]; then
    echo "installing GNU time for peak-memory figures" >&2
    apt-get install -y time >/dev/null
fi

venv="$here/.venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check simpy ciw
py="$venv/bin/python"

# Returns the absolute path of a release binary of the project at $1.
binary() {
    local dir="${CARGO_TARGET_DIR:-$1/target}/release/$2"
    case "$dir" in /*) ;; *) dir="$1/$dir" ;; esac
    echo "$dir"
}

echo "building scalesim and the Rust peers (release)..." >&2
(cd "$root" && cargo build --release --quiet)
(cd "$here/rust" && cargo build --release --quiet --locked)

echo "machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}')"
echo "scalesim $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src Cargo.toml Cargo.lock || echo ' (modified)'), $(rustc --version | cut -d' ' -f1-2), $("$py" --version)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
start=$(date +%s)

args=(--scalesim "$(binary "$root" scalesim)" --model "$root/benches/mm4.yaml"
    --lean "$(binary "$here/rust" mm4-lean)" --floor "$(binary "$here/rust" mm4-floor)"
    --simcore "$(binary "$here/rust" mm4-simcore)"
    --python "$py" --rounds "$rounds" --seed "$seed")
[ -n "${CUSTOMERS:-}" ] && args+=(--customers "$CUSTOMERS")
[ -n "${CIW_CUSTOMERS:-}" ] && args+=(--ciw-customers "$CIW_CUSTOMERS")
[ -n "${ENGINES:-}" ] && args+=(--engines "$ENGINES")
"$py" "$here/rounds.py" "${args[@]}"

echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); $(($(date +%s) - start)) s for the rounds"
