#!/usr/bin/env bash
# Runs the same M/M/4 model (Poisson arrivals at 3.6/s, 4 servers, exponential
# service of mean 1 s, about 1,000,000 customers) in scalesim, SimPy and Ciw,
# one after the other, and compares wall time, throughput, peak memory and the
# mean response time against Erlang C. See docs/performance.md.
#
# Usage: benches/peers/run.sh
# Environment:
#   CUSTOMERS=N       customers for SimPy (default 1000000; scalesim runs benches/mm4.yaml)
#   CIW_CUSTOMERS=N   customers for Ciw (default: CUSTOMERS); Ciw keeps every
#                     customer's record, so a smaller run may be needed on a small machine
#   SEED=N            seed of the Python runs (default 1)
#   CARGO_TARGET_DIR  where cargo builds (default target/)
#
# Needs python3 with venv, and /usr/bin/time (GNU time) for peak memory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
customers=${CUSTOMERS:-1000000}
ciw_customers=${CIW_CUSTOMERS:-$customers}
seed=${SEED:-1}
model="$root/benches/mm4.yaml"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

cd "$root"
cargo build --release --quiet
scalesim="${CARGO_TARGET_DIR:-target}/release/scalesim"
case "$scalesim" in /*) ;; *) scalesim="$root/$scalesim" ;; esac

# Runs a command under GNU time, its stdout to $2, and prints
# "wall_s rss_kb cpu_s" (cpu_s: user + system time of the whole process).
measure() {
    local label=$1 out=$2
    shift 2
    local start end
    start=$(date +%s.%N)
    /usr/bin/time -v -o "$work/$label.time" "$@" >"$out" 2>"$out.err"
    end=$(date +%s.%N)
    awk -v start="$start" -v end="$end" -F: '
        /Maximum resident set size/ { rss = $2 + 0 }
        /User time \(seconds\)/ { cpu += $2 }
        /System time \(seconds\)/ { cpu += $2 }
        END { printf "%.3f %d %.2f\n", end - start, rss, cpu }' "$work/$label.time"
}

# Prints word $1 of the line "$2: ..." of file $3.
field() { awk -v n="$1" -v k="$2:" '$1 == k {print $n}' "$3"; }

# Describes a Python peer's run for report.py.
peer_run() {
    local label=$1 rss=$2 cpu=$3 out="$work/$1.out"
    local wall
    wall=$(field 2 wall_s "$out")
    echo "name=$(field 2 simulator "$out") $(field 3 simulator "$out"),customers=$(field 2 customers "$out"),wall_s=$wall,sim_s=$wall,cpu_s=$cpu,rss_kb=$rss,mean_s=$(field 2 mean_response_s "$out")"
}

echo "machine: $(nproc) cores, $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# scalesim: the whole process (it also writes charts and a report), best of 3;
# --timing also gives the wall time of the simulation alone, as the peers report.
best_wall="" best_sim=""
for _ in 1 2 3; do
    read -r wall rss cpu < <(measure scalesim "$work/scalesim.out" \
        "$scalesim" run "$model" --quiet --timing --out "$work/scalesim")
    sim=$(awk '/^timing:/ {for (i = 1; i < NF; i++) if ($(i + 1) == "s") print $i}' "$work/scalesim.out.err")
    if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN {exit !(a < b)}'; then
        best_wall=$wall best_rss=$rss best_cpu=$cpu
    fi
    if [ -z "$best_sim" ] || awk -v a="$sim" -v b="$best_sim" 'BEGIN {exit !(a < b)}'; then
        best_sim=$sim
    fi
done
scalesim_run=$("$py" -c '
import json, sys
r = json.load(open(sys.argv[1]))[0]
print("events=%d,customers=%d,mean_s=%.6f"
      % (r["events"], r["requests"]["completed"], r["latency_ms"]["mean"] / 1000))
' "$work/scalesim/results.json")

echo "running SimPy on $customers customers..." >&2
read -r _ simpy_rss simpy_cpu < <(measure simpy "$work/simpy.out" \
    "$py" "$here/mm4_simpy.py" "$customers" "$seed")
echo "running Ciw on $ciw_customers customers..." >&2
read -r _ ciw_rss ciw_cpu < <(measure ciw "$work/ciw.out" \
    "$py" "$here/mm4_ciw.py" "$ciw_customers" "$seed")

"$py" "$here/report.py" \
    "name=scalesim,wall_s=$best_wall,sim_s=$best_sim,cpu_s=$best_cpu,rss_kb=$best_rss,$scalesim_run" \
    "$(peer_run simpy "$simpy_rss" "$simpy_cpu")" \
    "$(peer_run ciw "$ciw_rss" "$ciw_cpu")"
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
