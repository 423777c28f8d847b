#!/usr/bin/env python3
"""JAX peer of `simsgd run`: numpy_peer.py's simulations, compiled by XLA.

The landscapes are imported from benches/numpy_peer.py (one definition of
each) and evaluated on JAX arrays, one array per weight and one element per
trajectory. The whole run, every step of every trial, is one `jax.jit` of a
`jax.lax.scan` over the steps; float32 by default, float64 with --dtype float64
(which turns on jax_enable_x64). Random numbers are jax.random's (not simsgd's
Philox stream, nor NumPy's), so the mean test loss is a sanity check only.

"seconds" excludes compilation: the compiled run is called once to warm up,
then timed once more (until `block_until_ready`); "compile_seconds" is the
first call's time.

The command line and the printed JSON object are numpy_peer.py's, plus --dtype
and the "jax", "device" and "dtype" keys. A landscape numpy_peer.py lacks exits
with its UNSUPPORTED status (4); without JAX it exits with status 3, and
`simsgd bench` skips the peer with the reason.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402

import numpy_peer  # noqa: E402


class JaxOps:
    """numpy_peer.NumpyOps's array functions on JAX arrays (the landscapes use
    exp, cos and sin; the random numbers are drawn in `simulate` from keys)."""

    def __init__(self, jnp):
        self.exp, self.cos, self.sin = jnp.exp, jnp.cos, jnp.sin


def simulate(a, jax, dtype):
    """A jitted function of a PRNG key returning per-trial (test loss, train loss)."""
    jnp, lax = jax.numpy, jax.lax
    init, degree, loss, grad = numpy_peer.LANDSCAPES[a.landscape]
    nodes, weights = numpy_peer.rule(degree)
    o = JaxOps(jnp)
    n, trials, eta = a.train_size, a.trials, a.eta
    fresh = a.optimizer == "sgd" and n == a.steps and a.epochs == 1
    # Each weight's gradient on a batch of x of shape (M, trials) or (M, 1).
    def grads(th, x):
        return [jnp.broadcast_to(g, (x.shape[0], trials)) for g in grad(o, th, x)]

    def losses(th, x):
        return jnp.broadcast_to(loss(o, th, x), (x.shape[0], trials))

    def normal(key, shape):
        return jax.random.normal(key, shape, dtype=dtype)

    xs_nodes = jnp.asarray(nodes, dtype=dtype)[:, None]
    ws = jnp.asarray(weights, dtype=dtype)
    sqrt_ws = jnp.sqrt(ws)[:, None]

    def run(key):
        k_data, k_steps, k_train = jax.random.split(key, 3)
        th0 = [jnp.full((trials,), v, dtype=dtype) for v in init]
        data = None if fresh else normal(k_data, (n, trials))
        if a.optimizer == "sde":
            h = eta / a.substeps
            sigma = eta / np.sqrt(a.substeps)

            def substep(th, k):
                gs = grads(th, xs_nodes)  # per weight: (J, trials)
                mean = [(ws[:, None] * g).sum(0) for g in gs]
                xi = normal(k, (len(nodes), trials))
                th = [t - h * m + sigma * (sqrt_ws * xi * (g - m)).sum(0) for t, g, m in zip(th, gs, mean)]
                return th, None

            keys = jax.random.split(k_steps, a.steps * a.substeps)
            th, _ = lax.scan(substep, th0, keys)
        elif a.optimizer == "gd":

            def step(th, _):
                return [t - eta * g.mean(0) for t, g in zip(th, grads(th, data))], None

            th, _ = lax.scan(step, th0, None, length=a.steps)
        elif fresh:
            keys = jax.random.split(k_steps, a.steps)

            def step(th, k):
                return [t - eta * g for t, g in zip(th, grad(o, th, normal(k, (trials,))))], None

            th, _ = lax.scan(step, th0, keys)
        else:

            def step(th, t):
                x = lax.dynamic_index_in_dim(data, t % n, keepdims=False)
                return [w - eta * g for w, g in zip(th, grad(o, th, x))], None

            th, _ = lax.scan(step, th0, jnp.arange(a.steps))
        test = (ws[:, None] * losses(th, xs_nodes)).sum(0)
        if fresh:
            # Replays the steps' draws: the train loss over the trial's N points.
            def add(acc, k):
                return acc + loss(o, th, normal(k, (trials,))), None

            train, _ = lax.scan(add, jnp.zeros((trials,), dtype=dtype), keys)
        elif a.optimizer == "sde":
            train = losses(th, normal(k_train, (n, trials))).sum(0)
        else:
            train = losses(th, data).sum(0)
        return test, train / n

    return jax.jit(run)


def main():
    p = numpy_peer.parser(__doc__.splitlines()[0])
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    a = numpy_peer.defaults(p.parse_args())
    try:
        import jax
    except ImportError:
        print("jax_peer.py: JAX is not installed (jax is missing)", file=sys.stderr)
        sys.exit(3)
    if a.dtype == "float64":
        jax.config.update("jax_enable_x64", True)
    dtype = getattr(jax.numpy, a.dtype)
    run = simulate(a, jax, dtype)
    key = jax.random.PRNGKey(a.seed)
    t0 = time.perf_counter()
    jax.block_until_ready(run(key))
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    test, train = jax.block_until_ready(run(key))
    dt = time.perf_counter() - t0
    test, train = np.asarray(test, dtype=np.float64), np.asarray(train, dtype=np.float64)
    extra = {
        "peer": "jax",
        "jax": jax.__version__,
        "device": jax.devices()[0].platform,
        "dtype": a.dtype,
        "compile_seconds": compile_s,
    }
    with np.errstate(all="ignore"):
        numpy_peer.report(a, numpy_peer.NumpyOps, dt, test, train, extra)


if __name__ == "__main__":
    main()
