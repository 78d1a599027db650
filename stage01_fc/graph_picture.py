"""The computational graph of stage 1's MLP: forward along the top, backward along the bottom.

    python -m stage01_fc.graph_picture [--out runs/stage01]

writes graph.png. The nodes are the layers of mlp([784, 128, 10]) in order, and every
shape is traced by running a batch of 64 sample digits forward and their loss backward.
"""

from __future__ import annotations

import numpy as np
from matplotlib.patches import FancyBboxPatch

from shared.datasets import load_sample
from shared.pictures import LIGHT, STRONG, arrow, canvas, out_folder, save
from shared.preprocess import to_float
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import mlp

N = 64
# what each layer's backward computes from dout (the chain rule, one layer at a time)
BACKWARD = {
    "Flatten": "reshape back",
    "Linear": "dx = dout W^T\ndW = x^T dout\ndb = sum dout",
    "ReLU": "dx = dout * [x > 0]",
}


def shape(a):
    return "(" + ", ".join(str(d) for d in a.shape) + ")"


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage01", argv)
    sample = load_sample()
    x, y = to_float(sample.train_images[:N]), sample.train_labels[:N]
    model = mlp([784, 128, 10], np.random.default_rng(0), np.float64)
    values = [x]
    for layer in model.layers:
        values.append(layer.forward(values[-1]))
    loss, dlogits = softmax_cross_entropy(values[-1], y)
    grads = [dlogits]
    for layer in reversed(model.layers):
        grads.append(layer.backward(grads[-1]))
    grads = grads[::-1]  # grads[k]: dL/d(values[k])
    ax = canvas(14, 5.4)
    step = 3.0
    names = [type(layer).__name__ for layer in model.layers] + ["softmax\ncross-entropy"]
    for k, name in enumerate(names):
        cx = k * step + 1.5
        style = {"boxstyle": "round,pad=0.05", "facecolor": LIGHT[k % 6], "edgecolor": STRONG[k % 6]}
        ax.add_patch(FancyBboxPatch((cx - 1.05, 1.2), 2.1, 1.3, **style))
        ax.text(cx, 1.85, name, ha="center", va="center", fontsize=11, weight="bold")
        if k < len(model.layers):
            ax.text(cx, 3.0, BACKWARD[name], ha="center", va="top", fontsize=9, color="#990000", family="monospace")
        left, right = cx - 1.05 - 0.05, cx + 1.1
        if k == 0:
            ax.text(left - 0.45, 1.85, f"x\n{shape(values[0])}", ha="right", va="center", fontsize=9)
        if k < len(names) - 1:
            arrow(ax, (right, 1.6), (right + step - 2.2, 1.6), "0.25")
            ax.text(right + (step - 2.2) / 2, 1.45, shape(values[k + 1]), ha="center", va="bottom", fontsize=8)
            arrow(ax, (right + step - 2.2, 2.15), (right, 2.15), "#990000")
            ax.text(
                right + (step - 2.2) / 2,
                2.3,
                f"grad {shape(grads[k + 1])}",
                ha="center",
                va="top",
                fontsize=8,
                color="#990000",
            )
    end = len(names) * step - 1.5 + 1.1
    ax.text(end + 0.2, 1.85, f"L = {loss:.4f}", va="center", fontsize=11)
    ax.text(
        0,
        0.3,
        "forward: values flow left to right (black); backward: each layer turns the gradient of its "
        "output, dout, into the gradient of its input (red)",
        fontsize=11,
    )
    ax.text(
        0,
        0.75,
        f"a batch of N = {N} sample digits; the loss's gradient dlogits = (P - onehot(y)) / N starts the backward pass",
        fontsize=11,
    )
    save(ax, out, "graph.png")


if __name__ == "__main__":
    main()
