#!/usr/bin/env python3
"""Runs the same matrix of commands through two simsgd binaries and reports
every difference in their output (JSON compared with `elapsed_s` removed).

    python3 scripts/same-output.py OLD_BINARY NEW_BINARY [--backends cpu,gpu]

A refactor that must not change behaviour passes when this prints no
difference: landscapes x optimizers x grids x --compare / --record-every /
--theory on each backend, plus predict, stats and landscapes.
"""
import itertools
import json
import subprocess
import sys

LANDSCAPES = ["gauss", "archimedes", "mean-estimation", "shifting-valleys", "valley-of-death"]
ETA = {"valley-of-death": "0.002", "shifting-valleys": "0.01"}
GRIDS = [
    [],
    ["--steps", "12"],
    ["--train-size", "6", "--batch", "2", "--epochs", "3", "--shuffle"],
    ["--train-size", "4", "--epochs", "3"],
]
OPTIMIZERS = ["sgd", "gd", "sde", "ode", "gdc"]
EXTRAS = [[], ["--record-every", "2"], ["--theory"], ["--compare", "sde", "--substeps", "3"], ["--compare", "gd"]]


def commands(backends):
    for backend in backends:
        for land, opt, grid, extra in itertools.product(LANDSCAPES, OPTIMIZERS, GRIDS, EXTRAS):
            if opt in ("gd", "gdc") and any(f in grid for f in ("--batch", "--epochs", "--shuffle")):
                continue
            if opt in ("sde", "ode") and "--shuffle" in grid:
                continue  # refused: the SDE and ODE never visit the training set
            if opt == "gdc" and backend == "gpu":
                continue
            yield ["run", land, "--optimizer", opt, "--eta", ETA.get(land, "0.05"), "--trials", "3000",
                   "--seed", "7", "--backend", backend, "--json", "-q", *grid, *extra]
    for land, opt in itertools.product(LANDSCAPES, OPTIMIZERS):
        yield ["predict", land, "--optimizer", opt, "--steps", "6", "--json", "--explain"]
        yield ["predict", land, "--optimizer", opt, "--steps", "6"]
    for land in LANDSCAPES:
        yield ["predict", land, "--resum", "--steps", "20"]
        yield ["stats", land, "--json", "--estimate", "--samples", "500"]
        yield ["stats", land]
    yield ["landscapes"]
    yield ["landscapes", "--json"]


def output(binary, args):
    p = subprocess.run([binary, *args], capture_output=True, text=True)
    text = p.stdout
    if "--json" in args and p.returncode == 0:
        try:
            v = json.loads(text)
            if isinstance(v, dict):
                v.pop("elapsed_s", None)
            text = json.dumps(v, sort_keys=False)
        except json.JSONDecodeError:
            pass
    return p.returncode, text, p.stderr.strip().splitlines()[-1:] if p.returncode else []


def main():
    old, new = sys.argv[1], sys.argv[2]
    backends = ["cpu", "gpu"]
    if len(sys.argv) > 4 and sys.argv[3] == "--backends":
        backends = sys.argv[4].split(",")
    same = differ = 0
    for args in commands(backends):
        a, b = output(old, args), output(new, args)
        if a == b:
            same += 1
        else:
            differ += 1
            print("DIFFERS:", " ".join(args))
            print("   old:", str(a)[:400])
            print("   new:", str(b)[:400])
    print(f"{same} commands give the same output, {differ} differ")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
