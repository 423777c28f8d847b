#!/usr/bin/env python3
"""Peer of `simsgd run mlp`: seed 003's many-run network training in NumPy or JAX.

The same work as simsgd's network study: R independent runs of SGD on one
Gauss-k data set (n points in d dimensions, k classes, class means uniform in
[-10, 10]^d, unit covariance, features standardised), an MLP d -> hidden... -> k
with ReLU and biases, softmax cross-entropy, N(0, 1) init, mini-batches of m
points drawn with replacement, constant eta, and the full-batch train loss of
every run every --record-every steps.

* `--framework jax` (default): the runs are `jax.vmap`ped, the steps one
  `jax.jit`ted `lax.scan` over blocks of --record-every steps (the loss at the
  end of each block); float32 by default. Compilation is excluded from
  "seconds" (one warm-up call, then a timed one) and reported as
  "compile_seconds".
* `--framework numpy`: the runs as a leading batch axis of every array
  (einsum), one Python loop over the steps; float64 by default.

Random numbers are the framework's own (not simsgd's Philox streams), so the
median final loss is a sanity check only. Prints one JSON object:
{"framework", "dtype", "runs", "steps", "seconds", "rate" (run-steps per
second), "compile_seconds", "p", "median_final_loss"}. Without the framework it
exits with status 3 (`simsgd bench` skips the peer and says why).
"""
import argparse
import json
import sys
import time

import numpy as np


def parser():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--framework", choices=["jax", "numpy"], default="jax")
    p.add_argument("--runs", type=int, default=10_000)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--batch", type=int, default=5)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--points", type=int, default=100)
    p.add_argument("--dim", type=int, default=50)
    p.add_argument("--hidden", default="10,30")
    p.add_argument("--record-every", type=int, default=10)
    p.add_argument("--dtype", choices=["float32", "float64"], default=None)
    p.add_argument("--seed", type=int, default=0)
    return p


def gauss_k(a):
    """Standardised Gauss-k features and labels (make_blobs conventions)."""
    rng = np.random.default_rng(a.seed)
    centres = rng.uniform(-10, 10, size=(a.classes, a.dim))
    y = np.arange(a.points) % a.classes
    x = centres[y] + rng.standard_normal((a.points, a.dim))
    x = (x - x.mean(0)) / x.std(0)
    return x, y


def widths(a):
    return [a.dim] + [int(w) for w in a.hidden.split(",") if w] + [a.classes]


def run_numpy(a, x, y, dtype):
    rng = np.random.default_rng(a.seed + 1)
    ws = widths(a)
    R = a.runs
    Ws = [rng.standard_normal((R, i, o)).astype(dtype) for i, o in zip(ws, ws[1:])]
    bs = [rng.standard_normal((R, o)).astype(dtype) for o in ws[1:]]
    x = x.astype(dtype)
    onehot = np.eye(a.classes, dtype=dtype)[y]

    def forward(xb):
        """Activations per layer; xb is (R, m, d)."""
        acts = [xb]
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = np.einsum("rmi,rio->rmo", acts[-1], W) + b[:, None, :]
            acts.append(z if i == len(Ws) - 1 else np.maximum(z, 0))
        return acts

    def loss(xb, yb):
        z = forward(xb)[-1]
        zmax = z.max(-1, keepdims=True)
        lse = zmax[..., 0] + np.log(np.exp(z - zmax).sum(-1))
        return (lse - (z * yb).sum(-1)).mean(-1)

    losses = []
    full = np.broadcast_to(x, (R,) + x.shape)
    full_y = np.broadcast_to(onehot, (R,) + onehot.shape)
    for t in range(a.steps + 1):
        if t % a.record_every == 0 or t == a.steps:
            losses.append(loss(full, full_y))
        if t == a.steps:
            break
        idx = rng.integers(0, a.points, size=(R, a.batch))
        xb, yb = x[idx], onehot[idx]
        acts = forward(xb)
        z = acts[-1]
        p = np.exp(z - z.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        delta = (p - yb) / a.batch
        for i in range(len(Ws) - 1, -1, -1):
            gW = np.einsum("rmi,rmo->rio", acts[i], delta)
            gb = delta.sum(1)
            if i > 0:
                delta = np.einsum("rmo,rio->rmi", delta, Ws[i]) * (acts[i] > 0)
            Ws[i] -= a.eta * gW
            bs[i] -= a.eta * gb
    return losses[-1]


def run_jax(a, x, y, dtype):
    import jax
    import jax.numpy as jnp

    if dtype == np.float64:
        jax.config.update("jax_enable_x64", True)
    ws = widths(a)
    xj = jnp.asarray(x, dtype=dtype)
    yj = jnp.asarray(y)

    def init(key):
        keys = jax.random.split(key, 2 * (len(ws) - 1))
        return [
            (jax.random.normal(keys[2 * i], (i_, o), dtype), jax.random.normal(keys[2 * i + 1], (o,), dtype))
            for i, (i_, o) in enumerate(zip(ws, ws[1:]))
        ]

    def loss(params, xb, yb):
        h = xb
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = jax.nn.relu(h)
        return jnp.mean(jax.nn.logsumexp(h, -1) - jnp.take_along_axis(h, yb[:, None], -1)[:, 0])

    grad = jax.grad(loss)

    def step(carry, key):
        params = carry
        idx = jax.random.randint(key, (a.batch,), 0, a.points)
        g = grad(params, xj[idx], yj[idx])
        return [(W - a.eta * gW, b - a.eta * gb) for (W, b), (gW, gb) in zip(params, g)], None

    def block(params, key):
        params, _ = jax.lax.scan(step, params, jax.random.split(key, a.record_every))
        return params, loss(params, xj, yj)

    def one_run(key):
        k_init, k_steps = jax.random.split(key)
        params = init(k_init)
        blocks = a.steps // a.record_every
        params, losses = jax.lax.scan(block, params, jax.random.split(k_steps, blocks))
        return losses[-1]

    run = jax.jit(jax.vmap(one_run))
    keys = jax.random.split(jax.random.PRNGKey(a.seed), a.runs)
    start = time.perf_counter()
    run(keys).block_until_ready()
    compile_seconds = time.perf_counter() - start
    start = time.perf_counter()
    final = np.asarray(run(keys).block_until_ready())
    return final, time.perf_counter() - start, compile_seconds


def main():
    a = parser().parse_args()
    if a.steps % a.record_every:
        sys.exit("mlp_peer.py: --steps must be a multiple of --record-every")
    dtype = np.dtype(a.dtype or ("float32" if a.framework == "jax" else "float64")).type
    x, y = gauss_k(a)
    if a.framework == "jax":
        try:
            import jax  # noqa: F401
        except ImportError:
            print("mlp_peer.py: JAX is not installed", file=sys.stderr)
            sys.exit(3)
        final, seconds, compile_seconds = run_jax(a, x, y, dtype)
    else:
        start = time.perf_counter()
        final = run_numpy(a, x, y, dtype)
        seconds, compile_seconds = time.perf_counter() - start, 0.0
    ws = widths(a)
    p = sum(i * o + o for i, o in zip(ws, ws[1:]))
    out = {
        "framework": a.framework,
        "dtype": np.dtype(dtype).name,
        "runs": a.runs,
        "steps": a.steps,
        "seconds": seconds,
        "rate": a.runs * a.steps / seconds,
        "compile_seconds": compile_seconds,
        "p": p,
        "median_final_loss": float(np.nanmedian(final)),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
