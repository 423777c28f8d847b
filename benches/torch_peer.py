#!/usr/bin/env python3
"""PyTorch peer of `simsgd run`: numpy_peer.py's simulations on CUDA tensors.

The simulations are imported from benches/numpy_peer.py (one definition of
each landscape) and run on batched tensors, one tensor per weight and one
element per trajectory, on a CUDA device by default.

`simsgd bench` runs it only where `torch.cuda.is_available()`. The command line
and the printed JSON object are numpy_peer.py's, plus --device/--dtype and the
"torch" and "device" keys.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_peer  # noqa: E402

try:
    import torch
except ImportError:
    print("torch_peer.py: PyTorch is not installed", file=sys.stderr)
    sys.exit(3)


class TorchOps:
    """numpy_peer.NumpyOps on PyTorch tensors."""

    exp, cos, sin = staticmethod(torch.exp), staticmethod(torch.cos), staticmethod(torch.sin)

    def __init__(self, trials, seed, device, dtype):
        self.trials, self.seed, self.device, self.dtype = trials, seed, device, dtype
        self.gen = torch.Generator(device=device)
        self.reseed()

    def reseed(self):
        self.gen.manual_seed(self.seed)

    def full(self, value):
        return torch.full((self.trials,), value, device=self.device, dtype=self.dtype)

    def randn(self, *shape):
        return torch.randn(*shape, generator=self.gen, device=self.device, dtype=self.dtype)

    @staticmethod
    def finite_mean(x, ok):
        return float(x[ok].mean()) if bool(ok.any()) else None

    @staticmethod
    def finite(x):
        return torch.isfinite(x)


def main():
    p = numpy_peer.parser(__doc__.splitlines()[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    a = numpy_peer.defaults(p.parse_args())
    device = torch.device(a.device)
    o = TorchOps(a.trials, a.seed, device, getattr(torch, a.dtype))
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    with torch.no_grad():
        sync()
        t0 = time.perf_counter()
        test, train = numpy_peer.simulate(a, o)
        sync()
        dt = time.perf_counter() - t0
    numpy_peer.report(a, o, dt, test, train, {"peer": "pytorch", "torch": torch.__version__, "device": str(device)})


if __name__ == "__main__":
    main()
