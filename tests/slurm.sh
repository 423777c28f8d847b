#!/usr/bin/env bash
# The sharded runs end to end (scripts/slurm): the launchers' argument checks,
# a failing shard, the local launcher (xargs) and a real single-node Slurm
# (scripts/slurm/local-cluster.sh) running a 4-task array and its merge job;
# each sharded run's merged report must equal the one-process report exactly.
#
#   bash tests/slurm.sh        (scripts/test.sh runs it after cargo test)
#
# Binary: $SIMSGD_BIN, default target/release/simsgd. The Slurm part needs
# root and apt-get (or slurm-wlm and munge installed); where the cluster
# cannot start, or with SIMSGD_TEST_SLURM=0, it prints one `SKIP: slurm: …`
# line and the rest still runs. SIMSGD_SLURM_TIMEOUT bounds the wait for the
# jobs (default 300 s).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)

fail() { echo "FAIL: slurm.sh: $1" >&2; exit 1; }
ok() { echo "ok: $1"; }

bin=${SIMSGD_BIN:-target/release/simsgd}
[ -x "$bin" ] || fail "no simsgd binary at $bin (cargo build --release, or set SIMSGD_BIN)"
bin=$(cd "$(dirname "$bin")" && echo "$(pwd -P)/$(basename "$bin")")
tmp=$(mktemp -d)
started_cluster=0
cleanup() {
    if [ "$started_cluster" = 1 ]; then
        bash "$repo/scripts/slurm/local-cluster.sh" stop >/dev/null 2>&1 || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

run_args=(gauss --trials 4000 --steps 10 --backend cpu)
shards=4

# Does this simsgd shard (run --shard I/N --json, merge)? Until it does, the
# launchers run a stand-in and the equality checks are skipped.
run_help=$("$bin" run --help 2>&1 || true)
if [[ "$run_help" == *--shard* ]] && "$bin" merge --help >/dev/null 2>&1; then
    sharding=1
    "$bin" run "${run_args[@]}" --json >"$tmp/whole.json"
else
    sharding=0
    echo "SKIP: equality: $bin has no 'run --shard' and 'merge' (the shard branch); the launchers run a stand-in"
fi

# A stand-in simsgd: `run … --shard I/N --json` prints {"shard": "I/N"} (exit 3
# for shard $FAKE_FAIL_SHARD), `merge FILES --json` lists them in order.
fake=$tmp/fake/simsgd
mkdir -p "$tmp/fake"
cat >"$fake" <<'FAKE'
#!/usr/bin/env bash
set -euo pipefail
cmd=$1; shift
shard='' files=()
while [ $# -gt 0 ]; do
    case "$1" in
        --shard) shard=$2; shift 2 ;;
        --csv) echo shard >"$2"; shift 2 ;;
        *.json) files+=("$(cat "$1")"); shift ;;
        *) shift ;;
    esac
done
case "$cmd" in
    run) [ "${shard%/*}" != "${FAKE_FAIL_SHARD:-}" ] || { echo "simsgd: failing on purpose" >&2; exit 3; }
         echo "{\"shard\": \"$shard\"}" ;;
    merge) (IFS=,; echo "[${files[*]}]") ;;
esac
FAKE
chmod +x "$fake"
fake_merged="[{\"shard\": \"0/$shards\"},{\"shard\": \"1/$shards\"},{\"shard\": \"2/$shards\"},{\"shard\": \"3/$shards\"}]"

# same_report MERGED: MERGED equals the one-process report, every number
# exactly, but for the fields below (timing, and what differs by machine).
ignored='elapsed_s threads'
same_report() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - "$tmp/whole.json" "$1" "$ignored" <<'PY'
import json, sys
whole, merged = (json.load(open(p)) for p in sys.argv[1:3])
ignored = set(sys.argv[3].split())
def diff(a, b, path):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if path == "" and k in ignored:
                continue
            if k not in b:
                return f"{path}.{k}: missing from the merged report"
            d = diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} entries, merged {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b and isinstance(a, bool) == isinstance(b, bool) else f"{path}: {a!r} in one process, {b!r} merged"
d = diff(whole, merged, "")
if d:
    print(d)
    sys.exit(1)
PY
    elif command -v jq >/dev/null 2>&1; then
        # Without Python: the metrics alone.
        [ "$(jq -S .metrics "$tmp/whole.json")" = "$(jq -S .metrics "$1")" ] || { echo ".metrics differ (jq)"; return 1; }
    else
        echo "neither python3 nor jq to compare the reports"
        return 1
    fi
}

# expect_status WANT COMMAND…: COMMAND exits WANT with one line on stderr.
expect_status() {
    local want=$1 status=0 err
    shift
    err=$("$@" 2>&1 >/dev/null) || status=$?
    [ "$status" = "$want" ] || fail "exit $status, not $want: $* ($err)"
    [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] || fail "not a one-line error: $* ($err)"
}

# --- the launchers' argument checks -----------------------------------------
submit=scripts/slurm/submit.sh
local_sh=scripts/slurm/local.sh
expect_status 2 bash "$submit"
expect_status 2 bash "$submit" -n 0 -o "$tmp/x" -- gauss
expect_status 2 bash "$submit" -n 2 -o "$tmp/x"
expect_status 2 bash "$submit" -n 2 -o "$tmp/x" -- gauss --json
expect_status 2 bash "$submit" -n 2 -o "$tmp/x" --cpus-per-task 0 -- gauss
expect_status 2 bash "$local_sh" -n 2 -o "$tmp/x" --bogus -- gauss
expect_status 2 bash "$local_sh" -n 2 -o "$tmp/x" --bin "$tmp/none" -- gauss
expect_status 2 bash "$local_sh" -n two -o "$tmp/x" -- gauss
[ ! -e "$tmp/x" ] || fail "a refused command created its output directory"
dry=$(bash "$submit" -n 4 -o "$tmp/x" --gres gpu:1 -p gpu --dry-run --bin "$bin" -- "${run_args[@]}")
[[ "$dry" == *"--array=0-3 "*"--gres=gpu:1 "*"--partition=gpu"* ]] || [[ "$dry" == *"--array=0-3 "*"--partition=gpu"*"--gres=gpu:1 "* ]] ||
    fail "submit.sh --dry-run: no array of 4 with the partition and gres: $dry"
[[ "$dry" == *"--dependency=afterok:"* ]] || fail "submit.sh --dry-run: no afterok merge job: $dry"
ok "the launchers refuse bad arguments (exit 2, one line); submit.sh --dry-run"

# --- a failing shard: no merged report --------------------------------------
status=0
FAKE_FAIL_SHARD=2 bash "$local_sh" -n "$shards" -o "$tmp/fail" --bin "$fake" -- gauss 2>/dev/null || status=$?
[ "$status" = 1 ] || fail "local.sh with a failing shard: exit $status, not 1"
[ ! -e "$tmp/fail/merged.json" ] || fail "local.sh merged despite a failing shard"
grep -q "failing on purpose" "$tmp/fail/logs/shard-2.log" || fail "the failing shard's log lacks simsgd's message"
expect_status 2 bash "$local_sh" -n "$shards" -o "$tmp/fail" --bin "$fake" -- gauss
ok "local.sh: a failing shard stops the merge (exit 1, its log kept); earlier results are not overwritten"

# check_layout DIR BIN: the outputs of a sharded run.
check_layout() {
    local dir=$1 i
    for ((i = 0; i < shards; i++)); do
        [ -s "$dir/shard-$i.json" ] || fail "$dir/shard-$i.json missing"
        [ -s "$dir/logs/shard-$i.log" ] || fail "$dir/logs/shard-$i.log missing"
    done
    [ -s "$dir/merged.json" ] || fail "$dir/merged.json missing"
    [ -s "$dir/logs/merge.log" ] || fail "$dir/logs/merge.log missing"
    local hidden=("$dir"/.shard-* "$dir"/.merged*)
    for i in "${hidden[@]}"; do
        [ ! -e "$i" ] || fail "temporary file $i left"
    done
    if [ "$2" = "$fake" ]; then
        [ "$(tr -d '\n' <"$dir/merged.json")" = "$fake_merged" ] || fail "$dir/merged.json: $(cat "$dir/merged.json")"
    else
        local d
        d=$(same_report "$dir/merged.json") || fail "$dir/merged.json differs from the one-process report: $d"
    fi
}

# --- the local launcher (xargs -P) ------------------------------------------
launcher_bin=$fake
[ "$sharding" = 1 ] && launcher_bin=$bin
start=$SECONDS
bash "$local_sh" -n "$shards" -o "$tmp/local" --bin "$launcher_bin" -- "${run_args[@]}" 2>/dev/null ||
    fail "local.sh failed: $(cat "$tmp"/local/logs/*.log 2>/dev/null | tail -n 3)"
check_layout "$tmp/local" "$launcher_bin"
if [ "$sharding" = 1 ]; then
    ok "local.sh: $shards shards merged equal the one-process report ($((SECONDS - start)) s)"
else
    ok "local.sh: $shards shards and their merge, with the stand-in ($((SECONDS - start)) s)"
fi

# --- a real single-node Slurm -----------------------------------------------
skip_slurm() { echo "SKIP: slurm: $1"; exit 0; }
[ "${SIMSGD_TEST_SLURM:-1}" != 0 ] || skip_slurm "SIMSGD_TEST_SLURM=0"
[ "$(id -u)" -eq 0 ] || skip_slurm "not root (scripts/slurm/local-cluster.sh runs the daemons as root)"
cluster=scripts/slurm/local-cluster.sh
if ! bash "$cluster" status >/dev/null 2>&1; then
    started_cluster=1
fi
start=$SECONDS
if ! env_line=$(bash "$cluster" start 2>"$tmp/cluster.err"); then
    skip_slurm "$(tail -n 1 "$tmp/cluster.err")"
fi
eval "$env_line"
ok "local Slurm cluster up ($((SECONDS - start)) s): $(sinfo -h -o '%P %D node(s) %c CPUs %T')"

timeout_s=${SIMSGD_SLURM_TIMEOUT:-300}
# job_states ID: the states of a job (one per array task), sorted, unique.
job_states() { scontrol show job -o "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort -u | tr '\n' ' '; }
start=$SECONDS
ids=$(bash "$submit" -n "$shards" -o "$tmp/slurm" --csv --time 00:05:00 --bin "$launcher_bin" \
    -- "${run_args[@]}" 2>"$tmp/submit.err") || fail "submit.sh failed: $(tail -n 1 "$tmp/submit.err")"
array_job=$(sed -n 's/^array_job=//p' <<<"$ids")
merge_job=$(sed -n 's/^merge_job=//p' <<<"$ids")
if [ -z "$array_job" ] || [ -z "$merge_job" ]; then fail "submit.sh printed no job ids: $ids"; fi
while :; do
    state=$(job_states "$merge_job")
    case "$state" in
        "PENDING " | "RUNNING " | "COMPLETING " | "CONFIGURING " | "") ;;
        *) break ;;
    esac
    if ((SECONDS - start > timeout_s)); then
        scancel "$array_job" "$merge_job" 2>/dev/null || true
        fail "the jobs did not finish within ${timeout_s}s (array: $(job_states "$array_job"), merge: $state)"
    fi
    sleep 1
done
[ "$(job_states "$array_job")" = "COMPLETED " ] ||
    fail "array job $array_job: $(job_states "$array_job")($(tail -n 2 "$tmp"/slurm/logs/shard-*.log 2>/dev/null | tr '\n' ' '))"
[ "$state" = "COMPLETED " ] || fail "merge job $merge_job: $state($(tail -n 2 "$tmp/slurm/logs/merge.log" 2>/dev/null | tr '\n' ' '))"
check_layout "$tmp/slurm" "$launcher_bin"
[ -s "$tmp/slurm/merged.csv" ] || fail "no merged.csv"
if [ "$sharding" = 1 ]; then
    ok "slurm: array job $array_job ($shards tasks) and merge job $merge_job in $((SECONDS - start)) s; merged equals the one-process report"
else
    ok "slurm: array job $array_job ($shards tasks) and merge job $merge_job in $((SECONDS - start)) s, with the stand-in"
fi
