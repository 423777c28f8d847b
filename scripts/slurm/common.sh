# Shared by submit.sh and local.sh (sourced, not run): the checks of their
# common arguments and the output directory's set-up. run-shard.sh and
# merge-shards.sh do not use it: sbatch runs copies of them.
# shellcheck shell=bash

prog=${prog:-slurm}

# die MESSAGE [STATUS]: one line on stderr, exit STATUS (default 2: bad arguments).
die() { echo "$prog: $1" >&2; exit "${2:-2}"; }

# check_shards N
check_shards() {
    [[ "$1" =~ ^[1-9][0-9]*$ ]] || die "the number of shards must be a positive integer, not '$1'"
}

# check_run_args ARG...: the arguments of `simsgd run`, without the ones the
# scripts add themselves.
check_run_args() {
    [ $# -gt 0 ] || die "no simsgd run arguments (give them after --, e.g. -- gauss --trials 100000)"
    local arg
    for arg in "$@"; do
        case "$arg" in
            --shard | --shard=* | --json | --json=* | --csv | --csv=*)
                die "the run arguments must not include ${arg%%=*}: each shard gets --shard I/N --json, and --csv goes to the merge" ;;
            -h | --help) die "the run arguments must not include $arg (see simsgd run --help)" ;;
        esac
    done
    case "$1" in
        -*) die "the run arguments start with the landscape (e.g. -- gauss --trials 100000), not '$1'" ;;
    esac
}

# resolve_bin [PATH]: the simsgd binary as an absolute path, on stdout. Default:
# $SIMSGD_BIN, else this checkout's target/release/simsgd, else simsgd on PATH.
resolve_bin() {
    local bin=${1:-${SIMSGD_BIN:-}}
    local repo
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    if [ -z "$bin" ]; then
        if [ -x "$repo/target/release/simsgd" ]; then
            bin=$repo/target/release/simsgd
        elif command -v simsgd >/dev/null 2>&1; then
            bin=$(command -v simsgd)
        else
            die "no simsgd binary: build it (cargo build --release), put it on PATH, or pass --bin or SIMSGD_BIN" 1
        fi
    fi
    if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
        die "simsgd binary '$bin' is not an executable file"
    fi
    (cd "$(dirname "$bin")" && echo "$(pwd -P)/$(basename "$bin")")
}

# prepare_out DIR FORCE: creates DIR and DIR/logs; refuses earlier results in
# DIR unless FORCE is 1, which removes them. Prints DIR as an absolute path.
prepare_out() {
    local out=$1 force=$2
    mkdir -p "$out/logs" 2>/dev/null || die "cannot create the output directory '$out'" 1
    out=$(cd "$out" && pwd -P)
    local old=() f
    for f in "$out"/shard-*.json "$out"/merged.json "$out"/merged.csv; do
        [ -e "$f" ] && old+=("$f")
    done
    if [ "${#old[@]}" -gt 0 ]; then
        [ "$force" = 1 ] || die "'$out' already holds results ($(basename "${old[0]}")…): choose another directory or pass --force to replace them"
        rm -f "${old[@]}" "$out"/logs/shard-*.log "$out"/logs/merge.log
    fi
    echo "$out"
}
