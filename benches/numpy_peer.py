#!/usr/bin/env python3
"""NumPy peer of `simsgd run`: the same simulation written as vectorised NumPy.

One array per weight, all trials at once, fresh-sample SGD (N = T, B = E = 1):
each step draws one standard-normal datapoint per trial and applies
theta <- theta - eta * grad l_x(theta). At the end it evaluates the exact test
loss and the train loss (replaying the same generator for the training set),
so it does the same work that simsgd's CPU and GPU backends do.

Prints one JSON object: landscape, trials, steps, seconds, traj_steps_per_s,
and the mean test loss (a sanity check, not compared bit for bit: NumPy's
generator is not simsgd's Philox stream).

Usage: numpy_peer.py LANDSCAPE [--trials N] [--steps T] [--eta E] [--seed S]
"""
import argparse
import json
import time

import numpy as np


def gauss_run(rng_seed, trials, steps, eta):
    rng = np.random.default_rng(rng_seed)
    h = np.zeros(trials)
    for _ in range(steps):
        x = rng.standard_normal(trials)
        h -= eta * 0.5 * (1.0 - x * x * np.exp(-h))
    test = 0.5 * (h + np.exp(-h))
    rng = np.random.default_rng(rng_seed)
    train = np.zeros(trials)
    for _ in range(steps):
        x = rng.standard_normal(trials)
        train += 0.5 * (h + x * x * np.exp(-h))
    return test, train / steps


def archimedes_run(rng_seed, trials, steps, eta):
    rng = np.random.default_rng(rng_seed)
    u = np.zeros(trials)
    v = np.zeros(trials)
    z = np.zeros(trials)
    r = np.sqrt(0.5)
    for _ in range(steps):
        x = rng.standard_normal(trials)
        c = np.cos(z)
        s = np.sin(z)
        cs = c * u + s * v
        sc = r * (c + s)  # cos(z - pi/4)
        ss = r * (s - c)  # sin(z - pi/4)
        gu = u + cs * c + x * sc
        gv = v + cs * s + x * ss
        gz = cs * (c * v - s * u) + x * (sc * v - ss * u)
        u -= eta * gu
        v -= eta * gv
        z -= eta * gz
    c = np.cos(z)
    s = np.sin(z)
    hq = u * u + v * v + (c * u + s * v) ** 2
    test = 0.5 * hq
    rng = np.random.default_rng(rng_seed)
    sterm = r * (c + s) * u + r * (s - c) * v
    train = np.zeros(trials)
    for _ in range(steps):
        x = rng.standard_normal(trials)
        train += 0.5 * hq + x * sterm
    return test, train / steps


RUNS = {"gauss": gauss_run, "archimedes": archimedes_run}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("landscape", choices=sorted(RUNS))
    p.add_argument("--trials", type=int, default=100_000)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    t0 = time.perf_counter()
    test, train = RUNS[a.landscape](a.seed, a.trials, a.steps, a.eta)
    dt = time.perf_counter() - t0
    print(json.dumps({
        "peer": "numpy",
        "numpy": np.__version__,
        "landscape": a.landscape,
        "trials": a.trials,
        "steps": a.steps,
        "eta": a.eta,
        "seconds": dt,
        "traj_steps_per_s": a.trials * a.steps / dt,
        "test_loss_mean": float(test.mean()),
        "gen_gap_mean": float((test - train).mean()),
    }))


if __name__ == "__main__":
    main()
