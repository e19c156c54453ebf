#!/usr/bin/env bash
# A scalesim sweep on a Slurm cluster: a job array runs one shard of the sweep
# per task, and a second job, which waits for every task to succeed, merges the
# shards into the results, charts and report of the whole sweep.
#
# Submit both jobs from a login node, in a folder on a file system that the
# compute nodes share (the shards are written to shards/K, the results to results/):
#
#   bash examples/cluster/slurm.sh               # 8 shards
#   SHARDS=32 bash examples/cluster/slurm.sh     # 32 shards
#
# which runs, in effect:
#
#   array=$(sbatch --parsable --array=1-8 examples/cluster/slurm.sh)
#   sbatch --dependency=afterok:$array --kill-on-invalid-dep=yes \
#          --wrap "scalesim merge shards/* --out results"
#
# To run one failed shard again (say 3 of 8), then merge by hand:
#
#   SHARDS=8 sbatch --array=3 examples/cluster/slurm.sh
#   scalesim merge shards/* --out results
#
# scalesim must be on the PATH of the compute nodes (or set SCALESIM to its path).

#SBATCH --job-name=scalesim-sweep
#SBATCH --array=1-8
#SBATCH --cpus-per-task=4
#SBATCH --time=01:00:00
#SBATCH --output=scalesim-sweep-%A_%a.out

set -euo pipefail

# The sweep: the same arguments in every task; only --shard and --out differ.
SWEEP=(
  sweep scenarios/one-big-server.yaml
  --vary components.box.cores=4,6,8,12,16
  --vary traffic.rate=400:2000:100/s
  --replications 10
  --metric latency_ms.p99 --metric latency_ms.mean
)
SHARDS=${SHARDS:-8}
SCALESIM=${SCALESIM:-scalesim}

if [[ -z "${SLURM_ARRAY_TASK_ID:-}" ]]; then
  if [[ -n "${SLURM_JOB_ID:-}" ]]; then
    echo "this job is not an array task: submit with --array=1-$SHARDS" >&2
    exit 2
  fi
  # On the login node: submit the array, then the merge that depends on it.
  array=$(sbatch --parsable --array="1-$SHARDS" --export=ALL,SHARDS="$SHARDS" "$0")
  array=${array%%;*} # --parsable prints "id" or "id;cluster"
  merge=$(sbatch --parsable \
    --job-name=scalesim-merge \
    --output=scalesim-merge-%j.out \
    --dependency=afterok:"$array" \
    --kill-on-invalid-dep=yes \
    --wrap "$SCALESIM merge shards/* --out results")
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
