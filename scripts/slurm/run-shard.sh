#!/usr/bin/env bash
# One shard of a sharded simsgd run: the job that each task of the Slurm array
# (scripts/slurm/submit.sh) and each process of the local launcher
# (scripts/slurm/local.sh) runs. Self-contained, since sbatch runs a copy of it.
#
#   run-shard.sh --out DIR --shards N --bin SIMSGD [--index I] [--log] -- RUN_ARGS...
#
# Runs `SIMSGD run RUN_ARGS --shard I/N --json` and writes its report to
# DIR/shard-I.json atomically (a temporary name in DIR, then mv), so a file of
# that name is always a complete report. I defaults to $SLURM_ARRAY_TASK_ID.
# --log sends this script's stderr to DIR/logs/shard-I.log (the local launcher;
# under Slurm, sbatch --output does that). Exit status: simsgd's (2: bad
# arguments), 2 for bad arguments to this script, 1 when the report cannot be
# written.
set -euo pipefail

die() { echo "run-shard: $1" >&2; exit "${2:-2}"; }

out='' shards='' bin='' index="${SLURM_ARRAY_TASK_ID:-}" log=0
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
        --shards) [ $# -ge 2 ] || die "--shards needs a value"; shards=$2; shift 2 ;;
        --bin) [ $# -ge 2 ] || die "--bin needs a value"; bin=$2; shift 2 ;;
        --index) [ $# -ge 2 ] || die "--index needs a value"; index=$2; shift 2 ;;
        --log) log=1; shift ;;
        --) shift; break ;;
        *) die "unknown argument '$1' (usage: run-shard.sh --out DIR --shards N --bin SIMSGD [--index I] [--log] -- RUN_ARGS...)" ;;
    esac
done
if [ -z "$out" ] || [ -z "$shards" ] || [ -z "$bin" ]; then die "--out, --shards and --bin are required"; fi
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "--shards must be a positive integer, not '$shards'"
[[ "$index" =~ ^(0|[1-9][0-9]*)$ ]] || die "no shard index: pass --index or run as a Slurm array task"
[ "$index" -lt "$shards" ] || die "shard index $index is not below the number of shards $shards"
[ $# -gt 0 ] || die "no run arguments after --"
[ -d "$out" ] || die "output directory '$out' does not exist" 1

if [ "$log" = 1 ]; then
    mkdir -p "$out/logs"
    exec 2>"$out/logs/shard-$index.log"
fi

dest="$out/shard-$index.json"
tmp=$(mktemp "$out/.shard-$index.json.XXXXXX") || die "cannot create a temporary file in '$out'" 1
trap 'rm -f "$tmp"' EXIT
printf -v cmd '%q ' "$bin" run "$@" --shard "$index/$shards" --json
echo "run-shard: shard $index/$shards on $(hostname): ${cmd% }" >&2
# The one place a shard's report is produced (depends on simsgd's --shard and --json).
status=0
"$bin" run "$@" --shard "$index/$shards" --json >"$tmp" || status=$?
if [ "$status" -ne 0 ]; then
    echo "run-shard: shard $index/$shards failed (exit $status)" >&2
    exit "$status"
fi
chmod 644 "$tmp"
mv -f "$tmp" "$dest"
trap - EXIT
echo "run-shard: wrote $dest" >&2
