"""What did the network learn? Its first-layer filters and one digit's feature maps.

    python -m tools.visualize CHECKPOINT [--index 0] [--out FOLDER]

Writes filters.png (the 32 conv1 kernels, 5x5 each) and feature_maps.png (a test
digit and the activations after each conv block, 8 channels each, one colour scale and
colour bar per row) into --out
(default: the checkpoint's folder).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from shared.preprocess import to_float
from stage01_fc.layers import Flatten, ReLU
from stage04_im2col.layers import Conv2D
from stage07_full_cnn.model import to_model_input
from tools.loader import load_model_or_exit, load_test_set_or_exit, out_folder_or_exit


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--index", type=int, default=0, help="which test image to show")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    import matplotlib.pyplot as plt

    from shared.pictures import save_figure

    model, meta = load_model_or_exit(args.checkpoint)
    out = out_folder_or_exit(args.out or args.checkpoint.parent)  # checked before anything is drawn
    data = load_test_set_or_exit(meta)
    if not 0 <= args.index < len(data.test_images):
        parser.exit(2, f"error: --index {args.index}: the test set has images 0 to {len(data.test_images) - 1}\n")

    convs = [layer for layer in model.layers if isinstance(layer, Conv2D)]
    w = convs[0].params["W"][:, 0]  # (32, 5, 5): the first conv's kernels, for any stage's network
    fig, axes = plt.subplots(4, 8, figsize=(8, 4.4))
    for ax, k in zip(axes.flat, w):
        lim = np.abs(k).max()
        ax.imshow(k, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.axis("off")
    fig.suptitle("The 32 first-layer filters (5x5; red positive, blue negative)")
    fig.tight_layout()
    save_figure(fig, out / "filters.png", dpi=110)

    info = meta["data"]
    image = data.test_images[args.index]
    h = to_model_input(to_float(image[None], info["mean"], info["std"]))
    stages = {}
    for i, layer in enumerate(model.layers):  # the maps after each conv and each conv block's ReLU
        if isinstance(layer, Flatten):
            break
        h = layer.forward(h, train=False)
        if isinstance(layer, (Conv2D, ReLU)):
            stages[f"after layer {i} ({type(layer).__name__})"] = h[0]
    fig, axes = plt.subplots(len(stages), 9, figsize=(12, 1.5 * len(stages) + 0.9), layout="constrained")
    for row, (name, maps) in zip(axes, stages.items()):
        row[0].imshow(image, cmap="gray")
        shown = maps[:, :, :8]
        lim = float(np.abs(shown).max()) or 1.0  # one colour scale for the row's 8 channels
        signed = shown.min() < 0  # a conv's output: red positive, blue negative; after ReLU: 0 up
        scale = {"cmap": "RdBu_r", "vmin": -lim, "vmax": lim} if signed else {"cmap": "magma", "vmin": 0, "vmax": lim}
        for j, ax in enumerate(row[1:]):
            im = ax.imshow(shown[:, :, j], **scale)
        fig.colorbar(im, ax=row[1:].tolist(), shrink=0.9, pad=0.01)
        row[0].set_ylabel(name.replace(" (", "\n("), fontsize=9)
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
    for ax, title in zip(axes[0], ["input"] + [f"channel {j}" for j in range(8)]):  # column titles, once
        ax.set_title(title, fontsize=10)
    label = data.class_names[data.test_labels[args.index]]
    fig.suptitle(
        f"Feature maps for test image {args.index} (a '{label}'), first 8 channels after each step, "
        "one colour scale per row"
    )
    save_figure(fig, out / "feature_maps.png", dpi=110)


if __name__ == "__main__":
    main()
