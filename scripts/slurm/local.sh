#!/usr/bin/env bash
# Runs a simsgd run as N shards on this machine, P at a time (xargs -P), then
# merges them: the outputs of scripts/slurm/submit.sh without Slurm
# (DIR/shard-I.json, DIR/merged.json, DIR/merged.csv with --csv, DIR/logs).
set -euo pipefail
# shellcheck disable=SC2034 # used by common.sh
prog=local
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$here/common.sh"

usage() {
    cat <<'USAGE'
usage: scripts/slurm/local.sh -n N -o DIR [options] -- RUN_ARGS...

Runs `simsgd run RUN_ARGS` as N shards here, P at a time, then merges them.
Results: DIR/shard-I.json (each shard), DIR/merged.json (the whole run),
DIR/merged.csv (with --csv), logs in DIR/logs.

  -n, --shards N     number of shards; required
  -o, --out DIR      output directory, created; required
  -j, --jobs P       shards at once [$(nproc)]; each CPU shard uses every core
                     unless the run arguments include --threads
      --csv          also write DIR/merged.csv
      --bin PATH     simsgd binary [$SIMSGD_BIN, else target/release/simsgd, else on PATH]
      --force        replace earlier results in DIR
  -h, --help         this message
USAGE
}

shards='' out='' jobs='' csv=0 force=0 bin=''
need() { [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"; }
while [ $# -gt 0 ]; do
    case "$1" in
        -n | --shards) need "$1" $#; shards=$2; shift 2 ;;
        -o | --out) need "$1" $#; out=$2; shift 2 ;;
        -j | --jobs) need "$1" $#; jobs=$2; shift 2 ;;
        --csv) csv=1; shift ;;
        --bin) need "$1" $#; bin=$2; shift 2 ;;
        --force) force=1; shift ;;
        -h | --help) usage; exit 0 ;;
        --) shift; break ;;
        *) die "unknown option '$1' (the run arguments go after --; see --help)" ;;
    esac
done
[ -n "$shards" ] || die "-n N (the number of shards) is required (see --help)"
[ -n "$out" ] || die "-o DIR (the output directory) is required (see --help)"
check_shards "$shards"
jobs=${jobs:-$(nproc)}
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "--jobs must be a positive integer, not '$jobs'"
check_run_args "$@"
bin=$(resolve_bin "$bin")
out=$(prepare_out "$out" "$force")

start=$SECONDS
# xargs replaces {} with the shard index; it exits 123 when a shard failed.
status=0
seq 0 $((shards - 1)) | xargs -P "$jobs" -I{} \
    bash "$here/run-shard.sh" --out "$out" --shards "$shards" --bin "$bin" --index {} --log -- "$@" ||
    status=$?
if [ "$status" -ne 0 ]; then
    failed=()
    for ((i = 0; i < shards; i++)); do
        [ -f "$out/shard-$i.json" ] || failed+=("$i")
    done
    die "shard(s) ${failed[*]:-?} of $shards failed: see $out/logs/shard-${failed[0]:-0}.log" 1
fi
merge_opts=()
[ "$csv" = 1 ] && merge_opts+=(--csv)
bash "$here/merge-shards.sh" --out "$out" --shards "$shards" --bin "$bin" --log "${merge_opts[@]}" ||
    die "the merge failed: see $out/logs/merge.log" 1
echo "local: $shards shards merged in $((SECONDS - start)) s: $out/merged.json" >&2
