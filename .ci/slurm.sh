#!/usr/bin/env bash
# Runs examples/cluster/slurm.sh on a real Slurm: starts a single-node cluster
# on this machine (munged, slurmctld and slurmd, everything under a temporary
# folder), submits the example's array job and merge job as its README says,
# waits for them, and checks that the merged results are byte for byte those
# of the same sweep run in one process. Installs Debian's slurm-wlm and munge
# first if they are missing; needs root. Stops the daemons and removes the
# temporary folder however it ends.
#
# SLURM_TIMEOUT (seconds, default 300) bounds the wait for the jobs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
started=$SECONDS

# A small sweep, so that the jobs finish in seconds: 2 x 3 points x 2
# replications in 3 shards of one CPU each. The example reads these.
export SHARDS=3 CPUS=1 SCENARIO=scenarios/one-big-server.yaml
export CORES=4,8 RATES=400:1200:400/s REPLICATIONS=2
# The sweep the example submits, for the run in one process: keep it in step
# with SWEEP=(...) in examples/cluster/slurm.sh.
sweep=(
  sweep "$SCENARIO"
  --vary "components.box.cores=$CORES"
  --vary "traffic.rate=$RATES"
  --replications "$REPLICATIONS"
  --metric latency_ms.p99 --metric latency_ms.mean
)
timeout=${SLURM_TIMEOUT:-300}

if ((EUID != 0)); then
  echo "slurm: run as root (the daemons run as root, munged as the munge user)" >&2
  exit 1
fi
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
  ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  echo "== installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi
if [[ ! -x target/release/scalesim ]]; then
  cargo build --release --quiet
fi

tmp=$(mktemp -d /tmp/scalesim-slurm.XXXXXX)
pids=() # the daemons, in the order they started

cleanup() {
  local status=$? pid i
  trap - EXIT INT TERM ERR
  set +e
  cd /
  # Jobs first, so that no job step outlives its slurmd.
  if ((${#job_ids[@]} > 0)); then
    scancel --quiet "${job_ids[@]}" 2>/dev/null || true
    for i in {1..20}; do
      [[ -z "$(squeue --noheader 2>/dev/null)" ]] && break
      sleep 0.5
    done
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for i in {1..20}; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  # Then whatever still works in the temporary folder: a task of a job that
  # did not stop.
  for i in /proc/[0-9]*; do
    if [[ "$(readlink "$i/cwd" 2>/dev/null)" == "$tmp"/* ]]; then
      kill -KILL "${i#/proc/}" 2>/dev/null || true
    fi
  done
  rm -rf "$tmp"
  exit "$status"
}
job_ids=()
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'echo "slurm: line $LINENO failed" >&2; logs' ERR

# Prints the logs of the daemons and of the jobs, on stderr.
logs() {
  local f
  for f in "$tmp"/log/* "$tmp"/work/*.out; do
    [[ -f "$f" ]] || continue
    echo "---- $f" >&2
    tail -n 40 "$f" >&2
  done
}

fail() {
  echo "slurm: $*" >&2
  logs
  exit 1
}

# Returns 0 if nothing listens on TCP port $1 of this machine.
port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Prints the first free port from $1 up.
free_port() {
  local port=$1
  while ! port_free "$port"; do
    port=$((port + 1))
  done
  echo "$port"
}

# Starts a daemon in the foreground, in the background of this script.
start() {
  local name=$1
  shift
  "$@" >"$tmp/log/$name.out" 2>&1 &
  pids+=($!)
}

node=$(hostname -s)
ctld_port=$(free_port 6817)
slurmd_port=$(free_port $((ctld_port + 1)))
mkdir -p "$tmp"/{log,state,spool,munge,work}
# munged runs as the munge user, in a folder of its own that every user can
# reach (it refuses a socket that others could not).
chmod 755 "$tmp"
chown munge:munge "$tmp/munge"
chmod 755 "$tmp/munge"
export SLURM_CONF=$tmp/slurm.conf

echo "== munge"
mungekey --create --keyfile="$tmp/munge/munge.key"
chown munge:munge "$tmp/munge/munge.key"
chmod 600 "$tmp/munge/munge.key"
start munged setpriv --reuid=munge --regid=munge --clear-groups \
  munged --foreground \
  --key-file="$tmp/munge/munge.key" \
  --socket="$tmp/munge/socket" \
  --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munge/munged.log" \
  --seed-file="$tmp/munge/munged.seed"
for _ in {1..50}; do
  [[ -S "$tmp/munge/socket" ]] && break
  kill -0 "${pids[0]}" 2>/dev/null || fail "munged stopped: $(cat "$tmp/log/munged.out")"
  sleep 0.1
done
[[ -S "$tmp/munge/socket" ]] || fail "munged did not open its socket"

echo "== slurm (node $node, ports $ctld_port and $slurmd_port)"
cat >"$SLURM_CONF" <<EOF
ClusterName=scalesim-ci
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/socket
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
ReturnToService=2
MailProg=/bin/true
MaxJobCount=100
MaxArraySize=64
MinJobAge=600
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=ci Nodes=$node Default=YES MaxTime=02:00:00 State=UP
EOF
start slurmctld slurmctld -D -f "$SLURM_CONF"
start slurmd slurmd -D -N "$node" -f "$SLURM_CONF"

deadline=$((SECONDS + 60))
until [[ "$(sinfo --noheader --nodes="$node" --format=%T 2>/dev/null)" == idle ]]; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || fail "a daemon stopped before the node was ready"
  done
  ((SECONDS < deadline)) || fail "node $node not idle after 60 s: $(sinfo 2>&1)"
  sleep 0.5
done
sinfo

echo "== the example: bash examples/cluster/slurm.sh ($SHARDS shards)"
# A folder the "compute nodes" share, holding the scenarios, as on a cluster.
mkdir -p "$tmp/work/examples"
cp -r examples/cluster "$tmp/work/examples/"
cp -r scenarios "$tmp/work/"
cd "$tmp/work"
export PATH=$repo/target/release:$PATH
submitted=$(bash examples/cluster/slurm.sh)
echo "$submitted"
array=$(sed -n 's/.*array job \([0-9]*\).*/\1/p' <<<"$submitted")
merge=$(sed -n 's/.*merge as job \([0-9]*\).*/\1/p' <<<"$submitted")
[[ -n "$array" && -n "$merge" ]] || fail "no job ids in: $submitted"
job_ids=("$array" "$merge")

# Prints "STATE REASON" for every job of $1 (every task of an array), one a
# line, or "ERROR message" if slurmctld does not answer.
states() {
  local out
  out=$(scontrol --oneliner show job "$1" 2>&1) || {
    echo "ERROR $out"
    return 0
  }
  sed -n 's/.*JobState=\([A-Z_]*\) Reason=\([^ ]*\).*/\1 \2/p' <<<"$out"
}

# Prints the jobs in full, on stderr.
show_jobs() {
  scontrol show job "$array" >&2 || true
  scontrol show job "$merge" >&2 || true
}

# A job is failed when it ended otherwise than COMPLETED, when slurmctld
# cannot tell, or when it waits for what cannot come (more CPUs than the node has, a time limit above the
# partition's, a dependency that failed).
hopeless='^(ERROR|BOOT_FAIL|CANCELLED|DEADLINE|FAILED|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|TIMEOUT)|'
hopeless+=' (BadConstraints|PartitionConfig|PartitionTimeLimit|PartitionNodeLimit|DependencyNeverSatisfied)$'
deadline=$((SECONDS + timeout))
while :; do
  sweep_states=$(states "$array")
  merge_state=$(states "$merge")
  if [[ "$merge_state" == COMPLETED* ]]; then
    break
  fi
  if grep -qE "$hopeless" <<<"$sweep_states"$'\n'"$merge_state"; then
    show_jobs
    fail "a job failed: sweep [$(paste -sd, <<<"$sweep_states")], merge [$merge_state]"
  fi
  if ((SECONDS >= deadline)); then
    show_jobs
    fail "the jobs did not finish within $timeout s: sweep [$(paste -sd, <<<"$sweep_states")], merge [$merge_state]"
  fi
  sleep 1
done
sweep_states=$(cut -d' ' -f1 <<<"$sweep_states")
if [[ "$(sort -u <<<"$sweep_states")" != COMPLETED ]] || (($(wc -l <<<"$sweep_states") != SHARDS)); then
  show_jobs
  fail "the merge ran but the sweep's tasks are: $(paste -sd, <<<"$sweep_states")"
fi
echo "sweep: $(paste -sd, <<<"$sweep_states"); merge: ${merge_state%% *}"
cat scalesim-merge-*.out

echo "== the merged results against the sweep run in one process"
scalesim "${sweep[@]}" --out whole --quiet
# The files each manifest lists (the manifest itself holds a pid and a time).
listed() {
  sed -n 's/^ *"name": "\(.*\)",\{0,1\}$/\1/p' "$1/results.manifest.json"
}
files=$(listed results)
[[ -n "$files" ]] || fail "results/results.manifest.json lists no file"
[[ "$files" == "$(listed whole)" ]] ||
  fail "the merge and the single run wrote different files: $(paste -sd' ' <<<"$files") against $(listed whole | paste -sd' ')"
while read -r file; do
  cmp "results/$file" "whole/$file" || fail "results/$file differs from the sweep run in one process"
done <<<"$files"
echo "$(wc -l <<<"$files") files identical: $(paste -sd' ' <<<"$files")"

echo "slurm: passed in $((SECONDS - started)) s"
