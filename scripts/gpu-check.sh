#!/usr/bin/env bash
# The GPU check: one prepared run on a machine with a GPU (under 5 minutes on
# an H100/H200; nothing is fetched or built there), or at small sizes on
# lavapipe (`--small`, as CI runs it after the tests).
#
#   scripts/gpu-check.sh [--small] [--no-tests] [--out DIR]
#
# 1. the adapter: a hardware GPU unless --small (SIMSGD_ADAPTER picks one by name);
# 2. the GPU tests of the test suite (SIMSGD_REQUIRE_GPU=1), from the built test binary
#    (not with --no-tests: scripts/test.sh has just run them in `cargo test`);
# 3. CPU and GPU on the same trials: a wide run (10^6 trials × 100 steps) and a long one
#    (10^3 trials × 10^5 steps); their means must agree within 5 combined standard errors;
# 4. throughput, end to end, of every landscape × workload on the GPU (10^6 trials ×
#    10^4 steps for fresh SGD), and archimedes fresh SGD beside the CPU backend and the
#    GPU peers (`simsgd bench`): PyTorch eager and compiled (each a row with the reason
#    where PyTorch or CUDA is missing) and JAX where it runs on the GPU; a sweep of 8 η
#    fused (SIMSGD_FUSE=1) and one point after another (SIMSGD_FUSE=0); on a hardware
#    GPU, 4 shards of a run merged against the run, and the run on every GPU (--devices all);
# 5. a summary on stdout and everything as JSON in DIR/gpu-check.json.
#
# Binaries: $SIMSGD_BIN (default target/release/simsgd) and $SIMSGD_SUITE (default the
# newest target/release/deps/suite-*), built beforehand with `cargo build --release` and
# `cargo test --release --no-run` and carried to the GPU machine.
set -euo pipefail
cd "$(dirname "$0")/.."

small=0
tests=1
out=results/gpu-check
while [ $# -gt 0 ]; do
    case "$1" in
        --small) small=1 ;;
        --no-tests) tests=0 ;;
        --out) out=$2; shift ;;
        *) echo "gpu-check: unknown argument '$1' (usage: scripts/gpu-check.sh [--small] [--no-tests] [--out DIR])" >&2; exit 2 ;;
    esac
    shift
done
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
bin=${SIMSGD_BIN:-target/release/simsgd}
suite=${SIMSGD_SUITE:-$(ls -t target/release/deps/suite-* 2>/dev/null | grep -v '\.d$' | head -n 1 || true)}
[ -x "$bin" ] || { echo "gpu-check: no simsgd binary at $bin (cargo build --release)" >&2; exit 2; }
command -v python3 > /dev/null || { echo "gpu-check: python3 is needed to read the JSON reports" >&2; exit 2; }
mkdir -p "$out"
step() { echo "gpu-check: $*" >&2; }

if [ "$small" = 1 ]; then
    wide=(--trials 100000 --steps 20); long=(--trials 100 --steps 10000)
    sweep=(--trials 2000 --steps 50)
    # The peers are the tests' (tests/suite/cli.rs); here they would take minutes of CI.
    benches=("--quick --repeats 1 --no-peers")
else
    wide=(--trials 1000000 --steps 100); long=(--trials 1000 --steps 100000)
    sweep=(--trials 100000 --steps 1000)
    # Every workload on the GPU alone at GPU size; then archimedes fresh SGD beside the
    # CPU backend and the GPU peers. NumPy, or JAX on a CPU, would take most of an hour
    # over these 10^10 trajectory-steps.
    peers=torch,torch-compiled
    if python3 -c 'import jax, sys; sys.exit(jax.default_backend() != "gpu")' 2> /dev/null; then
        peers+=,jax,jax-f64
    fi
    benches=("--backend gpu --trials 1000000 --steps 10000 --repeats 3 --no-peers"
             "--landscape archimedes --workload sgd --trials 1000000 --steps 10000 --repeats 1 --peers $peers")
fi

step "1/5 adapter"
"$bin" run gauss --backend gpu --trials 1000 --json --quiet > "$out/adapter.json"
adapter=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["adapter"])' "$out/adapter.json")
step "    $adapter"
case "$adapter" in
    *llvmpipe*|*lavapipe*|*SwiftShader*|*"(Vulkan, Cpu"*)
        if [ "$small" = 0 ]; then
            echo "gpu-check: the adapter is a software one ($adapter); set SIMSGD_ADAPTER to the GPU's name, or pass --small" >&2
            exit 1
        fi ;;
esac

step "2/5 GPU tests"
if [ "$tests" = 0 ]; then
    step "    --no-tests: skipped"
    echo "not run: --no-tests" > "$out/tests.txt"
elif [ -n "$suite" ] && [ -x "$suite" ]; then
    SIMSGD_REQUIRE_GPU=1 "$suite" gpu:: --test-threads 1 2>&1 | tail -n 3 | tee "$out/tests.txt" >&2
    grep -q "test result: ok" "$out/tests.txt" || { echo "gpu-check: the GPU tests failed" >&2; exit 1; }
else
    step "    no test binary (cargo test --release --no-run); skipped"
    echo "not run: no test binary" > "$out/tests.txt"
fi

step "3/5 CPU = GPU on the same trials"
for shape in wide long; do
    declare -n args=$shape
    for backend in cpu gpu; do
        "$bin" run archimedes "${args[@]}" --backend "$backend" --json --quiet > "$out/$shape-$backend.json"
    done
done

step "4/5 throughput"
i=0
for b in "${benches[@]}"; do
    # shellcheck disable=SC2086 # each entry is a list of flags
    "$bin" bench $b --json --quiet > "$out/bench-$i.json"
    i=$((i + 1))
done
# A sweep of 8 η, its points fused into shared dispatches and one after another.
for fuse in 1 0; do
    t0=$(date +%s.%N)
    SIMSGD_FUSE=$fuse "$bin" run archimedes --eta 0.01..0.2:log:8 "${sweep[@]}" --backend gpu --json --quiet > "$out/sweep-$fuse.json"
    echo "$t0 $(date +%s.%N)" > "$out/sweep-$fuse.time"
done

# Shards on the GPU (issue 17): 4 shards of a run of 5 chunks of 2^18 trials, merged,
# against the one-process run (the same numbers, bit for bit); and the run on every GPU
# (--devices all). At --small sizes lavapipe's chunks (2^23 trials) leave nothing to shard.
if [ "$small" = 0 ]; then
    shard_args=(archimedes --trials 1300000 --steps 100 --backend gpu --quiet)
    "$bin" run "${shard_args[@]}" --json > "$out/shards-whole.json"
    for i in 0 1 2 3; do "$bin" run "${shard_args[@]}" --shard "$i/4" --json > "$out/shard-$i.json"; done
    "$bin" merge "$out"/shard-[0-3].json --json > "$out/shards-merged.json"
    rm -f "$out"/shard-[0-3].json
    "$bin" run "${shard_args[@]}" --devices all --json > "$out/devices-all.json"
fi

step "5/5 summary"
python3 - "$out" "$small" <<'PY'
import json, math, os, sys

out, small = sys.argv[1], sys.argv[2] == "1"
load = lambda name: json.load(open(os.path.join(out, name)))
report = {"adapter": load("adapter.json")["adapter"], "small": small, "agreement": [], "ok": True}
report["tests"] = open(os.path.join(out, "tests.txt")).read().strip().splitlines()[-1:]
print(f"adapter: {report['adapter']}")
for shape in ("wide", "long"):
    cpu, gpu = load(f"{shape}-cpu.json"), load(f"{shape}-gpu.json")
    for metric in ("test_loss", "train_loss"):
        a, b = cpu["metrics"][metric], gpu["metrics"][metric]
        se = math.hypot(a["stderr"], b["stderr"])
        z = (b["mean"] - a["mean"]) / se if se > 0 else 0.0
        ok = abs(z) < 5
        report["ok"] &= ok
        row = {"run": shape, "trials": cpu["trials"], "steps": cpu["steps"], "metric": metric,
               "cpu": a["mean"], "gpu": b["mean"], "z": z, "ok": ok}
        report["agreement"].append(row)
        print(f"{shape:>5} ({cpu['trials']} trials x {cpu['steps']} steps) {metric:<10} cpu {a['mean']:.6g} "
              f"gpu {b['mean']:.6g} z {z:+.2f} {'ok' if ok else 'DIFFERENT'}")
report["bench"] = [load(name) for name in sorted(os.listdir(out)) if name.startswith("bench-")]
for bench in report["bench"]:
    rows = bench["rows"]
    print(f"\n{'landscape':<17} {'workload':<15} {'trials':>8} {'T':>6}  {'backend':<26} {'traj-steps/s':>12}  vs cpu")
    for r in rows:
        cpu = next((c for c in rows if c["landscape"] == r["landscape"] and c["workload"] == r["workload"]
                    and c["backend"].startswith("cpu")), None)
        what = (f"{r['landscape']:<17} {r['workload']:<15} {r['trials']:>8} {r['steps']:>6}  "
                f"{r['backend'][:26]:<26}")
        if r.get("note"):  # a skipped peer (its rate is null)
            print(f"{what} {r['note']}")
            continue
        ratio = f"{r['traj_steps_per_s'] / cpu['traj_steps_per_s']:.2f}x" if cpu else "-"
        compiled = f"  (compile {r['compile_s']:.1f} s, not timed)" if r.get("compile_s") is not None else ""
        print(f"{what} {r['traj_steps_per_s']:>12.3e}  {ratio}{compiled}")
report["sweep"] = {}
for fuse in ("1", "0"):
    t0, t1 = map(float, open(os.path.join(out, f"sweep-{fuse}.time")).read().split())
    points = load(f"sweep-{fuse}.json")
    report["sweep"]["fused" if fuse == "1" else "unfused"] = {"points": len(points), "wall_s": t1 - t0}
a, b = (report["sweep"][k] for k in ("fused", "unfused"))
print(f"\nsweep of {a['points']} eta (archimedes): fused {a['wall_s']:.2f} s, one after another {b['wall_s']:.2f} s")
if not small:
    whole, merged, every = load("shards-whole.json"), load("shards-merged.json"), load("devices-all.json")
    same = lambda a, b: all(a[k] == b[k] for k in ("metrics", "diverged", "trials"))
    report["shards"] = {"trials": whole["trials"], "equal": same(whole, merged),
                        "devices_all": every.get("adapter"), "devices_all_equal": same(whole, every)}
    report["ok"] &= report["shards"]["equal"]
    print(f"\n4 GPU shards merged = one process: {report['shards']['equal']}; "
          f"--devices all ({every.get('adapter')}) = one device: {report['shards']['devices_all_equal']}")
print("\nkernel-alone time (timestamp queries): not measured by this version")
with open(os.path.join(out, "gpu-check.json"), "w") as f:
    json.dump(report, f, indent=1)
print(f"wrote {os.path.join(out, 'gpu-check.json')}")
sys.exit(0 if report["ok"] else 1)
PY
