"""Winograd against im2col on the CNN's second conv: multiplies, time and float32 error per tile size.

stage04_im2col.benchmark calls `winograd_table`, which times each side in turn,
round after round (one BLAS thread, as each data-parallel thread trains), and
measures each side's float32 rounding against the exact (float64) convolution.
"""

from __future__ import annotations

import functools

import numpy as np
from threadpoolctl import threadpool_limits

from shared.benchmark import compare, median_time
from stage04_im2col.conv import conv_backward, conv_forward
from stage04_im2col.winograd import TILE, tiles, winograd_backward, winograd_forward

TILES = (2, 3, 4, 5, 6)  # m: outputs per tile along each axis
C, F, SIZE, K = 32, 64, 14, 5  # the CNN's second conv: 32 -> 64 channels, 14x14, 5x5, pad 2


def multiplies(m):
    """Multiplies per output value and channel pair: in a tile, and on the 14x14 layer in whole tiles."""
    if m == 1:
        return K * K, K * K
    n = m + K - 1
    return n * n / (m * m), n * n * tiles(SIZE, SIZE, m)[0] ** 2 / SIZE**2


def float32_errors(forward, backward, rng):
    """max |float32 - exact| / max |exact| of the output and of dW, on post-ReLU inputs and He-scaled weights."""
    x = np.maximum(rng.standard_normal((8, SIZE, SIZE, C)), 0)
    w, b = rng.standard_normal((F, C, K, K)) * np.sqrt(2 / (C * K * K)), np.zeros(F)
    dy = rng.standard_normal((8, SIZE, SIZE, F))
    exact_out, cache = conv_forward(x, w, b, 1, 2)
    exact_dw = conv_backward(dy, cache)[1]
    as32 = [a.astype(np.float32) for a in (x, w, b, dy)]
    out, cache32 = forward(*as32[:3], 1, 2)
    dw = backward(as32[3], cache32)[1]
    return [float(np.abs(a - e).max() / np.abs(e).max()) for a, e in ((out, exact_out), (dw, exact_dw))]


def winograd_table(rng, rounds=5):
    """Table lines and the figures (for the json): im2col, then Winograd for each tile size in TILES."""
    x64 = np.maximum(rng.standard_normal((64, SIZE, SIZE, C), dtype=np.float32), 0)
    x32 = np.maximum(rng.standard_normal((32, SIZE, SIZE, C), dtype=np.float32), 0)
    w = (rng.standard_normal((F, C, K, K)) * np.sqrt(2 / (C * K * K))).astype(np.float32)
    b, dy = np.zeros(F, np.float32), rng.standard_normal((32, SIZE, SIZE, F), dtype=np.float32)
    sides = {"im2col": (1, conv_forward, conv_backward)}  # keyed as in the json: im2col, winograd_m2, ...
    for m in TILES:
        sides[f"winograd_m{m}"] = (m, functools.partial(winograd_forward, m=m), winograd_backward)

    def timed(forward, backward):
        return (
            median_time(lambda: forward(x64, w, b, 1, 2), repeats=3),
            median_time(lambda: backward(dy, forward(x32, w, b, 1, 2)[1]), repeats=3),
        )

    with threadpool_limits(1, user_api="blas"):
        times = np.median([[timed(fw, bw) for _, fw, bw in sides.values()] for _ in range(rounds)], axis=0)
    figures = {}
    for (name, (m, fw, bw)), (t_fwd, t_step) in zip(sides.items(), times):
        err_out, err_dw = float32_errors(fw, bw, np.random.default_rng(1))
        per_tile, per_layer = multiplies(m)
        figures[name] = {
            "name": "im2col" if m == 1 else f"Winograd F({m}x{m}, 5x5)",
            "m": m,
            "multiplies_per_output": per_tile,
            "multiplies_per_output_14x14": per_layer,
            "forward_64_s": float(t_fwd),
            "forward_backward_32_s": float(t_step),
            "float32_error_out": err_out,
            "float32_error_dw": err_dw,
        }
    base = figures["im2col"]
    lines = [
        "| algorithm | multiplies per output and channel pair: in a tile | on the 14x14 layer "
        "| forward, 64 images | forward + backward, 32 images | forward + backward against im2col "
        "| float32 error: output | float32 error: dW |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in figures.values():
        step = f["forward_backward_32_s"]
        against = "" if f["m"] == 1 else compare("Winograd", step, "im2col", base["forward_backward_32_s"])
        lines.append(
            f"| {f['name']}{' (the CNN uses it)' if f['m'] == TILE else ''} | {f['multiplies_per_output']:.2f} | "
            f"{f['multiplies_per_output_14x14']:.2f} | {1e3 * f['forward_64_s']:.2f} ms | "
            f"{1e3 * f['forward_backward_32_s']:.2f} ms | {against} | {f['float32_error_out']:.1e} | "
            f"{f['float32_error_dw']:.1e} |"
        )
    return lines, figures
