"""The picture of stage 5: a 2x2 pool as four strided views of the input, with no copy.

    python -m stage05_strided_pool.pictures [--out runs/stage05]

writes strided_view.png. The views are x.reshape(H', 2, W', 2)[:, p, :, q], as in
maxpool_forward; the maximum and the winning offsets are maxpool_forward's output.
"""

from __future__ import annotations

from shared.pictures import LIGHT, arrow, canvas, frame, grid, note, out_folder, save
from stage03_pooling.pictures import X
from stage05_strided_pool.pool import maxpool_forward


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage05", argv)
    H, W = X.shape
    Ho, Wo = H // 2, W // 2
    r = X.reshape(Ho, 2, Wo, 2)  # a view: the same memory, other strides
    y, (_, _, _, winner) = maxpool_forward(X[None, :, :, None])
    y, winner = y[0, :, :, 0], winner[0, :, :, 0]
    offset_color = [[LIGHT[(i % 2) * 2 + j % 2] for j in range(W)] for i in range(H)]
    ax = canvas(13, 4.2)
    grid(ax, X, offset_color, x0=0, y0=1.5, title="x: each colour one offset (p, q)")
    for i in range(Ho):
        for j in range(Wo):
            frame(ax, 2 * i, 2 * j, 2, 2, "0.2", y0=1.5, lw=1.8)
    arrow(ax, (6.3, 3.5), (7.6, 3.5), text="reshape")
    for k in range(4):
        p, q = divmod(k, 2)
        x0, y0 = 8 + (k % 2) * 4, (k // 2) * 3.5
        view = r[:, p, :, q]
        grid(ax, view, [[LIGHT[k]] * Wo for _ in range(Ho)], x0=x0, y0=y0 + 0.5, title=f"r[:, {p}, :, {q}]")
    arrow(ax, (15.3, 3.5), (16.6, 3.5), text="max")
    grid(ax, y, x0=17, y0=1, title="out")
    grid(ax, winner, [[LIGHT[k] for k in row] for row in winner], x0=17, y0=4.5, title="winner (uint8)")
    note(
        ax,
        7.3,
        "x.reshape(H/2, 2, W/2, 2) makes no copy: view (p, q) holds offset (p, q) of every window. The pool is a "
        "running maximum over the four views,\nand winner keeps the offset k = 2p + q that won (coloured as its "
        "view); a strict > keeps the first of tied maxima, as in stage 3.",
    )
    save(ax, out, "strided_view.png")


if __name__ == "__main__":
    main()
