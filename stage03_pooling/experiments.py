"""Two measurements of stage 3's claims: what pooling buys against small shifts, and what the
tie bug does to training.

    python -m stage03_pooling.experiments [--out runs/stage03]

writes shift.png + shift.json: how much a 1-pixel shift of 200 sample digits changes
four hand-made edge maps after a ReLU, without pooling, after a 2x2 max pool and after
a 2x2 average pool; and tie_bug.png + tie_bug.json: a small CNN (stage 2's conv, stage 3's
pool) trained twice from the same weights on the same batches, once with the correct
backward and once with the classic bug that feeds every tied maximum.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from shared.datasets import load_sample
from shared.pictures import out_folder, save_figure, save_json
from shared.preprocess import mean_std, minibatches, to_float
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import Flatten, Linear, ReLU, Sequential
from stage02_naive_conv.layers import Conv2DNaive
from stage03_pooling.layers import MaxPoolNaive
from stage03_pooling.pool import maxpool_forward_naive

EDGES = np.array(  # vertical, horizontal and the two diagonal edge detectors, 3x3
    [
        [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
        [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
        [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]],
        [[2, 1, 0], [1, 0, -1], [0, -1, -2]],
    ],
    dtype=np.float64,
)[:, None]


def relu_edges(x):
    """(N, 1, 28, 28) in [0, 1] -> the four edge maps after a ReLU, (N, 4, 28, 28)."""
    out = np.zeros((len(x), 4, 28, 28))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for p in range(3):  # the same correlation as conv_forward_naive, written per kernel offset for speed
        for q in range(3):
            out += padded[:, :, p : p + 28, q : q + 28] * EDGES[None, :, 0, p, q, None, None]
    return np.maximum(out, 0)


def average_pool(x):
    """A 2x2 average pool, for contrast: every value of the window counts."""
    N, C, H, W = x.shape
    return x.reshape(N, C, H // 2, 2, W // 2, 2).mean(axis=(3, 5))


def relative_change(a, b):
    """Per image: |a - b| / |a| over all its values."""
    return np.linalg.norm((a - b).reshape(len(a), -1), axis=1) / np.linalg.norm(a.reshape(len(a), -1), axis=1)


def shift_experiment(out):
    x = load_sample().test_images[:200].astype(np.float64)[:, None] / 255.0
    moved = np.roll(x, 1, axis=3)  # one pixel right: MNIST's borders are blank, nothing wraps
    assert not x[:, :, :, -1].any(), "a digit touches the right border"
    maps, maps_moved = relu_edges(x), relu_edges(moved)
    views = {
        "no pooling": lambda m: m,
        "2x2 max pool": lambda m: maxpool_forward_naive(m, 2, 2)[0],
        "2x2 average pool": average_pool,
    }
    changes = {name: relative_change(f(maps), f(maps_moved)) for name, f in views.items()}
    save_json(
        {
            "command": "python -m stage03_pooling.experiments",
            "digits": "the first 200 sample test digits, shifted 1 pixel right",
            "features": "four 3x3 edge detectors, then ReLU",
            "mean_relative_change": {name: round(float(c.mean()), 4) for name, c in changes.items()},
        },
        out / "shift.json",
    )
    fig, ax = plt.subplots(figsize=(7, 3.2))
    names = list(changes)
    ax.barh(names, [changes[n].mean() for n in names], color=["0.6", "#1f77b4", "#e69138"])
    for k, n in enumerate(names):
        ax.text(changes[n].mean() + 0.01, k, f"{changes[n].mean():.3f}", va="center")
    ax.invert_yaxis()
    ax.set_xlabel("|f(shifted digit) - f(digit)| / |f(digit)|, mean over 200 digits")
    ax.set_title("How much a 1-pixel shift changes the features")
    save_figure(fig, out / "shift.png", bbox_inches="tight")


def maxpool_backward_every_tie(dout, cache):
    """THE BUG, on purpose: every element equal to its window's maximum gets the window's gradient."""
    x, size, _ = cache  # windows that tile the input (stride = size), as in this experiment
    N, C, H, W = x.shape
    win = x.reshape(N, C, H // size, size, W // size, size)
    is_max = win == win.max(axis=(3, 5), keepdims=True)
    return (is_max * dout[:, :, :, None, :, None]).reshape(x.shape)


class MaxPoolEveryTie(MaxPoolNaive):
    def backward(self, dout):
        return maxpool_backward_every_tie(dout, self._cached())


def small_cnn(pool, seed=0):
    rng = np.random.default_rng(seed)
    return Sequential(Conv2DNaive(1, 4, 3, rng, pad=1, dtype=np.float64), pool(), ReLU(), Flatten(),
                      Linear(4 * 7 * 7, 10, rng, np.float64))  # fmt: skip


def param_grads(model, x, y):
    _, dlogits = softmax_cross_entropy(model.forward(x), y)
    model.backward(dlogits)
    return {k: v.copy() for k, v in model.grads().items()}


def tie_bug_experiment(out, steps=150, batch=32, lr=0.1):
    data = load_sample()
    mean, std = mean_std(data.train_images)
    small = lambda images: to_float(images, mean, std)[:, :, ::2, ::2].astype(np.float64)  # noqa: E731  14x14
    x, y = small(data.train_images[:2000]), data.train_labels[:2000]
    x_test, y_test = small(data.test_images), data.test_labels
    runs = {}
    for name, pool in (("correct", MaxPoolNaive), ("every tie", MaxPoolEveryTie)):
        model, rng, losses = small_cnn(pool), np.random.default_rng(1), []
        while len(losses) < steps:
            for xb, yb in minibatches(x, y, batch, rng):
                loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
                model.backward(dlogits)
                for k, p in model.params().items():
                    p -= lr * model.grads()[k]
                losses.append(loss)
                if len(losses) == steps:
                    break
        accuracy = float((model.forward(x_test, train=False).argmax(1) == y_test).mean())
        runs[name] = {"losses": losses, "test_accuracy": accuracy}
    right = param_grads(small_cnn(MaxPoolNaive), x[:256], y[:256])
    wrong = param_grads(small_cnn(MaxPoolEveryTie), x[:256], y[:256])
    errors = {k: float(np.linalg.norm(wrong[k] - right[k]) / np.linalg.norm(right[k])) for k in right}
    save_json(
        {
            "command": "python -m stage03_pooling.experiments",
            "setup": f"conv 3x3 1->4, max pool 2x2, ReLU, linear; 14x14 sample digits; SGD lr {lr}, batch {batch}, "
            f"{steps} steps; tested on the 1,000 sample test digits",
            "test_accuracy": {n: r["test_accuracy"] for n, r in runs.items()},
            "mean_loss_last_20_steps": {n: round(float(np.mean(r["losses"][-20:])), 4) for n, r in runs.items()},
            "relative_gradient_error_at_start": {k: round(v, 4) for k, v in errors.items()},
        },
        out / "tie_bug.json",
    )
    fig, ax = plt.subplots(figsize=(7, 3.4))
    for name, r in runs.items():
        smooth = np.convolve(r["losses"], np.ones(10) / 10, mode="valid")
        ax.plot(smooth, label=f"{name} (test accuracy {r['test_accuracy']:.1%})")
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (mean of 10 steps)")
    ax.set_title("The tie bug: training still runs")
    ax.legend()
    save_figure(fig, out / "tie_bug.png", bbox_inches="tight")


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage03", argv)
    shift_experiment(out)
    tie_bug_experiment(out)


if __name__ == "__main__":
    main()
