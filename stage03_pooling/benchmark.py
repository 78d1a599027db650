"""How much does pooling cost next to the convolution before it? (both naive)

    python -m stage03_pooling.benchmark [--out runs/stage03] [--batch 4]

Times stage 3's max pool and stage 2's conv on the CNN's two conv+pool blocks,
forward and backward, at one small batch.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from shared.benchmark import Benchmark, MachineWatch
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive
from stage03_pooling.pool import maxpool_backward_naive, maxpool_forward_naive

BLOCKS = {
    "block 1 (conv 1->32 on 28x28, pool 32x28x28)": (1, 32, 28),
    "block 2 (conv 32->64 on 14x14, pool 64x14x14)": (32, 64, 14),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/stage03"))
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args(argv)
    watch = MachineWatch()
    rng = np.random.default_rng(0)
    n = args.batch
    bench = Benchmark(f"stage03: naive max pool 2x2 vs the naive conv before it, batch {n}, float32")
    for name, (c, f, size) in BLOCKS.items():
        x = rng.standard_normal((n, c, size, size), dtype=np.float32)
        w = rng.standard_normal((f, c, 5, 5), dtype=np.float32)
        b = np.zeros(f, np.float32)
        y, conv_cache = conv_forward_naive(x, w, b, 1, 2)
        dy = rng.standard_normal(y.shape, dtype=np.float32)
        p, pool_cache = maxpool_forward_naive(y, 2, 2)
        dp = rng.standard_normal(p.shape, dtype=np.float32)
        forward = {"conv (stage02)": lambda: conv_forward_naive(x, w, b, 1, 2),
                   "max pool (stage03)": lambda: maxpool_forward_naive(y, 2, 2)}  # fmt: skip
        backward = {"conv (stage02)": lambda: conv_backward_naive(dy, conv_cache),
                    "max pool (stage03)": lambda: maxpool_backward_naive(dp, pool_cache)}  # fmt: skip
        bench.add_in_turn(f"{name}, forward", forward, repeats=1)
        bench.add_in_turn(f"{name}, backward", backward, repeats=1)
    print(f"\n{bench.title}\n\n{bench.table('conv (stage02)')}\n")
    print("The speedup column is how many times cheaper the pool is than the conv that feeds it.")
    for name in BLOCKS:
        phases = [f"{name}, {phase}" for phase in ("forward", "backward")]
        pool, conv = (sum(bench.seconds(p, impl) for p in phases) for impl in ("max pool (stage03)", "conv (stage02)"))
        print(f"{name.split(' (')[0]}: the pool takes {pool / conv:.1%} of its conv's time, forward and backward.")
    watch.finish()
    bench.save(args.out, "pool_vs_conv", "conv (stage02)", watch)


if __name__ == "__main__":
    main()
