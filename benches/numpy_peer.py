#!/usr/bin/env python3
"""NumPy peer of `simsgd run`: the same simulations written as vectorised NumPy.

One array per weight, all trials at once. Optimizers (as in simsgd):
  sgd  grid of N points, E epochs, batch 1 (N = T, E = 1 is fresh-sample SGD)
  gd   every step uses all N points
  sde  K Euler-Maruyama substeps per step: drift -(eta/K) G, noise of covariance
       (eta^2/K) C, drawn as sum_j sqrt(w_j) (g_j - G) xi_j over Gauss-Hermite nodes
At the end it evaluates the exact test loss (quadrature) and the train loss over
the trial's N points (replaying the generator for fresh-sample SGD), so it does
the work simsgd's backends do.

Prints one JSON object: landscape, optimizer, trials, steps, seconds,
traj_steps_per_s, and the mean test loss (a sanity check, not compared bit for
bit: NumPy's generator is not simsgd's Philox stream).

It implements some of simsgd's landscapes (LANDSCAPES); on another it exits
with status 4 (UNSUPPORTED), and `simsgd bench` skips the peer with a note, so
a new landscape needs no Python.

Usage: numpy_peer.py LANDSCAPE [--optimizer sgd|gd|sde] [--trials N] [--steps T]
                     [--train-size N] [--epochs E] [--substeps K] [--eta E] [--seed S]
"""
import argparse
import json
import sys
import time

import numpy as np

R = np.sqrt(0.5)


def gauss_loss(o, t, x):
    return 0.5 * (t[0] + x * x * o.exp(-t[0]))


def gauss_grad(o, t, x):
    return [0.5 * (1.0 - x * x * o.exp(-t[0]))]


def archimedes_loss(o, t, x):
    u, v, z = t
    c, s = o.cos(z), o.sin(z)
    w = c * u + s * v
    return 0.5 * (u * u + v * v + w * w) + x * (R * (c + s) * u + R * (s - c) * v)


def archimedes_grad(o, t, x):
    u, v, z = t
    c, s = o.cos(z), o.sin(z)
    w = c * u + s * v
    a, b = R * (c + s), R * (s - c)
    return [u + w * c + x * a, v + w * s + x * b, w * (c * v - s * u) + x * (a * v - b * u)]


def mean_estimation_loss(o, t, x):
    return 0.5 * t[0] * t[0] + x * t[0]


def mean_estimation_grad(o, t, x):
    return [t[0] + x]


def shifting_valleys_loss(o, t, x):
    a, b = t
    r = b - a * x
    return a + r * r - a * a


def shifting_valleys_grad(o, t, x):
    a, b = t
    r = b - a * x
    return [1.0 - 2.0 * x * r - 2.0 * a, 2.0 * r]


def valley_of_death_loss(o, t, x):
    a, b = t
    r = b - a * x
    return a + r ** 4 - 3.0 * a ** 4


def valley_of_death_grad(o, t, x):
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


# Exit status for a landscape not in LANDSCAPES (src/bench.rs skips the peer).
UNSUPPORTED = 4


def rule(degree):
    x, w = np.polynomial.hermite_e.hermegauss(degree + 1)
    return x, w / w.sum()


class NumpyOps:
    """The array operations the simulation needs, on NumPy (torch_peer.py has
    the same on PyTorch tensors)."""

    exp, cos, sin = staticmethod(np.exp), staticmethod(np.cos), staticmethod(np.sin)

    def __init__(self, trials, seed):
        self.trials, self.seed = trials, seed
        self.reseed()

    def reseed(self):
        self.rng = np.random.default_rng(self.seed)

    def full(self, value):
        return np.full(self.trials, value)

    def randn(self, *shape):
        return self.rng.standard_normal(shape)

    @staticmethod
    def row(data, t):
        return data[t]

    @staticmethod
    def finite_mean(x, ok):
        return float(x[ok].mean()) if ok.any() else None

    @staticmethod
    def finite(x):
        return np.isfinite(x)


class Simulation:
    """One run in the pieces that every peer shares: the initial weights, one
    step, one term of the train loss's replay, and the final losses. `run`
    chains them; `loop(f, state, n)` runs n steps of `f(state, t)`: `steps`
    here, compiled blocks of steps in torch_peer.py --compile."""

    def __init__(self, a, o):
        self.a, self.o = a, o
        self.init, degree, self.loss, self.grad = LANDSCAPES[a.landscape]
        self.nodes, self.weights = rule(degree)
        self.fresh = a.optimizer == "sgd" and a.train_size == a.steps and a.epochs == 1
        self.data = None

    def run(self, loop=None):
        """Runs the trials from the seed; returns per-trial (test loss, train loss)."""
        loop = loop or steps
        return self.finish(loop(self.step, self.start(), self.a.steps), loop)

    def start(self):
        """The initial weights; draws a grid's training set."""
        a, o = self.a, self.o
        o.reseed()
        self.data = None if self.fresh else o.randn(a.train_size, a.trials)
        return [o.full(v) for v in self.init]

    def step(self, th, t):
        """The weights after step t (an int, or a 0-d integer tensor)."""
        a, o, grad = self.a, self.o, self.grad
        if a.optimizer == "sgd":
            x = o.randn(a.trials) if self.fresh else o.row(self.data, t % a.train_size)
            g = grad(o, th, x)
        elif a.optimizer == "gd":
            g = [o.full(0.0) for _ in th]
            for x in self.data:
                g = [acc + gi for acc, gi in zip(g, grad(o, th, x))]
            g = [gi / a.train_size for gi in g]
        else:  # sde
            h = a.eta / a.substeps
            sigma = a.eta / np.sqrt(a.substeps)
            for _ in range(a.substeps):
                gs = [grad(o, th, o.full(xj)) for xj in self.nodes]
                mean = [sum(w * gj[d] for w, gj in zip(self.weights, gs)) for d in range(len(th))]
                xi = o.randn(len(self.nodes), a.trials)
                th = [
                    th[d] - h * mean[d] + sigma * sum(float(np.sqrt(w)) * xi[j] * (gs[j][d] - mean[d]) for j, w in enumerate(self.weights))
                    for d in range(len(th))
                ]
            return th
        return [ti - a.eta * gi for ti, gi in zip(th, g)]

    def replay(self, state, t):
        """Fresh-sample SGD's train loss, one point at a time: state is the
        weights and the running sum; after `o.reseed()` step t's point is drawn
        again."""
        *th, total = state
        return [*th, total + self.loss(self.o, th, self.o.randn(self.a.trials))]

    def finish(self, th, loop):
        """Per-trial (test loss, train loss) of the final weights."""
        a, o, loss = self.a, self.o, self.loss
        test = sum(w * loss(o, th, o.full(xj)) for xj, w in zip(self.nodes, self.weights))
        train = o.full(0.0)
        if self.fresh:
            o.reseed()
            train = loop(self.replay, [*th, train], a.steps)[-1]
        elif a.optimizer == "sde":
            for x in o.randn(a.train_size, a.trials):
                train = train + loss(o, th, x)
        else:
            for x in self.data:
                train = train + loss(o, th, x)
        return test, train / a.train_size


def steps(f, state, n):
    """n steps of f(state, t) in a Python loop."""
    for t in range(n):
        state = f(state, t)
    return state


def simulate(a, o):
    """Runs the trials; returns per-trial (test loss, train loss)."""
    return Simulation(a, o).run()


def parser(description):
    """The command line shared by the peers."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("landscape", help="one of: " + ", ".join(sorted(LANDSCAPES)))
    p.add_argument("--optimizer", choices=["sgd", "gd", "sde"], default="sgd")
    p.add_argument("--trials", type=int, default=100_000)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--train-size", type=int, default=None)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--substeps", type=int, default=16)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    return p


def report(a, o, seconds, test, train, extra):
    """The peer's one JSON line."""
    ok = o.finite(test) & o.finite(train)
    print(json.dumps({
        **extra,
        "landscape": a.landscape,
        "optimizer": a.optimizer,
        "trials": a.trials,
        "steps": a.steps,
        "train_size": a.train_size,
        "epochs": a.epochs,
        "eta": a.eta,
        "seconds": seconds,
        "traj_steps_per_s": a.trials * a.steps / seconds,
        "test_loss_mean": o.finite_mean(test, ok),
        "gen_gap_mean": o.finite_mean(test - train, ok),
    }))


def defaults(a):
    if a.landscape not in LANDSCAPES:
        print(f"no landscape {a.landscape} in numpy_peer.py (it has {', '.join(sorted(LANDSCAPES))})", file=sys.stderr)
        sys.exit(UNSUPPORTED)
    if a.train_size is None:
        a.train_size = a.steps // a.epochs if a.optimizer == "sgd" else 10
    return a


def main():
    a = defaults(parser(__doc__.splitlines()[0]).parse_args())
    o = NumpyOps(a.trials, a.seed)
    t0 = time.perf_counter()
    with np.errstate(all="ignore"):
        test, train = simulate(a, o)
    dt = time.perf_counter() - t0
    report(a, o, dt, test, train, {"peer": "numpy", "numpy": np.__version__})


if __name__ == "__main__":
    main()
