"""The pictures of stage 4: the im2col matrix of the worked example, and the input
gradient built from a spread-out `dout` and its strips.

    python -m stage04_im2col.pictures [--out runs/stage04]

writes im2col.png, col2im.png and input_grad.png. The column matrix is im2col's own
output, the folded gradient col2im's; the
input gradient's terms are read off conv_input_grad, one dout entry and one kernel
weight at a time.
"""

from __future__ import annotations

import numpy as np

from shared.pictures import LIGHT, PADDING, STRONG, arrow, canvas, frame, grid, note, out_folder, save
from stage04_im2col.conv import conv_input_grad
from stage04_im2col.im2col import col2im, im2col


def im2col_picture(out):
    x = np.arange(1, 10, dtype=float).reshape(3, 3)
    cols = im2col(x[None, :, :, None], 2, 2)  # (4, 4): one row per output pixel
    ax = canvas(9, 3.4)
    grid(ax, x, x0=0, y0=0.5, title="x (3x3)")
    for k, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        frame(ax, i + 0.06 * k, j + 0.06 * k, 2 - 0.12 * k, 2 - 0.12 * k, STRONG[k], y0=0.5, lw=2)
    arrow(ax, (3.4, 2), (5.1, 2), text="im2col")
    grid(ax, cols, [[LIGHT[k]] * 4 for k in range(4)], x0=5.5, title="cols (4x4)")
    for k in range(4):
        ax.text(9.7, k + 0.55, f"window of output ({k // 2}, {k % 2})", va="center", fontsize=11, color=STRONG[k])
    w = [["w00"], ["w01"], ["w10"], ["w11"]]
    ax.text(14.9, 2, "@", ha="center", va="center", fontsize=14)
    grid(ax, w, x0=15.4, title="w", fontsize=11, width=1.3)
    note(
        ax,
        5.0,
        "cols @ w is the 2x2 output, read row by row. The middle pixel 5 is in all four windows, so it is copied "
        "into all four rows.",
    )
    save(ax, out, "im2col.png")


def col2im_picture(out):
    """The worked example backwards: each pixel's gradient is the sum of the dcols entries it was copied to."""
    dcols = np.arange(1, 17, dtype=float).reshape(4, 4) / 10  # any gradient for the 4 rows of cols
    dx = col2im(dcols, (1, 3, 3, 1), 2, 2)[0, :, :, 0]
    ax = canvas(9, 3.6)
    # pixel (u, v) sat in row (i, j) at column (p, q) = (u - i, v - j): colour the middle pixel's four entries
    colors = [["white"] * 4 for _ in range(4)]
    for r, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        colors[r][(1 - i) * 2 + (1 - j)] = LIGHT[r]
    grid(ax, dcols, colors, title="dcols (4x4): dY @ W_mat.T", fontsize=11)
    arrow(ax, (4.4, 2), (6.1, 2), text="col2im")
    dx_colors = [["white"] * 3 for _ in range(3)]
    dx_colors[1][1] = LIGHT[4]
    grid(ax, dx, dx_colors, x0=6.5, y0=0.5, title="dx (3x3)", fontsize=11)
    frame(ax, 1, 1, 1, 1, STRONG[4], x0=6.5, y0=0.5)
    middle = " + ".join(
        f"{dcols[r][(1 - i) * 2 + (1 - j)]:g}" for r, (i, j) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)])
    )
    note(
        ax,
        5.0,
        f"im2col copied the middle pixel into all four rows, so its gradient is the sum of those four entries:\n"
        f"{middle} = {dx[1, 1]:g}. A corner pixel was copied once and gets one entry; col2im adds them up.",
    )
    save(ax, out, "col2im.png")


def input_grad_picture(out):
    """One output row, one channel, one filter: W = 5, kernel width 3, stride 2, padding 1."""
    W, KW, stride, pad = 5, 3, 2, 1
    Wo = (W + 2 * pad - KW) // stride + 1
    spread = ["0"] * (W + 2 * pad + KW - 1)
    for j in range(Wo):
        spread[KW - 1 + stride * j] = f"d{j}"
    strips = [spread[pad + x : pad + x + KW] for x in range(W)]
    # which dout entry reaches each input column through which weight of a kernel row: from the code itself
    terms = [[] for _ in range(W)]
    for j in range(Wo):
        for q in range(KW):
            dout, w = np.zeros((1, 1, Wo, 1)), np.zeros((1, 1, 3, KW))  # a 3-row kernel: its middle row
            dout[0, 0, j, 0], w[0, 0, 1, q] = 1, 1
            dx = conv_input_grad(dout, w, (1, 1, W, 1), stride, pad)[0, 0, :, 0]
            for x in np.flatnonzero(dx):
                terms[x].append(f"d{j}·w{q}")
    ax = canvas(11, 5.2)
    colors = [PADDING if s == "0" else "white" for s in spread]
    grid(ax, [spread], [colors], x0=0, title="spread: dout row i = (d0, d1, d2), stride 2, with zeros around it")
    for x in range(2):
        frame(ax, 0.04 * x, pad + x + 0.04 * x, 1 - 0.08 * x, KW - 0.08 * x, STRONG[x], lw=2)
    top = 2.5
    strip_colors = [[PADDING if s == "0" else "white" for s in row] for row in strips]
    grid(ax, strips, strip_colors, x0=1, y0=top, title="strips (one per input column)")
    for x in range(W):
        ax.text(0.6, top + x + 0.5, f"x={x}", ha="right", va="center", fontsize=11)
    frame(ax, 0, 0, 1, KW, STRONG[0], x0=1, y0=top, lw=2)
    frame(ax, 1, 0, 1, KW, STRONG[1], x0=1, y0=top, lw=2)
    ax.text(4.5, top + 2.5, "@", ha="center", va="center", fontsize=14)
    grid(ax, [["w2"], ["w1"], ["w0"]], x0=5, y0=top + 1, title="kernel row,\nreversed", fontsize=11)
    ax.text(6.6, top + 2.5, "=", ha="center", va="center", fontsize=14)
    sums = [[" + ".join(t)] for t in terms]
    grid(ax, sums, x0=7.2, y0=top, title="what reaches input column x", fontsize=11, width=3.4)
    note(
        ax,
        top + W + 0.6,
        "W = 5, kernel width 3, stride 2, padding 1, so W' = 3. Each input column's strip, times the kernel row "
        "reversed,\nis exactly the sum of the gradients that reach it: for x = 1, d0 through w2 and d1 through w0.",
    )
    save(ax, out, "input_grad.png")


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage04", argv)
    im2col_picture(out)
    col2im_picture(out)
    input_grad_picture(out)


if __name__ == "__main__":
    main()
