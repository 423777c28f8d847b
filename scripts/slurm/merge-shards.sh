#!/usr/bin/env bash
# Merges the N shard reports of a sharded simsgd run (DIR/shard-0.json …
# DIR/shard-(N−1).json) into DIR/merged.json, and DIR/merged.csv with --csv:
# the merge job of scripts/slurm/submit.sh and the last step of
# scripts/slurm/local.sh. Self-contained, since sbatch runs a copy of it.
#
#   merge-shards.sh --out DIR --shards N --bin SIMSGD [--csv] [--log]
#
# merged.json is written atomically (a temporary name in DIR, then mv). Exit
# status: simsgd merge's (2: bad or inconsistent shards), 2 for bad arguments or
# a missing shard, 1 when the report cannot be written.
set -euo pipefail

die() { echo "merge-shards: $1" >&2; exit "${2:-2}"; }

out='' shards='' bin='' csv=0 log=0
while [ $# -gt 0 ]; do
    case "$1" in
        --out) [ $# -ge 2 ] || die "--out needs a value"; out=$2; shift 2 ;;
        --shards) [ $# -ge 2 ] || die "--shards needs a value"; shards=$2; shift 2 ;;
        --bin) [ $# -ge 2 ] || die "--bin needs a value"; bin=$2; shift 2 ;;
        --csv) csv=1; shift ;;
        --log) log=1; shift ;;
        *) die "unknown argument '$1' (usage: merge-shards.sh --out DIR --shards N --bin SIMSGD [--csv] [--log])" ;;
    esac
done
if [ -z "$out" ] || [ -z "$shards" ] || [ -z "$bin" ]; then die "--out, --shards and --bin are required"; fi
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "--shards must be a positive integer, not '$shards'"
[ -d "$out" ] || die "output directory '$out' does not exist" 1

if [ "$log" = 1 ]; then
    mkdir -p "$out/logs"
    exec 2>"$out/logs/merge.log"
fi

files=()
for ((i = 0; i < shards; i++)); do
    [ -f "$out/shard-$i.json" ] || die "shard $i of $shards is missing ($out/shard-$i.json)"
    files+=("$out/shard-$i.json")
done

extra=()
[ "$csv" = 1 ] && extra=(--csv "$out/merged.csv")
tmp=$(mktemp "$out/.merged.json.XXXXXX") || die "cannot create a temporary file in '$out'" 1
trap 'rm -f "$tmp"' EXIT
printf -v cmd '%q ' "$bin" merge "${files[@]}" --json "${extra[@]}"
echo "merge-shards: ${cmd% }" >&2
# The one place the merged report is produced (depends on simsgd merge).
status=0
"$bin" merge "${files[@]}" --json "${extra[@]}" >"$tmp" || status=$?
if [ "$status" -ne 0 ]; then
    echo "merge-shards: simsgd merge failed (exit $status)" >&2
    exit "$status"
fi
chmod 644 "$tmp"
mv -f "$tmp" "$out/merged.json"
trap - EXIT
echo "merge-shards: wrote $out/merged.json${extra[*]:+ and $out/merged.csv}" >&2
