"""Strided pooling against stage 3's loops, and against the conv it follows.

    python -m stage05_strided_pool.benchmark [--out runs/stage05]

2x2 max pools on the CNN's shapes (32x28x28 and 64x14x14), batch 1 to 64,
forward and backward separately, float32, both sides measured in full. Then the
target: the 32x28x28 pool's forward + backward as a share of conv2's forward +
backward (stage 4) at batch 64, measured in the same run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from shared.benchmark import Benchmark, MachineWatch, against_target, median_time, summarize
from shared.benchmark_plot import plot_time_vs_batch
from shared.memory import reuse_freed_memory
from stage03_pooling.pool import maxpool_backward_naive, maxpool_forward_naive
from stage04_im2col.conv import conv_backward, conv_forward
from stage05_strided_pool.pool import maxpool_backward, maxpool_forward

SHAPES = {"pool 32x28x28": (32, 28), "pool 64x14x14": (64, 14)}
BATCHES = (1, 4, 16, 64)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/stage05"))
    args = parser.parse_args(argv)
    watch = MachineWatch()
    reuse_freed_memory()  # see shared/memory.py; the same setting training uses
    rng = np.random.default_rng(0)
    bench = Benchmark("stage05: strided 2x2 max pool vs naive loops (float32, ReLU outputs)")
    for name, (c, size) in SHAPES.items():
        for n in BATCHES:
            x = np.maximum(rng.standard_normal((n, size, size, c), dtype=np.float32), 0)
            x_nchw = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
            out, cache = maxpool_forward(x)
            _, cache_naive = maxpool_forward_naive(x_nchw)
            dout = rng.standard_normal(out.shape, dtype=np.float32)
            dout_nchw = np.ascontiguousarray(dout.transpose(0, 3, 1, 2))
            forward = {"naive (stage03)": lambda: maxpool_forward_naive(x_nchw),
                       "strided (stage05)": lambda: maxpool_forward(x)}  # fmt: skip
            backward = {"naive (stage03)": lambda: maxpool_backward_naive(dout_nchw, cache_naive),
                        "strided (stage05)": lambda: maxpool_backward(dout, cache)}  # fmt: skip
            bench.add_in_turn(f"{name} forward N={n}", forward, repeats=1)
            bench.add_in_turn(f"{name} backward N={n}", backward, repeats=1)

    # the target: pool1 forward + backward against conv2 forward + backward, batch 64
    x = np.maximum(rng.standard_normal((64, 28, 28, 32), dtype=np.float32), 0)
    dp = rng.standard_normal((64, 14, 14, 32), dtype=np.float32)
    xc = rng.standard_normal((64, 14, 14, 32), dtype=np.float32)
    w, b = rng.standard_normal((64, 32, 5, 5), dtype=np.float32) * 0.05, np.zeros(64, np.float32)
    dy = rng.standard_normal((64, 14, 14, 64), dtype=np.float32)
    rounds = np.array(
        [
            (
                median_time(lambda: maxpool_backward(dp, maxpool_forward(x)[1]), repeats=7),
                median_time(lambda: conv_backward(dy, conv_forward(xc, w, b, 1, 2)[1]), repeats=5),
            )
            for _ in range(3)
        ]
    )
    pool, conv = np.median(rounds, axis=0)
    bench.extra = {"pool1_fwd_bwd_batch64_s": pool, "conv2_fwd_bwd_batch64_s": conv, "pool_share_of_conv2": pool / conv}
    print(f"\n{bench.title}\n\n{bench.table('naive (stage03)')}\n")
    summary = (
        f"batch 64: pool 32x28x28 forward+backward {pool * 1e3:.2f} ms, conv2 forward+backward "
        f"{conv * 1e3:.1f} ms: the pool's share of the conv {against_target(100 * pool / conv, 15, unit='%')}\n"
        + summarize(bench.speedups("naive (stage03)", "strided (stage05)"), "strided", "the naive loops")
    )
    print(summary)
    watch.finish()
    bench.save(args.out, "pool", "naive (stage03)", watch, notes=summary)
    plot_time_vs_batch(
        bench, SHAPES, BATCHES, "2x2 max pool time against batch size (log-log)", args.out / "pool_vs_batch.png"
    )


if __name__ == "__main__":
    main()
