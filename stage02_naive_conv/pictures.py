"""The picture of stage 2: a 3x3 kernel sliding with stride 2 over a zero-padded input.

    python -m stage02_naive_conv.pictures [--out runs/stage02]

writes sliding_window.png and input_gradient.png. The outputs shown are
conv_forward_naive's, with a kernel of ones, so each is the sum of its window and can be
checked by hand; the input gradient is conv_backward_naive's.
"""

from __future__ import annotations

import numpy as np

from shared.pictures import LIGHT, PADDING, STRONG, arrow, canvas, frame, grid, note, out_folder, save
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive

SHOWN = [(0, 0), (0, 1), (1, 2)]  # the output pixels whose windows are drawn


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage02", argv)
    sliding_window_picture(out)
    input_gradient_picture(out)


def sliding_window_picture(out):
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


def input_gradient_picture(out):
    """Input pixel (1, 1) gathers dout[1 - p, 1 - q] * w[p, q] from the 4 windows that hold it."""
    H, W, K, (u, v) = 4, 4, 2, (1, 1)
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    dout = np.arange(1.0, 10.0).reshape(3, 3)
    x = np.zeros((1, 1, H, W))
    _, cache = conv_forward_naive(x, w[None, None], np.zeros(1))
    dx = conv_backward_naive(dout[None, None], cache)[0][0, 0]
    ax = canvas(13, 7)
    dout_colors = [["white"] * 3 for _ in range(3)]
    w_colors = [["white"] * K for _ in range(K)]
    terms = []
    for k, (p, q) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        i, j = u - p, v - q  # the output whose window puts kernel cell (p, q) on pixel (u, v)
        dout_colors[i][j] = w_colors[p][q] = LIGHT[k]
        terms.append(f"dout[{i},{j}]·w[{p},{q}] = {dout[i, j]:g}·{w[p, q]:g}")
    grid(ax, dout, dout_colors, title="dout (3x3)", fontsize=11)
    grid(ax, w, w_colors, x0=5.5, y0=0.5, title="kernel w (2x2)", fontsize=11)
    for k, (p, q) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        frame(ax, u - p, v - q, 1, 1, STRONG[k])
        frame(ax, p, q, 1, 1, STRONG[k], x0=5.5, y0=0.5)
    dx_colors = [["white"] * W for _ in range(H)]
    dx_colors[u][v] = "#f4cccc"
    grid(ax, dx, dx_colors, x0=10, title="dx (4x4), from conv_backward_naive", fontsize=11)
    frame(ax, u, v, 1, 1, "#990000", x0=10)
    note(
        ax,
        4.8,
        f"Input pixel ({u}, {v}) lies in 4 windows. Window (i, j) put kernel cell (p, q) = ({u} - i, {v} - j) on it,\n"
        f"so the pixel gathers dout[{u} - p, {v} - q]·w[p, q]:  " + " + ".join(t.split(" = ")[0] for t in terms) + "\n"
        "= " + " + ".join(t.split(" = ")[1] for t in terms) + f" = {dx[u, v]:g}.\n"
        "The top-left dout meets the bottom-right weight: a correlation of dout, padded with K - 1 zeros, with the "
        "flipped kernel.",
    )
    save(ax, out, "input_gradient.png")


if __name__ == "__main__":
    main()
