#!/usr/bin/env python3
"""PyTorch peer of `simsgd run`: numpy_peer.py's simulations on PyTorch tensors.

The simulations are imported from benches/numpy_peer.py (one definition of
each landscape, step and final loss) and run on batched tensors, one tensor per
weight and one element per trajectory, on a CUDA device by default
(--device, or SIMSGD_TORCH_DEVICE, e.g. cpu).

Eager by default: every operation of every step is its own kernel. With
--compile K the steps run in blocks of K (a last block of steps mod K), each
block one function compiled by `torch.compile` (--compile-mode, default
max-autotune-no-cudagraphs: CUDA graphs would save one launch per block), which
fuses a block's arithmetic into one kernel. Its normal draws (--compile-random)
are made in that kernel by Inductor's Philox on CUDA ("kernel": no memory
traffic), and elsewhere by ATen's generator as eager PyTorch makes them
("aten", Inductor's fallback_random: on a CPU Inductor's per-element Philox
and Box-Muller are scalar code, ATen's vectorised, about 10x faster here).
Either way the same blocks replay fresh-sample SGD's points for its train
loss: reseeded, the default generator gives the same numbers, or the same
kernels' seeds, in the same order.
A block is unrolled and its compilation grows with its length, so a GD block
holds K // N steps (N gradients a step) and an SDE block K // (substeps x
Gauss-Hermite nodes), at least one.

Compilation is excluded from "seconds": every block is compiled and run once
before the timed run (a recompilation during it is an error), and
"compile_seconds" is that warm-up's time. Random numbers are PyTorch's (seeded
with torch.manual_seed), neither
simsgd's Philox stream nor NumPy's, so the mean test loss is a sanity check.

`simsgd bench` runs it (peers torch and torch-compiled) only where PyTorch
imports and, on a CUDA device, where `torch.cuda.is_available()`. The command
line and the printed JSON object are numpy_peer.py's, plus --device, --dtype,
--compile, --compile-mode and --compile-random and the "torch", "device" and
"dtype" keys (and "compile", "block_steps", "compile_mode", "compile_random"
and "compile_seconds" when compiled). Without PyTorch it exits with status 3.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_peer  # noqa: E402

try:
    import torch
    import torch._inductor.config
except ImportError:
    print("torch_peer.py: PyTorch is not installed (torch is missing)", file=sys.stderr)
    sys.exit(3)

# The device when --device is not given: SIMSGD_TORCH_DEVICE, else CUDA.
DEVICE = os.environ.get("SIMSGD_TORCH_DEVICE") or "cuda"


class TorchOps:
    """numpy_peer.NumpyOps on PyTorch tensors. The numbers come from PyTorch's
    default generator, the one that compiled code draws its seeds from."""

    exp, cos, sin = staticmethod(torch.exp), staticmethod(torch.cos), staticmethod(torch.sin)

    def __init__(self, trials, seed, device, dtype):
        self.trials, self.seed, self.device, self.dtype = trials, seed, device, dtype
        self.reseed()

    def reseed(self):
        torch.manual_seed(self.seed)

    def full(self, value):
        return torch.full((self.trials,), value, device=self.device, dtype=self.dtype)

    def randn(self, *shape):
        return torch.randn(*shape, device=self.device, dtype=self.dtype)

    @staticmethod
    def row(data, t):
        # t is a 0-d tensor in a compiled block, where data[t] would read it on the host.
        return data[t] if isinstance(t, int) else data.index_select(0, t.reshape(1))[0]

    @staticmethod
    def finite_mean(x, ok):
        return float(x[ok].mean()) if bool(ok.any()) else None

    @staticmethod
    def finite(x):
        return torch.isfinite(x)


class Blocks:
    """A `loop` for numpy_peer.Simulation.run: n steps of f(state, t) as blocks
    of k steps and one of n mod k, each block a compiled function of the state
    and its steps' indices (one compilation per step function and block size)."""

    def __init__(self, k, device, mode):
        self.k, self.device, self.mode = k, device, mode
        self.compiled = {}
        # While warming up, each block size runs once (its result unused).
        self.warming = False

    def __call__(self, f, state, n):
        sizes = [self.k] * (n // self.k) + [n % self.k] * (n % self.k > 0)
        if self.warming:
            sizes = sorted(set(sizes))
        ts = torch.arange(n, device=self.device)
        t0 = 0
        for m in sizes:
            state = self.block(f, m)(state, ts[t0 : t0 + m])
            t0 += m
        return state

    def block(self, f, m):
        if (f, m) not in self.compiled:

            def run(state, ts):
                for i in range(m):
                    state = f(state, ts[i])
                return state

            self.compiled[f, m] = torch.compile(run, mode=self.mode, dynamic=False, fullgraph=True)
        return self.compiled[f, m]


def block_steps(a, sim, k):
    """Steps per compiled block: k of SGD; of GD and the SDE, as many as hold
    about k gradient evaluations (a GD step evaluates N of them, an SDE step
    substeps x Gauss-Hermite nodes), at least one."""
    per_step = {"sgd": 1, "gd": a.train_size, "sde": a.substeps * len(sim.nodes)}[a.optimizer]
    return max(1, k // per_step)


def check():
    """Exits 0 where the peer can run on its default device, else 1 with the
    reason on stderr (`simsgd bench` asks before it runs the PyTorch peers)."""
    if torch.device(DEVICE).type == "cuda" and not torch.cuda.is_available():
        sys.exit("PyTorch with CUDA is not available")
    sys.exit(0)


def main():
    if sys.argv[1:] == ["--check"]:
        check()
    p = numpy_peer.parser(__doc__.splitlines()[0])
    p.add_argument("--device", default=DEVICE, help=f"default: SIMSGD_TORCH_DEVICE, else cuda (now {DEVICE})")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--compile", type=int, default=0, metavar="K", help="compiled blocks of K steps, K gradient evaluations of GD and SDE (0: eager)")
    p.add_argument("--compile-mode", default="max-autotune-no-cudagraphs", help="torch.compile's mode")
    p.add_argument(
        "--compile-random",
        choices=["kernel", "aten"],
        help="normals drawn in the compiled kernel, or by ATen's generator [default: kernel on CUDA, aten elsewhere]",
    )
    a = numpy_peer.defaults(p.parse_args())
    if a.compile < 0:
        p.error("--compile must be at least 0")
    device = torch.device(a.device)
    o = TorchOps(a.trials, a.seed, device, getattr(torch, a.dtype))
    sim = numpy_peer.Simulation(a, o)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    extra = {"peer": "pytorch", "torch": torch.__version__, "device": str(device), "dtype": a.dtype}
    loop = None
    if a.compile:
        random = a.compile_random or ("kernel" if device.type == "cuda" else "aten")
        torch._inductor.config.fallback_random = random == "aten"
        loop = Blocks(block_steps(a, sim, a.compile), device, a.compile_mode)
        extra.update({"compile": a.compile, "block_steps": loop.k, "compile_mode": a.compile_mode, "compile_random": random})
    with torch.no_grad():
        if loop:
            loop.warming = True
            t0 = time.perf_counter()
            sim.run(loop)
            sync()
            extra["compile_seconds"] = time.perf_counter() - t0
            loop.warming = False
            torch._dynamo.config.error_on_recompile = True
        sync()
        t0 = time.perf_counter()
        test, train = sim.run(loop)
        sync()
        dt = time.perf_counter() - t0
    numpy_peer.report(a, o, dt, test, train, extra)


if __name__ == "__main__":
    main()
