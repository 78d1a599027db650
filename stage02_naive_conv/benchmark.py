"""What a convolution saves: the naive conv against the dense layer it replaces.

    python -m stage02_naive_conv.benchmark [--out runs/stage02]

A conv layer is a fully connected layer whose weights are local and shared. For
the CNN's first layer (1x28x28 -> 32x28x28, 5x5, pad 2) this prints, per image,
the parameters and multiply-adds of both, and the time of stage 1's batched
affine layer against stage 2's loops, forward and backward.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from shared.benchmark import Benchmark, MachineWatch, compare
from stage01_fc.functional import affine_backward, affine_forward
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/stage02"))
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args(argv)
    watch = MachineWatch()
    rng = np.random.default_rng(0)
    n = args.batch
    x = rng.standard_normal((n, 1, 28, 28), dtype=np.float32)
    w = rng.standard_normal((32, 1, 5, 5), dtype=np.float32)
    b = np.zeros(32, np.float32)
    d_in, d_out = 28 * 28, 32 * 28 * 28
    w_dense = rng.standard_normal((d_in, d_out), dtype=np.float32) * 0.01
    b_dense = np.zeros(d_out, np.float32)
    x_flat = x.reshape(n, -1)
    dout = rng.standard_normal((n, 32, 28, 28), dtype=np.float32)

    bench = Benchmark(f"stage02: conv1 (1->32, 5x5, pad 2, 28x28) vs a dense 784->25088 layer, batch {n}")
    _, conv_cache = conv_forward_naive(x, w, b, 1, 2)
    dense, loops = "dense (stage01, batched)", "conv (stage02, loops)"
    forward = {
        dense: lambda: affine_forward(x_flat, w_dense, b_dense),
        loops: lambda: conv_forward_naive(x, w, b, 1, 2),
    }
    bench.add_in_turn("forward", forward, repeats=1)
    dense_cache, dout_flat = (x_flat, w_dense), dout.reshape(n, -1)
    backward = {
        dense: lambda: affine_backward(dout_flat, dense_cache),
        loops: lambda: conv_backward_naive(dout, conv_cache),
    }
    bench.add_in_turn("backward", backward, repeats=1)
    bench.extra = {
        "parameters": {"dense": d_in * d_out + d_out, "conv": w.size + b.size},
        "macs_per_image": {"dense": d_in * d_out, "conv": d_out * 25},
    }
    print(f"\n{bench.title}\n\n{bench.table('conv (stage02, loops)')}\n")
    counts = [
        f"{key.replace('_', ' ')}: dense {v['dense']:,}, conv {v['conv']:,} "
        f"(the conv needs {v['dense'] / v['conv']:,.0f}x fewer)"
        for key, v in bench.extra.items()
    ]
    print("\n".join(counts))
    print(f"\n{conclusion(bench)}")
    watch.finish()
    bench.save(
        args.out, "conv_vs_dense", "conv (stage02, loops)", watch, notes="\n\n".join([*counts, conclusion(bench)])
    )


def conclusion(bench):
    """What this run's times say, forward and backward (the counts above favour the conv every time)."""
    loops, dense = "conv (stage02, loops)", "dense (stage01, batched)"
    phases = ("forward", "backward")
    said = [
        compare(f"the {p} pass of the loops", bench.seconds(p, loops), "one BLAS call", bench.seconds(p, dense))
        for p in phases
    ]
    lost = sum(bench.seconds(p, loops) > bench.seconds(p, dense) for p in phases)
    moral = ["and the loops beat one BLAS call here", "and the loops lose one phase of two to one BLAS call",
             "yet the loops lose to one BLAS call: stage 4 fixes that"][lost]  # fmt: skip
    return f"Fewer parameters and less arithmetic, {moral}: " + "; ".join(said) + "."


if __name__ == "__main__":
    main()
