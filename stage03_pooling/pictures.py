"""The picture of stage 3: where a 2x2 max pool sends its gradient, ties included.

    python -m stage03_pooling.pictures [--out runs/stage03]

writes pool_routing.png. The pooled values and the gradient are
maxpool_forward_naive's and maxpool_backward_naive's.
"""

from __future__ import annotations

import numpy as np

from shared.pictures import LIGHT, STRONG, arrow, canvas, frame, grid, note, out_folder, save
from stage03_pooling.pool import maxpool_backward_naive, maxpool_forward_naive

# after a ReLU: clear winners, two tied 5s, a dead region of zeros, two tied 3s
X = np.array(
    [
        [1, 3, 5, 2, 0, 0],
        [0, 2, 1, 5, 0, 0],
        [4, 0, 0, 3, 2, 1],
        [1, 2, 3, 1, 6, 0],
    ],
    dtype=float,
)
DOUT = np.array([[1, 2, 3], [4, 5, 6]], dtype=float)


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage03", argv)
    y, cache = maxpool_forward_naive(X[None, None])
    dx = maxpool_backward_naive(DOUT[None, None], cache)[0, 0]
    y = y[0, 0]
    window = [[LIGHT[(r // 2) * 3 + c // 2] for c in range(6)] for r in range(4)]
    by_window = [[LIGHT[i * 3 + j] for j in range(3)] for i in range(2)]
    ax = canvas(14, 3.8)
    places = {"x": 0, "out": 8, "dout": 14, "dx": 19.5}
    grid(ax, X, window, x0=places["x"], title="x (after a ReLU)", bold=dx != 0)
    grid(ax, y, by_window, x0=places["out"], title="out: window maxima")
    grid(ax, DOUT, by_window, x0=places["dout"], title="dout: from upstream")
    grid(ax, dx, window, x0=places["dx"], title="dx: to the first max only", bold=dx != 0)
    for i in range(2):
        for j in range(3):
            for name in ("x", "dx"):
                frame(ax, 2 * i, 2 * j, 2, 2, STRONG[i * 3 + j], x0=places[name], lw=1.8)
    arrow(ax, (6.3, 2), (7.7, 2), text="forward")
    arrow(ax, (17.3, 2), (19.2, 2), text="backward")
    note(
        ax,
        5.0,
        "Windows (0, 1), (0, 2) and (1, 1) hold tied maxima: two 5s, four 0s (a dead region after a ReLU) and "
        "two 3s.\nEach window sends its whole gradient to its first maximum in reading order (bold), as np.argmax "
        "and PyTorch do.\nA backward that fed every tied maximum would pass on 2, 4 and 2 times what these windows "
        "received.",
    )
    save(ax, out, "pool_routing.png")


if __name__ == "__main__":
    main()
