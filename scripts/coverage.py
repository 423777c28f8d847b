#!/usr/bin/env python3
"""Coverage of simsgd's 95% intervals and the rate of its heavy-tail warning.

For each case below, runs `simsgd run ... --trials 2000 --seed s --json
--backend cpu --quiet --threads 1` for seeds 0 .. SEEDS-1, once with the
default interval (Hall's skew-corrected) and once with `--interval student`,
and counts how often each 95% CI covers the exact value (closed forms), with
its binomial standard error, and how often the reported metric carries a
heavy-tail warning (on these light-tailed cases: false alarms). Then the
Valley of Death case of issue 12 (detection rate of the warning on the test
loss), the other landscapes at their defaults (warning rates), and the
precision-floor cases (CPU at η = 1e-12, GPU at η = 1e-3, with --theory).

Writes the table to results/COVERAGE.md (or --out) with the command that
produced it. Standard library only; runs two simsgd processes at a time
(--jobs). About three minutes on two cores with the defaults.

    python3 scripts/coverage.py [--seeds 2000] [--jobs 2] [--simsgd target/release/simsgd]
"""

import argparse
import concurrent.futures
import json
import math
import os
import subprocess
import sys
import time

TRIALS = 2000


def gauss_exact(eta):
    # T = 1 from h = 0: E l(h_1) = ½ e^(η/2)/√(1 + η) (tests/suite/simulation.rs).
    return 0.5 * math.exp(eta / 2) / math.sqrt(1 + eta)


# Mean Estimation at its defaults (H = S = 1, θ0 = 0, T = N = 10, B = 1),
# a = 1 − ηH: fresh SGD has E θ_T² = η² Σ_{j<T} a^(2j), GD on the same N points
# E θ_T² = (η²/N) (Σ_{j<T} a^j)²; the test loss is ½ θ² (tests/suite/common/mean_estimation.rs).
ME_ETA, ME_T = 0.1, 10
_A = 1 - ME_ETA
ME_SGD = 0.5 * ME_ETA**2 * sum(_A ** (2 * j) for j in range(ME_T))
ME_GD = 0.5 * ME_ETA**2 / ME_T * sum(_A**j for j in range(ME_T)) ** 2

# (name, run arguments, path of the summary in the JSON, exact value)
CASES = [
    ("gauss, η = 0.01 (T = 1)", ["gauss", "--eta", "0.01"], ("metrics", "test_loss"), gauss_exact(0.01)),
    ("gauss, η = 0.1 (T = 1)", ["gauss", "--eta", "0.1"], ("metrics", "test_loss"), gauss_exact(0.1)),
    ("gauss, η = 0.5 (T = 1)", ["gauss", "--eta", "0.5"], ("metrics", "test_loss"), gauss_exact(0.5)),
    ("mean-estimation (defaults)", ["mean-estimation"], ("metrics", "test_loss"), ME_SGD),
    (
        "mean-estimation, sgd − gd (paired)",
        ["mean-estimation", "--compare", "gd"],
        ("paired", "test_loss_diff"),
        ME_SGD - ME_GD,
    ),
]

# Heavy-tail warning rates only: (name, run arguments).
WARNING_CASES = [
    ("valley-of-death, η = 0.002 (issue 12: must fire)", ["valley-of-death", "--eta", "0.002"]),
    ("archimedes (defaults)", ["archimedes"]),
    ("shifting-valleys (defaults, η = 0.1)", ["shifting-valleys"]),
]


def run(simsgd, args):
    cmd = [simsgd, "run", *args, "--json", "--quiet"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def summaries(report):
    """Every final summary of a report, by name."""
    out = {}
    for prefix, m in [("", report["metrics"])] + (
        [("compared ", report["paired"]["metrics"])] if "paired" in report else []
    ):
        for key in ("test_loss", "train_loss", "gen_gap"):
            out[prefix + key] = m[key]
        for i, t in enumerate(m["theta"]):
            out[f"{prefix}theta[{i}]"] = t
    if "paired" in report:
        for key in ("test_loss_diff", "gen_gap_diff"):
            out[key] = report["paired"][key]
    return out


def heavy(summary):
    return any(w.startswith("heavy tail") for w in summary.get("warnings", []))


def floor(summary):
    return any("precision floor" in w for w in summary.get("warnings", []))


def get(report, path):
    for key in path:
        report = report[key]
    return report


def rate(k, n):
    p = k / n
    return f"{100 * p:.2f} ± {100 * math.sqrt(p * (1 - p) / n):.2f}"


def seed_args(s):
    return ["--trials", str(TRIALS), "--seed", str(s), "--backend", "cpu", "--threads", "1"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--simsgd", default="target/release/simsgd")
    ap.add_argument("--out", default="results/COVERAGE.md")
    ap.add_argument("--no-gpu", action="store_true", help="skip the GPU precision-floor case")
    opts = ap.parse_args()
    start = time.time()
    seeds = range(opts.seeds)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs)

    rows = []
    for name, args, path, exact in CASES:
        skew = list(pool.map(lambda s: run(opts.simsgd, args + seed_args(s)), seeds))
        student = list(pool.map(lambda s: run(opts.simsgd, args + seed_args(s) + ["--interval", "student"]), seeds))
        n = len(skew)
        below = lambda rs: sum(exact < get(r, path)["ci95"][0] for r in rs)
        above = lambda rs: sum(exact > get(r, path)["ci95"][1] for r in rs)
        assert all(r["interval"] == "skew" for r in skew) and all(r["interval"] == "student" for r in student)
        row = {
            "name": name,
            "command": "simsgd run " + " ".join(args) + f" --trials {TRIALS} --seed s",
            "exact": exact,
            "student": n - below(student) - above(student),
            "student_miss": (below(student), above(student)),
            "skew": n - below(skew) - above(skew),
            "skew_miss": (below(skew), above(skew)),
            "heavy_metric": sum(heavy(get(r, path)) for r in skew),
            "heavy_any": sum(any(heavy(s) for s in summaries(r).values()) for r in skew),
            "floor_any": sum(any(floor(s) for s in summaries(r).values()) for r in skew),
            "n": n,
        }
        rows.append(row)
        print(
            f"{name}: Student {rate(row['student'], n)}%, skew {rate(row['skew'], n)}%, "
            f"heavy-tail warnings {row['heavy_metric']}/{n} (any metric {row['heavy_any']})",
            file=sys.stderr,
        )

    warn_rows = []
    for name, args in WARNING_CASES:
        reports = list(pool.map(lambda s: run(opts.simsgd, args + seed_args(s)), seeds))
        n = len(reports)
        row = {
            "name": name,
            "command": "simsgd run " + " ".join(args) + f" --trials {TRIALS} --seed s",
            "test": sum(heavy(r["metrics"]["test_loss"]) for r in reports),
            "own": sum(
                any(w.startswith("heavy tail:") for w in r["metrics"]["test_loss"].get("warnings", [])) for r in reports
            ),
            "any": sum(any(heavy(s) for s in summaries(r).values()) for r in reports),
            "n": n,
        }
        warn_rows.append(row)
        print(f"{name}: heavy-tail warning on the test loss {row['test']}/{n} (any metric {row['any']})", file=sys.stderr)

    floor_rows = []
    floor_cases = [("cpu", ["gauss", "--eta", "1e-12", "--trials", "200000", "--backend", "cpu", "--theory"])]
    if not opts.no_gpu:
        floor_cases.append(("gpu", ["gauss", "--eta", "0.001", "--trials", "200000", "--backend", "gpu", "--theory"]))
    for backend, args in floor_cases:
        for interval in ([], ["--interval", "student"]):
            cmd = [opts.simsgd, "run", *args, *interval, "--json", "--quiet"]
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                floor_rows.append((backend, " ".join(args + interval), None, out.stderr.strip()))
                continue
            r = json.loads(out.stdout)
            floor_rows.append((backend, " ".join(args + interval), r, None))

    elapsed = time.time() - start
    write(opts, rows, warn_rows, floor_rows, elapsed)
    print(f"wrote {opts.out} ({elapsed:.0f} s)", file=sys.stderr)


def write(opts, rows, warn_rows, floor_rows, elapsed):
    lines = [
        "# Coverage of the 95% intervals and the heavy-tail warning",
        "",
        "Produced by",
        "",
        "```",
        f"python3 scripts/coverage.py --seeds {opts.seeds} --jobs {opts.jobs}",
        "```",
        "",
        f"({elapsed:.0f} s on this machine). Each case is run for seeds 0 … {opts.seeds - 1} with "
        f"{TRIALS} trials, `--backend cpu`, once with the default interval (`skew`: Hall's "
        "skewness-corrected interval with its second-order term, `src/stats/interval.rs`, `skew_interval`) and once "
        "with `--interval student`. Coverage: the share of seeds whose 95% CI contains the exact value "
        "(± its binomial standard error); misses: how often the exact value lies below / above the CI. "
        "Heavy-tail warnings: the share of seeds whose reported summary carries one (own or shared from "
        "another observable of the same trials); on these light-tailed cases, false alarms.",
        "",
        "| case | exact | Student t coverage % | misses below / above | skew-corrected coverage % "
        "| misses below / above | heavy-tail warnings (this metric / any metric) | precision floor |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        n = r["n"]
        lines.append(
            f"| {r['name']}: `{r['command']}`, "
            + ("paired test-loss difference" if "compare" in r["command"] else "test loss")
            + f" | {r['exact']:.10g} | {rate(r['student'], n)} | {r['student_miss'][0]} / {r['student_miss'][1]} "
            f"| **{rate(r['skew'], n)}** | {r['skew_miss'][0]} / {r['skew_miss'][1]} "
            f"| {r['heavy_metric']}/{n} ({100 * r['heavy_metric'] / n:.2f}%) / {r['heavy_any']}/{n} "
            f"| {r['floor_any']}/{n} |"
        )
    lines += [
        "",
        "## Heavy-tail warning rates on other runs",
        "",
        "Same seeds and trials, default interval. `own`: the test loss's own tail fit fired; `test loss`: "
        "its warning, own or shared (the rule shares the heaviest tail among the observables of the same "
        "trials, docs/ARCHITECTURE.md, \"Statistics\").",
        "",
        "| case | test loss warned | of which own tail | any metric warned |",
        "| --- | --- | --- | --- |",
    ]
    for r in warn_rows:
        n = r["n"]
        lines.append(
            f"| {r['name']}: `{r['command']}` | {r['test']}/{n} ({100 * r['test'] / n:.2f}%) "
            f"| {r['own']}/{n} | {r['any']}/{n} ({100 * r['any'] / n:.2f}%) |"
        )
    lines += [
        "",
        "Shifting Valleys at η = 0.1 is not light-tailed: its updates multiply A by the random factor "
        "1 + 2η − 2ηx², and the train loss's largest trials fit a Pareto shape near 1. Measured against a "
        "2·10^7-trial mean (`simsgd run shifting-valleys --trials 20000000 --seed 999999`: train loss "
        "−0.09452 ± 0.00027), the default interval of the train loss covers in 92.2% of 600 seeds "
        "(95.8% of the warned seeds, 90.5% of the others; test loss 95.2%), so the warning marks a real "
        "loss of coverage. Like every rule that reads the sample's extremes, it fires in the seeds that "
        "drew the rare large trials, whose intervals are the wide ones; sharing it across the observables "
        "of the same trials (and across seeds, through a sweep) is what makes it useful.",
        "",
        "## Precision floor",
        "",
        "| command | mean | stderr | 95% CI | prediction | z | covers | warnings |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for backend, cmd, r, err in floor_rows:
        if r is None:
            lines.append(f"| `simsgd run {cmd}` | not run: {err} | | | | | | |")
            continue
        m, t = r["metrics"]["test_loss"], r["theory"]
        covers = m["ci95"][0] <= t["test_loss"] <= m["ci95"][1]
        z = t["z"]["test_loss"]
        lines.append(
            f"| `simsgd run {cmd}` ({r['backend']}) | {m['mean']!r} | {m['stderr']:.3g} "
            f"| [{m['ci95'][0]!r}, {m['ci95'][1]!r}] | {t['test_loss']!r} "
            f"| {'n/a' if z is None else f'{z:.2f}'} | {'yes' if covers else 'NO'} "
            f"| {'; '.join(m.get('warnings', [])) or '—'} |"
        )
    lines.append("")
    os.makedirs(os.path.dirname(opts.out) or ".", exist_ok=True)
    with open(opts.out, "w") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
