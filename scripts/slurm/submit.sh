#!/usr/bin/env bash
# Submits a simsgd run to Slurm as N shards: a job array of N tasks, task I
# running `simsgd run RUN_ARGS --shard I/N --json` into DIR/shard-I.json, and a
# merge job that starts once every task has succeeded (afterok) and runs
# `simsgd merge` into DIR/merged.json (and DIR/merged.csv with --csv): exactly
# the report of the whole run in one process. See README, "Running on a Slurm
# cluster". DIR and the simsgd binary must be on a file system the nodes share.
set -euo pipefail
# shellcheck disable=SC2034 # used by common.sh
prog=submit
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"

usage() {
    cat <<'USAGE'
usage: scripts/slurm/submit.sh -n N -o DIR [options] -- RUN_ARGS...

Submits `simsgd run RUN_ARGS` as an array of N shards and a merge job.
Results: DIR/shard-I.json (each shard), DIR/merged.json (the whole run),
DIR/merged.csv (with --csv), logs in DIR/logs, job ids in DIR/jobs.txt.

  -n, --shards N           number of shards (array tasks); required
  -o, --out DIR            output directory, created; required
      --csv                also write DIR/merged.csv
  -p, --partition NAME     partition        [$SIMSGD_SLURM_PARTITION, else the cluster's default]
  -t, --time LIMIT         per shard        [$SIMSGD_SLURM_TIME, else 01:00:00]
  -c, --cpus-per-task C    per shard        [$SIMSGD_SLURM_CPUS, else 1]
      --mem MEM            per shard        [$SIMSGD_SLURM_MEM, else the cluster's default]
      --gres GRES          per shard, e.g. gpu:1 with --backend gpu  [$SIMSGD_SLURM_GRES, else none]
  -A, --account NAME       account          [$SIMSGD_SLURM_ACCOUNT, else none]
      --max-parallel K     at most K shards at once (--array=0-(N-1)%K)
      --merge-time LIMIT   the merge job's time limit [00:10:00]
      --sbatch-arg ARG     one more sbatch option for both jobs; repeatable
      --bin PATH           simsgd binary [$SIMSGD_BIN, else target/release/simsgd, else on PATH]
      --force              replace earlier results in DIR
      --dry-run            print the sbatch commands instead of submitting
  -h, --help               this message

Prints array_job=ID and merge_job=ID on stdout. Example:
  scripts/slurm/submit.sh -n 16 -o runs/arch --gres gpu:1 -- \
      archimedes --trials 16000000 --steps 10000 --backend gpu
USAGE
}

shards='' out='' csv=0 force=0 dry=0 bin='' max_parallel=''
partition=${SIMSGD_SLURM_PARTITION:-}
time_limit=${SIMSGD_SLURM_TIME:-01:00:00}
cpus=${SIMSGD_SLURM_CPUS:-1}
mem=${SIMSGD_SLURM_MEM:-}
gres=${SIMSGD_SLURM_GRES:-}
account=${SIMSGD_SLURM_ACCOUNT:-}
merge_time=00:10:00
extra=()
need() { [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -n | --shards) need "$1" $#; shards=$2; shift 2 ;;
        -o | --out) need "$1" $#; out=$2; shift 2 ;;
        --csv) csv=1; shift ;;
        -p | --partition) need "$1" $#; partition=$2; shift 2 ;;
        -t | --time) need "$1" $#; time_limit=$2; shift 2 ;;
        -c | --cpus-per-task) need "$1" $#; cpus=$2; shift 2 ;;
        --mem) need "$1" $#; mem=$2; shift 2 ;;
        --gres) need "$1" $#; gres=$2; shift 2 ;;
        -A | --account) need "$1" $#; account=$2; shift 2 ;;
        --max-parallel) need "$1" $#; max_parallel=$2; shift 2 ;;
        --merge-time) need "$1" $#; merge_time=$2; shift 2 ;;
        --sbatch-arg) need "$1" $#; extra+=("$2"); shift 2 ;;
        --bin) need "$1" $#; bin=$2; shift 2 ;;
        --force) force=1; shift ;;
        --dry-run) dry=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        *) die "unknown option '$1' (the run arguments go after --; see --help)" ;;
    esac
done
[ -n "$shards" ] || die "-n N (the number of shards) is required (see --help)"
[ -n "$out" ] || die "-o DIR (the output directory) is required (see --help)"
check_shards "$shards"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus-per-task must be a positive integer, not '$cpus'"
if [ -n "$max_parallel" ] && [[ ! "$max_parallel" =~ ^[1-9][0-9]*$ ]]; then
    die "--max-parallel must be a positive integer, not '$max_parallel'"
fi
check_run_args "$@"
if [ "$dry" = 0 ]; then
    command -v sbatch >/dev/null 2>&1 || die "sbatch not found: not a Slurm submit host (scripts/slurm/local.sh runs the shards here)" 1
fi
bin=$(resolve_bin "$bin")
if [ "$dry" = 1 ]; then
    out_abs=$(realpath -m "$out")
else
    out_abs=$(prepare_out "$out" "$force")
fi

common=()
[ -n "$partition" ] && common+=(--partition="$partition")
[ -n "$account" ] && common+=(--account="$account")
common+=("${extra[@]}")

array=0-$((shards - 1))
[ -n "$max_parallel" ] && array+="%$max_parallel"
shard_cmd=(sbatch --parsable --job-name=simsgd-shard --array="$array"
    --time="$time_limit" --cpus-per-task="$cpus" --ntasks=1
    --output="$out_abs/logs/shard-%a.log" "${common[@]}")
[ -n "$mem" ] && shard_cmd+=(--mem="$mem")
[ -n "$gres" ] && shard_cmd+=(--gres="$gres")
shard_cmd+=("$here/run-shard.sh" --out "$out_abs" --shards "$shards" --bin "$bin" -- "$@")

merge_opts=()
[ "$csv" = 1 ] && merge_opts+=(--csv)
merge_cmd=(sbatch --parsable --job-name=simsgd-merge --time="$merge_time"
    --cpus-per-task=1 --ntasks=1 --output="$out_abs/logs/merge.log" "${common[@]}"
    --kill-on-invalid-dep=yes --dependency=afterok:ARRAY_JOB
    "$here/merge-shards.sh" --out "$out_abs" --shards "$shards" --bin "$bin" "${merge_opts[@]}")

if [ "$dry" = 1 ]; then
    printf '%q ' "${shard_cmd[@]}"; echo
    printf '%q ' "${merge_cmd[@]}"; echo
    exit 0
fi

array_job=$("${shard_cmd[@]}") || die "sbatch refused the shard array (see its message above)" 1
array_job=${array_job%%;*}
merge_cmd=("${merge_cmd[@]/#--dependency=afterok:ARRAY_JOB/--dependency=afterok:$array_job}")
if ! merge_job=$("${merge_cmd[@]}"); then
    die "sbatch refused the merge job; the shards (array job $array_job) run anyway: merge them with scripts/slurm/merge-shards.sh --out $out_abs --shards $shards --bin $bin" 1
fi
merge_job=${merge_job%%;*}
{
    echo "array_job=$array_job"
    echo "merge_job=$merge_job"
    printf 'command='; printf '%q ' "$bin" run "$@"; echo
    echo "shards=$shards"
} >"$out_abs/jobs.txt"
echo "submit: $shards shards as array job $array_job, merge job $merge_job; results in $out_abs" >&2
echo "array_job=$array_job"
echo "merge_job=$merge_job"
