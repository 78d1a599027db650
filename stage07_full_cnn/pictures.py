"""The picture of the home page: stage 7's network as boxes, one per feature map.

    python -m stage07_full_cnn.pictures [--out runs/stage07]

writes network.png, and network.json: the same shapes and parameter counts as numbers,
which back the home page's table (docs/page_numbers.py). Every shape is traced by
running one digit through build_cnn, and every parameter count is read off its layers.
Also writes start.json: the receptive field of the features the classifier reads (from
the layers' kernels and strides), and the untrained network's loss and logit scale on
the sample's first 256 training digits.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import to_rgb
from matplotlib.patches import Polygon

from shared.datasets import load_sample
from shared.pictures import out_folder, save_figure, save_json
from shared.preprocess import mean_std, to_float
from stage01_fc.functional import softmax_cross_entropy
from stage02_naive_conv.receptive_field import receptive_fields
from stage04_im2col.layers import Conv2D
from stage05_strided_pool.layers import MaxPool2D
from stage07_full_cnn.model import build_cnn, to_model_input

NAMES = {"Conv2D": "conv 5x5", "MaxPool2D": "max pool 2", "Flatten": "flatten", "Linear": "linear"}


def box(ax, x, height, width, depth, color):
    """A feature map seen from the front-left: front face height x width, with a slanted top and side."""
    dx, dy = depth * 0.6, depth * 0.35
    front = [(x, -height / 2), (x + width, -height / 2), (x + width, height / 2), (x, height / 2)]
    top = [(x, height / 2), (x + width, height / 2), (x + width + dx, height / 2 + dy), (x + dx, height / 2 + dy)]
    side = [(x + width, -height / 2), (x + width + dx, -height / 2 + dy)]
    side += [(x + width + dx, height / 2 + dy), (x + width, height / 2)]
    for face, shade in ((front, 1.0), (top, 0.85), (side, 0.7)):
        rgb = np.clip(np.array(to_rgb(color)) * shade, 0, 1)
        ax.add_patch(Polygon(face, closed=True, facecolor=rgb, edgecolor="0.3", lw=0.8))
    return x + width + dx


def start_numbers(out, model):
    """What the classifier's inputs can see, and where training starts."""
    layers = []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Conv2D):
            layers.append((f"{i} conv", layer.params["W"].shape[2], layer.stride))
        elif isinstance(layer, MaxPool2D):
            layers.append((f"{i} pool", layer.size, layer.stride))
    sample = load_sample()
    x = to_model_input(to_float(sample.train_images[:256], *mean_std(sample.train_images)))
    logits = model.forward(x, train=False)
    loss, _ = softmax_cross_entropy(logits.astype(np.float64), sample.train_labels[:256])
    save_json(
        {
            "command": "python -m stage07_full_cnn.pictures",
            "receptive_field_of_the_flattened_features": receptive_fields(layers)[-1][1],
            "untrained": {
                "images": "the sample's first 256 training digits, normalized with its training digits' mean and std",
                "loss": round(float(loss), 4),
                "uniform_guess_loss": round(float(np.log(10)), 4),
                "logit_std": round(float(logits.std()), 4),
            },
        },
        out / "start.json",
    )


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage07", argv)
    start_numbers(out, build_cnn(np.random.default_rng([0, 1])))  # the weights training starts from (seed 0)
    model = build_cnn(np.random.default_rng(0))
    h = np.zeros((1, 28, 28, 1), np.float32)
    maps = [("input", h.shape[1:], 0)]
    for layer in model.layers:
        h = layer.forward(h, train=False)
        kind = type(layer).__name__
        if kind in NAMES:
            count = sum(p.size for p in layer.params.values())
            maps.append((NAMES[kind], h.shape[1:], count))
        elif kind == "ReLU":
            maps[-1] = (maps[-1][0] + "\n+ ReLU", *maps[-1][1:])
    total = sum(c for _, _, c in maps)
    layers = [
        {"layer": name.replace("\n", " "), "output": list(shape), "parameters": count} for name, shape, count in maps
    ]
    save_json({"parameters": total, "layers": layers}, out / "network.json")
    fig, ax = plt.subplots(figsize=(13, 3.6))
    x = 0.0
    for k, (name, shape, count) in enumerate(maps):
        if len(shape) == 3:  # (H, W, C): height from H, thickness from C
            height, width, depth = shape[0] / 4, 0.25 + shape[2] / 40, shape[1] / 10
            text = f"{shape[0]}x{shape[1]}x{shape[2]}"
        else:  # a vector
            height, width, depth = 0.6 + 6.4 * shape[0] / 3136, 0.3, 0.3
            text = f"{shape[0]}"
        color = "#cfe2f3" if len(shape) == 3 else "#d9ead3"
        right = box(ax, x, height, width, depth, color)
        ax.text((x + right) / 2, -4.6, text, ha="center", va="top", fontsize=10, weight="bold")
        ax.text((x + right) / 2, -5.4, name, ha="center", va="top", fontsize=9)
        if count:
            ax.text((x + right) / 2, -7.3, f"{count:,}\nparams", ha="center", va="top", fontsize=8, color="0.35")
        x = max(right, x + 1.2) + (2.2 if k < len(maps) - 1 else 0)  # room for the labels
    ax.text(0, 5.6, f"Stage 7's CNN: {total:,} parameters; softmax cross-entropy on the 10 outputs", fontsize=11)
    ax.set_xlim(-0.5, x + 0.5)
    ax.set_ylim(-8.6, 6.3)
    ax.set_aspect("equal")
    ax.axis("off")
    save_figure(fig, out / "network.png", bbox_inches="tight")


if __name__ == "__main__":
    main()
