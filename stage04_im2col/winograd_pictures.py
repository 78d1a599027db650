"""The pictures of Winograd's convolution: F(2, 3) worked by hand, and the CNN's tiles.

    python -m stage04_im2col.winograd_pictures [--out runs/stage04]

writes winograd_1d.png (the three matrices of F(2, 3) from toom_cook, applied to
one input and one kernel), winograd_tiles.png (how F(4x4, 5x5) tiles the second
conv's 14x14 output, and which input each tile reads) and winograd.json (the
numbers the page quotes). Every value drawn is computed by winograd.py itself.
"""

from __future__ import annotations

from shared.pictures import LIGHT, PADDING, STRONG, arrow, canvas, frame, grid, note, out_folder, save, save_json
from stage04_im2col.winograd import TILE, padded_size, tiles, toom_cook


def one_d_picture(out):
    """y = A^T [(G g) * (B^T d)] on d = (1, 2, 3, 4), g = (1, 2, -1)."""
    AT, G, BT = toom_cook(2, 3)
    d, g = [1, 2, 3, 4], [1, 2, -1]
    Gg = [sum(G[j][k] * g[k] for k in range(3)) for j in range(4)]
    BTd = [sum(BT[j][i] * d[i] for i in range(4)) for j in range(4)]
    products = [a * b for a, b in zip(Gg, BTd)]
    y = [sum(AT[i][j] * products[j] for j in range(4)) for i in range(2)]
    direct = [sum(g[k] * d[i + k] for k in range(3)) for i in range(2)]
    assert y == direct  # the picture shows what the algorithm computes, and it is exact
    ax = canvas(12, 5.4)
    text = lambda rows: [[str(v) for v in row] for row in rows]  # noqa: E731  (a Fraction prints as 1/2)
    grid(ax, text(BT), x0=0, y0=0, title="B^T (4x4)", fontsize=11)
    grid(ax, [[v] for v in d], x0=4.3, y0=0, title="d", fontsize=11)
    ax.text(5.8, 2, "=", ha="center", va="center", fontsize=14)
    grid(ax, text([[v] for v in BTd]), [[LIGHT[0]]] * 4, x0=6.3, y0=0, title="B^T d", fontsize=11)
    grid(ax, text(G), x0=0, y0=5.6, title="G (4x3)", fontsize=11, width=1.1)
    grid(ax, [[v] for v in g], x0=3.8, y0=6.1, title="g", fontsize=11)
    ax.text(5.3, 7.6, "=", ha="center", va="center", fontsize=14)
    grid(ax, text([[v] for v in Gg]), [[LIGHT[1]]] * 4, x0=6.3, y0=5.6, title="G g", fontsize=11)
    arrow(ax, (7.6, 2), (9.2, 4.6), text="")
    arrow(ax, (7.6, 7.6), (9.2, 5.4), text="")
    grid(ax, text([[v] for v in products]), [[LIGHT[2]]] * 4, x0=9.4, y0=3, title="4 multiplies", fontsize=11)
    grid(ax, text(AT), x0=11.4, y0=4, title="A^T (2x4)", fontsize=11)
    ax.text(15.8, 5, "=", ha="center", va="center", fontsize=14)
    grid(ax, text([[v] for v in y]), [[LIGHT[3]]] * 2, x0=16.3, y0=4, title="y", fontsize=11)
    note(
        ax,
        10.4,
        f"Two outputs of a 3-tap correlation: y0 = 1·1 + 2·2 + (-1)·3 = {direct[0]}, y1 = 1·2 + 2·3 + (-1)·4 = "
        f"{direct[1]}: 6 multiplies.\nWinograd's F(2, 3) gets both from 4 multiplies (green); G g is computed once "
        "per kernel, and B^T, A^T only add and subtract.",
    )
    save(ax, out, "winograd_1d.png")


def tiles_picture(out):
    """F(4x4, 5x5) on the second conv: 14x14 input, pad 2, 14x14 output in 4x4 tiles read from 8x8 inputs."""
    m, k, size, pad = TILE, 5, 14, 2
    n = m + k - 1
    th, tw = tiles(size, size, m)
    rows = padded_size(th, n, m)  # the zero-padded input, grown so the last tiles are whole
    ax = canvas(12, 6.5)
    data = range(pad, pad + size)  # the rows and columns that hold the image
    image = [[("white" if i in data and j in data else PADDING) for j in range(rows)] for i in range(rows)]
    blank = [[""] * rows for _ in range(rows)]
    grid(ax, blank, image, title=f"input, padded to {rows}x{rows} (grey: zeros)", fontsize=11)
    for t, (ti, tj) in enumerate([(0, 0), (0, 1), (1, 1)]):
        frame(ax, ti * m, tj * m, n, n, STRONG[t], lw=2.5 - 0.5 * t)
    x0, out_cells = rows + 5, th * m
    arrow(ax, (rows + 1, rows / 2), (x0 - 1, rows / 2), text="one 8x8 tile each")
    kept = [[("white" if i < size and j < size else PADDING) for j in range(out_cells)] for i in range(out_cells)]
    blank = [[""] * out_cells for _ in range(out_cells)]
    grid(ax, blank, kept, x0=x0, title=f"output: {th}x{tw} tiles of {m}x{m} (grey: cut off)", fontsize=11)
    for t, (ti, tj) in enumerate([(0, 0), (0, 1), (1, 1)]):
        frame(ax, ti * m, tj * m, m, m, STRONG[t], x0=x0)
    note(
        ax,
        rows + 1.2,
        f"Each {m}x{m} output tile is read from the {n}x{n} input around it: neighbouring tiles' inputs overlap by "
        f"{n - m} pixels.\nPer pair of channels a tile costs {n * n} multiplies instead of {m * m} x {k * k} = "
        f"{m * m * k * k}; the {th * tw} tiles cover {out_cells}x{out_cells} outputs, of which the layer keeps "
        f"{size}x{size}.",
    )
    save(ax, out, "winograd_tiles.png")
    return {
        "m": m,
        "n": n,
        "tiles": th * tw,
        "covered": out_cells,
        "multiplies_per_tile": n * n,
        "direct_multiplies_per_tile": m * m * k * k,
    }


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage04", argv)
    out.mkdir(parents=True, exist_ok=True)
    one_d_picture(out)
    save_json(tiles_picture(out), out / "winograd.json")


if __name__ == "__main__":
    main()
