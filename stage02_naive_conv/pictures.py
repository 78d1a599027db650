"""The picture of stage 2: a 3x3 kernel sliding with stride 2 over a zero-padded input.

    python -m stage02_naive_conv.pictures [--out runs/stage02]

writes sliding_window.png. The outputs shown are conv_forward_naive's, with a kernel
of ones, so each is the sum of its window and can be checked by hand.
"""

from __future__ import annotations

import numpy as np

from shared.pictures import LIGHT, PADDING, STRONG, arrow, canvas, frame, grid, note, out_folder, save
from stage02_naive_conv.conv import conv_forward_naive

SHOWN = [(0, 0), (0, 1), (1, 2)]  # the output pixels whose windows are drawn


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage02", argv)
    H, W, K, stride, pad = 5, 6, 3, 2, 1
    x = np.arange(1, H * W + 1, dtype=float).reshape(H, W)
    y, _ = conv_forward_naive(x[None, None], np.ones((1, 1, K, K)), np.zeros(1), stride, pad)
    y = y[0, 0]
    x_pad = np.pad(x, pad)
    is_pad = np.pad(np.zeros_like(x, bool), pad, constant_values=True)
    ax = canvas(13, 6.2)
    width = x_pad.shape[1] + 1.5
    for k, (i, j) in enumerate(SHOWN):
        x0 = k * width
        colors = [[PADDING if is_pad[r, c] else "white" for c in range(x_pad.shape[1])] for r in range(x_pad.shape[0])]
        for r in range(K):
            for c in range(K):
                colors[i * stride + r][j * stride + c] = LIGHT[k]
        grid(ax, x_pad, colors, x0=x0, fontsize=10, title=f"padded input: window of out[{i}, {j}]")
        frame(ax, i * stride, j * stride, K, K, STRONG[k], x0=x0)
        ox, oy = x0 + (x_pad.shape[1] - y.shape[1]) / 2, x_pad.shape[0] + 2
        out_colors = [["white"] * y.shape[1] for _ in range(y.shape[0])]
        out_colors[i][j] = LIGHT[k]
        grid(ax, y, out_colors, x0=ox, y0=oy, fontsize=10)
        ax.text(ox + y.shape[1] / 2, oy + y.shape[0] + 0.3, f"output {y.shape[0]}x{y.shape[1]}", ha="center", va="top")
        frame(ax, i, j, 1, 1, STRONG[k], x0=ox, y0=oy)
        start = (x0 + j * stride + K / 2, i * stride + K)
        arrow(ax, start, (ox + j + 0.5, oy + i - 0.05), STRONG[k])
    note(
        ax,
        x_pad.shape[0] + 2 + y.shape[0] + 1.4,
        f"input {H}x{W}, zero padding {pad} (grey), kernel {K}x{K} of ones, stride {stride}: each output is its "
        f"window's sum.\nH' = ({H} + 2*{pad} - {K}) // {stride} + 1 = {y.shape[0]} and W' = ({W} + 2*{pad} - {K}) "
        f"// {stride} + 1 = {y.shape[1]}: the floor drops the last padded column, which no window reads.",
    )
    save(ax, out, "sliding_window.png")


if __name__ == "__main__":
    main()
