"""im2col against the naive loops of stage 2, on the CNN's two conv layers.

    python -m stage04_im2col.benchmark [--out runs/stage04]

Forward and backward separately, at batch sizes 1 to 64, float32. The naive side
is timed at batch 1 and scaled linearly (its cost is linear in the batch: a loop
over images). Also measures conv2's forward + backward at batch 64 in GFLOP/s,
beside this machine's float32 matmul on a 2048x2048 product in the same run,
the textbook col2im backward against the kernel-row one we use, the input gradient
in one product per kernel row against one wide product for all rows, blocks of
conv.CHUNK images against one block for the whole batch, and Winograd's convolution
against im2col for several tile sizes (winograd_table.py), written to winograd.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from shared.benchmark import (
    Benchmark,
    MachineWatch,
    against_target,
    compare,
    machine_line,
    matmul_gflops,
    median_time,
    summarize,
)
from shared.benchmark_plot import plot_time_vs_batch
from shared.files import write_text
from shared.memory import reuse_freed_memory
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive
from stage04_im2col import conv
from stage04_im2col.conv import conv_backward, conv_forward, weights_as_matrix
from stage04_im2col.im2col import col2im, windows
from stage04_im2col.recompute import conv_backward_recompute, conv_forward_recompute
from stage04_im2col.winograd_table import winograd_table

LAYERS = {"conv1 1->32 28x28": (1, 32, 28), "conv2 32->64 14x14": (32, 64, 14)}
BATCHES = (1, 4, 16, 64)


def conv_flops(n, c, f, size, k=5):
    """Multiply-adds x 2 of one forward pass (same padding): the backward does twice this."""
    return 2 * n * size * size * f * c * k * k


def textbook_backward(dout, cache):
    """dx through the full gradient-of-columns matrix and col2im (for comparison only)."""
    cols, x_shape, w, stride, pad = cache
    dout_mat = dout.reshape(-1, w.shape[0])
    dcols = dout_mat @ weights_as_matrix(w).T
    return col2im(dcols, x_shape, w.shape[2], w.shape[3], stride, pad), cols.T @ dout_mat, dout_mat.sum(0)


def store_or_recompute(rng, rounds=5):
    """Table lines: each conv layer's cache for 32 images and its forward + backward time, with the column
    matrix stored (conv.py) and recomputed (recompute.py), alternating; and the figures, for the json."""
    lines = [
        "| layer, 32 images, as in the CNN | cache: columns stored | cache: input only | columns stored "
        "| columns recomputed | |",
        "|---|---|---|---|---|---|",
    ]
    figures = {}
    for name, (c, f, size) in LAYERS.items():
        x = rng.standard_normal((32, size, size, c), dtype=np.float32)
        w, b = rng.standard_normal((f, c, 5, 5), dtype=np.float32) * 0.05, np.zeros(f, np.float32)
        dy = rng.standard_normal((32, size, size, f), dtype=np.float32)
        need_dx = c > 1  # the CNN's first conv computes no dx

        def stored():
            return conv_backward(dy, conv_forward(x, w, b, 1, 2)[1], need_dx)

        def recomputed():
            return conv_backward_recompute(dy, conv_forward_recompute(x, w, b, 1, 2)[1], need_dx)

        t_stored, t_recomputed = np.median(
            [(median_time(stored, 3), median_time(recomputed, 3)) for _ in range(rounds)], 0
        )
        cols_mb = conv_forward(x, w, b, 1, 2)[1][0].nbytes / 1e6
        lines.append(
            f"| {name} | {cols_mb:.1f} MB | {x.nbytes / 1e6:.1f} MB | {1e3 * t_stored:.1f} ms | "
            f"{1e3 * t_recomputed:.1f} ms | {compare('recomputing', t_recomputed, 'storing', t_stored)} |"
        )
        figures[name] = {
            "cols_mb": cols_mb,
            "input_mb": x.nbytes / 1e6,
            "stored_s": t_stored,
            "recomputed_s": t_recomputed,
        }
    return lines, figures


def narrow_input_grad(dout, w, x_shape, stride, pad):
    """conv_input_grad as it was: KH products of KW * F by C columns, one per kernel row (for comparison)."""
    (N, H, W, C), (F, _, KH, KW), (_, Ho, Wo, _) = x_shape, w.shape, dout.shape
    spread = np.zeros((N, Ho, W + 2 * pad + KW - 1, F), dout.dtype)
    spread[:, :, KW - 1 : KW - 1 + stride * Wo : stride] = dout
    strips = windows(spread, 1, KW)[:, :, pad : pad + W]
    w_rows = w[:, :, :, ::-1].transpose(2, 3, 0, 1).reshape(KH, KW * F, C)
    dx_rows = np.zeros((N, H + 2 * pad, W, C), dout.dtype)
    for start in range(0, N, conv.CHUNK):
        strip_mat = strips[start : start + conv.CHUNK].reshape(-1, KW * F)
        for p in range(KH):
            touched = dx_rows[start : start + conv.CHUNK, p : p + stride * Ho : stride]
            touched += (strip_mat @ w_rows[p]).reshape(touched.shape)
    return dx_rows[:, pad : pad + H]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/stage04"))
    args = parser.parse_args(argv)
    watch = MachineWatch()
    reuse_freed_memory()  # see shared/memory.py; the same setting training uses
    rng = np.random.default_rng(0)
    bench = Benchmark("stage04: im2col conv vs naive loops (float32, 5x5, pad 2)")
    naive_note = "naive times are measured at batch 1 and scaled linearly to the batch size"
    for name, (c, f, size) in LAYERS.items():
        w = rng.standard_normal((f, c, 5, 5), dtype=np.float32) * 0.05
        b = np.zeros(f, np.float32)
        x1 = rng.standard_normal((1, c, size, size), dtype=np.float32)
        y1, cache1 = conv_forward_naive(x1, w, b, 1, 2)
        naive_fwd = median_time(lambda: conv_forward_naive(x1, w, b, 1, 2), repeats=3)
        naive_bwd = median_time(lambda: conv_backward_naive(y1, cache1), repeats=3)
        for n in BATCHES:
            x = rng.standard_normal((n, size, size, c), dtype=np.float32)
            y, cache = conv_forward(x, w, b, 1, 2)
            dy = rng.standard_normal(y.shape, dtype=np.float32)
            bench.record(f"{name} forward N={n}", "naive (stage02)", naive_fwd * n, 3, naive_note)
            bench.add(f"{name} forward N={n}", "im2col (stage04)", lambda: conv_forward(x, w, b, 1, 2))
            bench.record(f"{name} backward N={n}", "naive (stage02)", naive_bwd * n, 3, naive_note)
            bench.add(f"{name} backward N={n}", "im2col (stage04)", lambda: conv_backward(dy, cache))

    # conv2 at batch 64: GFLOP/s against the machine's matmul, and the two ways to get dx
    x = rng.standard_normal((64, 14, 14, 32), dtype=np.float32)
    w = rng.standard_normal((64, 32, 5, 5), dtype=np.float32) * 0.05
    b = np.zeros(64, np.float32)
    y, cache = conv_forward(x, w, b, 1, 2)
    dy = rng.standard_normal(y.shape, dtype=np.float32)

    def conv2_step():
        return conv_backward(dy, conv_forward(x, w, b, 1, 2)[1])

    # alternate the two measurements, so that a noisy neighbour on a shared machine hits both
    rounds = np.array([(median_time(conv2_step, repeats=5), matmul_gflops(repeats=3)) for _ in range(5)])
    fwd_bwd, matmul = np.median(rounds, axis=0)
    backwards = []  # (textbook, ours), alternating too
    for _ in range(5):
        textbook = median_time(lambda: textbook_backward(dy, cache), repeats=3)
        backwards.append((textbook, median_time(lambda: conv_backward(dy, cache), repeats=3)))
    textbook, ours = np.median(backwards, axis=0)
    with threadpool_limits(1, user_api="blas"):  # as each data-parallel thread runs them, on its 32 images
        x32, dy32 = x[:32], dy[:32]
        narrow, wide = np.median(
            [
                (
                    median_time(lambda: narrow_input_grad(dy32, w, x32.shape, 1, 2), repeats=3),
                    median_time(lambda: conv.conv_input_grad(dy32, w, x32.shape, 1, 2), repeats=3),
                )
                for _ in range(7)
            ],
            axis=0,
        )
        recompute_lines, recompute = store_or_recompute(rng)
    winograd_lines, winograd = winograd_table(rng)

    def conv2_step_in_one_block():
        chunk, conv.CHUNK = conv.CHUNK, len(x)  # one block for the whole batch, for comparison
        try:
            return conv2_step()
        finally:
            conv.CHUNK = chunk

    blocks = [(median_time(conv2_step, repeats=3), median_time(conv2_step_in_one_block, repeats=3)) for _ in range(5)]
    in_blocks, one_block = np.median(blocks, axis=0)
    conv2 = 3 * conv_flops(64, 32, 64, 14) / fwd_bwd / 1e9
    bench.extra = {
        "store_or_recompute": recompute,
        "winograd": winograd,
        "conv2_fwd_bwd_batch64_s": fwd_bwd,
        "conv2_gflops": conv2,
        "matmul_2048_gflops": matmul,
        "conv2_fraction_of_matmul": conv2 / matmul,
        "conv2_backward_textbook_col2im_s": textbook,
        "conv2_input_grad_narrow_products_s": narrow,
        "conv2_input_grad_one_wide_product_s": wide,
        "conv2_backward_kernel_rows_s": ours,
        "conv2_fwd_bwd_in_blocks_s": in_blocks,
        "conv2_fwd_bwd_one_block_s": one_block,
    }
    print(f"\n{bench.title}\n\n{bench.table('naive (stage02)')}\n")
    summary = "\n".join(
        [
            f"conv2 forward+backward, batch 64: {fwd_bwd * 1e3:.1f} ms = {conv2:.1f} GFLOP/s; float32 matmul "
            f"2048x2048: {matmul:.1f} GFLOP/s; the conv at {against_target(100 * conv2 / matmul, 50, False, '%')}",
            f"conv2 backward, batch 64: textbook dcols + col2im {textbook * 1e3:.1f} ms, kernel-row products "
            f"{ours * 1e3:.1f} ms: {compare('kernel rows', ours, 'col2im', textbook)}",
            f"conv2 input gradient, 32 images, one BLAS thread: one product per kernel row {narrow * 1e3:.1f} ms, "
            f"one wide product for all rows {wide * 1e3:.1f} ms: {compare('one wide', wide, 'narrow ones', narrow)}",
            f"conv2 forward+backward, batch 64: blocks of {conv.CHUNK} images {in_blocks * 1e3:.1f} ms, one block "
            f"of 64 {one_block * 1e3:.1f} ms: {compare(f'blocks of {conv.CHUNK}', in_blocks, 'one block', one_block)}",
            summarize(bench.speedups("naive (stage02)", "im2col (stage04)"), "im2col", "the naive loops"),
        ]
    )
    recompute_table = "\n".join(
        [
            "Store or recompute the column matrix (forward + backward, 32 images on one BLAS thread, as each "
            "data-parallel thread trains; median of 5 rounds):",
            "",
            *recompute_lines,
        ]
    )
    winograd_text = "\n".join(
        [
            "Winograd against im2col on conv2 (one BLAS thread, as each data-parallel thread runs it; median of 5 "
            "rounds; float32 error: max |float32 - exact| / max |exact|, exact computed in float64):",
            "",
            *winograd_lines,
        ]
    )
    print(f"{summary}\n\n{recompute_table}\n\n{winograd_text}\n")
    watch.finish()
    bench.save(
        args.out, "conv", "naive (stage02)", watch, notes=summary.replace("\n", "\n\n") + "\n\n" + recompute_table
    )
    write_text(args.out / "winograd.md", winograd_text + f"\n\nMeasured on: {machine_line()}.\n")
    plot_time_vs_batch(
        bench,
        LAYERS,
        BATCHES,
        "Convolution time against batch size (log-log); naive scaled from batch 1",
        args.out / "conv_vs_batch.png",
    )


if __name__ == "__main__":
    main()
