"""The picture of stage 1: why He initialization. The activations and gradients of a
deep ReLU network, layer by layer, under three initial weight scales.

    python -m stage01_fc.pictures [--out runs/stage01]

writes init_scales.png: a 10-layer ReLU network 784 -> 256 -> ... -> 256 -> 10
(stage 1's mlp) on 512 sample digits, its weights drawn from N(0, s^2) with
    He        s = sqrt(2 / fan_in)   (he_normal, what every stage uses)
    Xavier    s = sqrt(1 / fan_in)   (Glorot's choice for equal fan-in and fan-out)
    small     s = 0.01
The left panel is the standard deviation of each hidden layer's output (after its
ReLU), the right one that of each Linear layer's weight gradient. The same numbers go
to init_scales.json, which backs the figures the stage page quotes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from shared.datasets import load_sample
from shared.pictures import out_folder, save_figure, save_json
from shared.preprocess import to_float
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import Linear, ReLU, mlp

SIZES = [784] + [256] * 9 + [10]
SCALES = {"He": lambda fan_in: np.sqrt(2 / fan_in), "Xavier": lambda fan_in: np.sqrt(1 / fan_in), "small": None}


def layer_statistics(scale, x, y):
    """(std of each hidden ReLU output, std of each Linear's weight gradient, initial loss)."""
    rng = np.random.default_rng(0)
    model = mlp(SIZES, rng, np.float64)
    for layer in model.layers:
        if isinstance(layer, Linear):
            fan_in = layer.params["W"].shape[0]
            s = scale(fan_in) if scale else 0.01
            layer.params["W"][...] = rng.standard_normal(layer.params["W"].shape) * s
    h, activations = x, []
    for layer in model.layers:
        h = layer.forward(h)
        if isinstance(layer, ReLU):
            activations.append(h.std())
    loss, dlogits = softmax_cross_entropy(h, y)
    model.backward(dlogits)
    grads = [layer.grads["W"].std() for layer in model.layers if isinstance(layer, Linear)]
    return activations, grads, loss


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage01", argv)
    data = load_sample()
    x, y = to_float(data.train_images[:512]).astype(np.float64), data.train_labels[:512]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    numbers = {}
    for name, scale in SCALES.items():
        activations, grads, loss = layer_statistics(scale, x, y)
        numbers[name] = {"initial_loss": loss, "activation_std": activations, "dW_std": grads}
        label = f"{name} (initial loss {loss:.2f})"
        left.plot(range(1, len(activations) + 1), activations, "o-", label=label)
        right.plot(range(1, len(grads) + 1), grads, "o-", label=label)
    left.set(title="Activations: std after each ReLU", xlabel="hidden layer", yscale="log")
    right.set(title="Gradients: std of each layer's dW", xlabel="Linear layer", yscale="log")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=9)
    fig.tight_layout(rect=(0, 0.08, 1, 1))  # the legend below both panels, hiding no curve
    save_figure(fig, out / "init_scales.png", bbox_inches="tight")
    save_json(numbers, out / "init_scales.json")


if __name__ == "__main__":
    main()
