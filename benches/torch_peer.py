#!/usr/bin/env python3
"""PyTorch peer of `simsgd run`: the same simulations as benches/numpy_peer.py,
on batched tensors (one tensor per weight, one element per trajectory), on a
CUDA device by default.

`simsgd bench` runs it only where `torch.cuda.is_available()`. The command line
and the printed JSON object are numpy_peer.py's, plus "torch" and "device".

Usage: torch_peer.py LANDSCAPE [--optimizer sgd|gd|sde] [--trials N] [--steps T]
                     [--train-size N] [--epochs E] [--substeps K] [--eta E] [--seed S]
                     [--device cuda|cpu] [--dtype float32|float64]
"""
import argparse
import json
import math
import sys
import time

import numpy as np

try:
    import torch
except ImportError:
    print("torch_peer.py: PyTorch is not installed", file=sys.stderr)
    sys.exit(3)

R = math.sqrt(0.5)


def gauss_loss(t, x):
    return 0.5 * (t[0] + x * x * torch.exp(-t[0]))


def gauss_grad(t, x):
    return [0.5 * (1.0 - x * x * torch.exp(-t[0]))]


def archimedes_loss(t, x):
    u, v, z = t
    c, s = torch.cos(z), torch.sin(z)
    w = c * u + s * v
    return 0.5 * (u * u + v * v + w * w) + x * (R * (c + s) * u + R * (s - c) * v)


def archimedes_grad(t, x):
    u, v, z = t
    c, s = torch.cos(z), torch.sin(z)
    w = c * u + s * v
    a, b = R * (c + s), R * (s - c)
    return [u + w * c + x * a, v + w * s + x * b, w * (c * v - s * u) + x * (a * v - b * u)]


def mean_estimation_loss(t, x):
    return 0.5 * t[0] * t[0] + x * t[0]


def mean_estimation_grad(t, x):
    return [t[0] + x]


def shifting_valleys_loss(t, x):
    a, b = t
    r = b - a * x
    return a + r * r - a * a


def shifting_valleys_grad(t, x):
    a, b = t
    r = b - a * x
    return [1.0 - 2.0 * x * r - 2.0 * a, 2.0 * r]


def valley_of_death_loss(t, x):
    a, b = t
    r = b - a * x
    return a + r ** 4 - 3.0 * a ** 4


def valley_of_death_grad(t, x):
    a, b = t
    r = b - a * x
    r3 = r * r * r
    return [1.0 - 4.0 * x * r3 - 12.0 * a ** 3, 4.0 * r3]


# name: (init, degree of l_x in x, loss, grad)
LANDSCAPES = {
    "gauss": ([0.0], 2, gauss_loss, gauss_grad),
    "archimedes": ([0.0, 0.0, 0.0], 1, archimedes_loss, archimedes_grad),
    "mean-estimation": ([0.0], 1, mean_estimation_loss, mean_estimation_grad),
    "shifting-valleys": ([1.0, 1.0], 2, shifting_valleys_loss, shifting_valleys_grad),
    "valley-of-death": ([1.0, 1.0], 4, valley_of_death_loss, valley_of_death_grad),
}


def rule(degree):
    x, w = np.polynomial.hermite_e.hermegauss(degree + 1)
    return [float(v) for v in x], [float(v) for v in w / w.sum()]


def simulate(a, device, dtype):
    init, degree, loss, grad = LANDSCAPES[a.landscape]
    nodes, weights = rule(degree)
    full = lambda v: torch.full((a.trials,), v, device=device, dtype=dtype)  # noqa: E731
    th = [full(v) for v in init]
    gen = torch.Generator(device=device)
    gen.manual_seed(a.seed)
    randn = lambda *shape: torch.randn(*shape, generator=gen, device=device, dtype=dtype)  # noqa: E731
    fresh = a.optimizer == "sgd" and a.train_size == a.steps and a.epochs == 1
    data = None if fresh else randn(a.train_size, a.trials)
    for t in range(a.steps):
        if a.optimizer == "sgd":
            x = randn(a.trials) if fresh else data[t % a.train_size]
            g = grad(th, x)
        elif a.optimizer == "gd":
            g = [torch.zeros_like(ti) for ti in th]
            for x in data:
                for acc, gi in zip(g, grad(th, x)):
                    acc += gi
            g = [gi / a.train_size for gi in g]
        else:  # sde
            h = a.eta / a.substeps
            sigma = a.eta / math.sqrt(a.substeps)
            for _ in range(a.substeps):
                gs = [grad(th, full(xj)) for xj in nodes]
                mean = [sum(w * gj[d] for w, gj in zip(weights, gs)) for d in range(len(th))]
                xi = randn(len(nodes), a.trials)
                th = [
                    th[d] - h * mean[d] + sigma * sum(math.sqrt(w) * xi[j] * (gs[j][d] - mean[d]) for j, w in enumerate(weights))
                    for d in range(len(th))
                ]
            continue
        th = [ti - a.eta * gi for ti, gi in zip(th, g)]
    test = sum(w * loss(th, full(xj)) for xj, w in zip(nodes, weights))
    train = torch.zeros(a.trials, device=device, dtype=dtype)
    if fresh:
        gen.manual_seed(a.seed)
        for _ in range(a.steps):
            train += loss(th, randn(a.trials))
    elif a.optimizer == "sde":
        train += loss(th, randn(a.train_size, a.trials)).sum(dim=0)
    else:
        for x in data:
            train += loss(th, x)
    return test, train / a.train_size


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("landscape", choices=sorted(LANDSCAPES))
    p.add_argument("--optimizer", choices=["sgd", "gd", "sde"], default="sgd")
    p.add_argument("--trials", type=int, default=100_000)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--train-size", type=int, default=None)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--substeps", type=int, default=16)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    a = p.parse_args()
    if a.train_size is None:
        a.train_size = a.steps // a.epochs if a.optimizer == "sgd" else 10
    device = torch.device(a.device)
    dtype = getattr(torch, a.dtype)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    with torch.no_grad():
        sync()
        t0 = time.perf_counter()
        test, train = simulate(a, device, dtype)
        sync()
        dt = time.perf_counter() - t0
    ok = torch.isfinite(test) & torch.isfinite(train)
    print(json.dumps({
        "peer": "pytorch",
        "torch": torch.__version__,
        "device": str(device),
        "landscape": a.landscape,
        "optimizer": a.optimizer,
        "trials": a.trials,
        "steps": a.steps,
        "train_size": a.train_size,
        "epochs": a.epochs,
        "eta": a.eta,
        "seconds": dt,
        "traj_steps_per_s": a.trials * a.steps / dt,
        "test_loss_mean": float(test[ok].mean()) if bool(ok.any()) else None,
        "gen_gap_mean": float((test - train)[ok].mean()) if bool(ok.any()) else None,
    }))


if __name__ == "__main__":
    main()
