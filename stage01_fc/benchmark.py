"""Why batch? A per-sample Python loop against one batched matrix multiply.

    python -m stage01_fc.benchmark [--out runs/stage01]

Times the affine layer (784 -> 128, float32) forward and backward for several
batch sizes, looping over samples one at a time versus one call on the batch.
The first line is measured with glibc's default allocator, which hands every
array above 128 KB fresh from the operating system (page faults on first write);
then reuse_freed_memory() is called, as training does, and the table is measured.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from shared.benchmark import Benchmark, MachineWatch, summarize
from shared.memory import reuse_freed_memory
from stage01_fc.functional import affine_backward, affine_forward


def loop_forward(x, w, b):
    return np.stack([affine_forward(xi[None], w, b)[0][0] for xi in x])


def loop_backward(dout, x, w):
    """One sample at a time, summing dW and db in place (`dw = dw + dwn` would allocate a
    fresh 784x128 array per sample, and that allocation, not the arithmetic, would dominate)."""
    dx, dw, db = np.empty_like(x), np.zeros_like(w), np.zeros(w.shape[1], w.dtype)
    for n in range(len(x)):
        dxn, dwn, dbn = affine_backward(dout[n : n + 1], (x[n : n + 1], w))
        dx[n] = dxn[0]
        dw += dwn
        db += dbn
    return dx, dw, db


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/stage01"))
    args = parser.parse_args(argv)
    watch = MachineWatch()
    rng = np.random.default_rng(0)
    d, m = 784, 128
    w = rng.standard_normal((d, m), dtype=np.float32)
    b = np.zeros(m, np.float32)
    bench = Benchmark("stage01: affine 784->128 (float32), per-sample loop vs batched")
    x, dout = rng.standard_normal((1, d), dtype=np.float32), rng.standard_normal((1, m), dtype=np.float32)
    fresh = "backward N=1, glibc's default allocator"
    bench.add_in_turn(
        fresh, {"loop": lambda: loop_backward(dout, x, w), "batched": lambda: affine_backward(dout, (x, w))}, 20
    )
    reuse_freed_memory()
    for n in (1, 16, 64, 256):
        x = rng.standard_normal((n, d), dtype=np.float32)
        dout = rng.standard_normal((n, m), dtype=np.float32)
        cache = (x, w)
        bench.add_in_turn(
            f"forward N={n}", {"loop": lambda: loop_forward(x, w, b), "batched": lambda: affine_forward(x, w, b)}
        )
        bench.add_in_turn(
            f"backward N={n}",
            {"loop": lambda: loop_backward(dout, x, w), "batched": lambda: affine_backward(dout, cache)},
        )
    print(f"\n{bench.title}\n\n{bench.table('loop')}\n")
    print(summarize(bench.speedups("loop", "batched"), "batched", "the per-sample loop") + ".")
    watch.finish()
    bench.save(args.out, "affine", "loop", watch)
    print(f"saved {args.out}/affine.md and .json")


if __name__ == "__main__":
    main()
