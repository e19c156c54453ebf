#!/usr/bin/env bash
# A scalesim sweep on a Slurm cluster: a job array runs one shard of the sweep
# per task, and a second job, which waits for every task to succeed, merges the
# shards into the results, charts and report of the whole sweep.
#
# Submit both jobs from a login node, in a folder on a file system that the
# compute nodes share and that holds scenarios/ (the shards are written to
# shards/K, the results to results/):
#
#   bash examples/cluster/slurm.sh               # 8 shards, 4 CPUs each
#   SHARDS=32 bash examples/cluster/slurm.sh     # 32 shards
#   SHARDS=4 CPUS=2 REPLICATIONS=3 bash examples/cluster/slurm.sh
#
# which runs, in effect:
#
#   array=$(sbatch --parsable --array=1-8 --cpus-per-task=4 examples/cluster/slurm.sh)
#   sbatch --dependency=afterok:$array --kill-on-invalid-dep=yes \
#          --wrap "scalesim merge shards/* --out results"
#
# The environment chooses the sweep and its slicing (default on the right);
# every task and the merge see the values given at submission:
#
#   SHARDS        number of shards, N                          8
#   CPUS          CPUs per task (--cpus-per-task and --jobs)   4
#   SCENARIO      the scenario file                            scenarios/one-big-server.yaml
#   CORES         --vary components.box.cores=CORES            4,6,8,12,16
#   RATES         --vary traffic.rate=RATES                    400:2000:100/s
#   REPLICATIONS  --replications                               10
#   SCALESIM      the scalesim program                         scalesim (on the PATH)
#
# To run one failed shard again (say 3 of 8), in the same environment as the
# first submission (the merge refuses a shard of another sweep), then merge by
# hand (sbatch alone takes the CPUs from the #SBATCH line below):
#
#   SHARDS=8 sbatch --array=3 --cpus-per-task=4 examples/cluster/slurm.sh
#   scalesim merge shards/* --out results
#
# scalesim must be on the PATH of the compute nodes (or set SCALESIM to its path).

# Defaults for a task submitted with sbatch directly; the submission below
# sets --array and --cpus-per-task on the command line, which wins.
#SBATCH --job-name=scalesim-sweep
#SBATCH --array=1-8
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --output=scalesim-sweep-%A_%a.out

set -euo pipefail

SHARDS=${SHARDS:-8}
CPUS=${CPUS:-4}
SCENARIO=${SCENARIO:-scenarios/one-big-server.yaml}
CORES=${CORES:-4,6,8,12,16}
RATES=${RATES:-400:2000:100/s}
REPLICATIONS=${REPLICATIONS:-10}
SCALESIM=${SCALESIM:-scalesim}

# The sweep: the same arguments in every task; only --shard and --out differ.
SWEEP=(
  sweep "$SCENARIO"
  --vary "components.box.cores=$CORES"
  --vary "traffic.rate=$RATES"
  --replications "$REPLICATIONS"
  --metric latency_ms.p99 --metric latency_ms.mean
)

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  if [[ -n "${SLURM_JOB_ID:-}" ]]; then
    echo "this job is not an array task: submit with --array=1-$SHARDS" >&2
    exit 2
  fi
  # On the login node: submit the array, then the merge that depends on it.
  # Both jobs get this environment (--export=ALL), so that every task runs
  # the same sweep and finds scalesim on the same PATH.
  export SHARDS CPUS SCENARIO CORES RATES REPLICATIONS SCALESIM
  array=$(sbatch --parsable --export=ALL --array="1-$SHARDS" --cpus-per-task="$CPUS" "$0")
  array=${array%%;*} # --parsable prints "id" or "id;cluster"
  merge=$(sbatch --parsable --export=ALL \
    --job-name=scalesim-merge \
    --output=scalesim-merge-%j.out \
    --dependency=afterok:"$array" \
    --kill-on-invalid-dep=yes \
    --wrap "$(printf '%q' "$SCALESIM") merge shards/* --out results")
  echo "submitted the sweep as array job $array ($SHARDS shards) and its merge as job ${merge%%;*}"
  exit 0
fi

# In an array task: run shard K of N. Slurm numbers tasks as --array says, so
# the array must be 1-N (or a part of it, to run some shards again).
K=$SLURM_ARRAY_TASK_ID
if ((K < 1 || K > SHARDS)); then
  echo "array task $K is not a shard of $SHARDS: submit with --array=1-$SHARDS" >&2
  exit 2
fi
exec "$SCALESIM" "${SWEEP[@]}" \
  --shard "$K/$SHARDS" \
  --out "shards/$K" \
  --jobs "${SLURM_CPUS_PER_TASK:-1}" \
  --quiet
