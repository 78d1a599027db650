"""The pictures of stage 8: augmented images, what batch norm does to activations, a dropout mask.

    python -m stage08_regularization.pictures [--out runs/stage08]

writes augmented.png (sample digits and, where Fashion-MNIST is installed, clothes, each
with random variants from augment_batch), batchnorm.png + batchnorm.json (the values
entering the second ReLU of the untrained network, without and with batch norm, on 256
sample digits), and dropout.png + dropout.json (one digit's 128 features through one
dropout mask of dropout_forward).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from shared.datasets import DatasetNotFound, load_dataset, load_sample
from shared.pictures import out_folder, save_figure, save_json
from shared.preprocess import mean_std, to_float
from stage01_fc.layers import ReLU
from stage07_full_cnn.model import to_model_input
from stage08_regularization.dropout import dropout_forward
from stage08_regularization.model import augment_batch, build_regularized_cnn

SHOWN, VARIANTS = 6, 3


def augmented_rows(images, dataset, rng):
    """The originals, then VARIANTS rows of augment_batch's random variants of them."""
    rows = [images]
    for _ in range(VARIANTS):
        rows.append(augment_batch(images.astype(np.float32), {"augment": True, "dataset": dataset}, rng))
    return rows


def augmented_picture(out):
    rng = np.random.default_rng(0)
    sets = [("digits: rotated, scaled, shifted", augmented_rows(load_sample().test_images[:SHOWN], "mnist", rng))]
    try:
        fashion = load_dataset("fashion-mnist", download=False, test_only=True).test_images[:SHOWN]
        sets.append(("clothes: shifted, mirrored", augmented_rows(fashion, "fashion-mnist", rng)))
    except DatasetNotFound as error:
        print(f"no clothes in augmented.png: {error}")
    fig, axes = plt.subplots(1 + VARIANTS, SHOWN * len(sets), figsize=(1.3 * SHOWN * len(sets), 1.4 * (1 + VARIANTS)))
    axes = axes.reshape(1 + VARIANTS, -1)
    for k, (title, rows) in enumerate(sets):
        for r, row in enumerate(rows):
            for c, image in enumerate(row):
                ax = axes[r, k * SHOWN + c]
                ax.imshow(image, cmap="gray", vmin=0, vmax=255)
                ax.set_xticks([])
                ax.set_yticks([])
        axes[0, k * SHOWN + SHOWN // 2].set_title(title, fontsize=11, loc="left" if SHOWN % 2 else "center")
    axes[0, 0].set_ylabel("original", fontsize=10)
    for r in range(1, 1 + VARIANTS):
        axes[r, 0].set_ylabel(f"variant {r}", fontsize=10)
    save_figure(fig, out / "augmented.png", bbox_inches="tight")


def into_second_relu(batch_norm, x):
    """The values the untrained network's second ReLU receives, (N, 7, 7, 64), in training mode."""
    model = build_regularized_cnn(np.random.default_rng([0, 1]), np.random.default_rng(0), batch_norm, 0.0)
    relus = [i for i, layer in enumerate(model.layers) if isinstance(layer, ReLU)]
    h = x
    for layer in model.layers[: relus[1]]:
        h = layer.forward(h, train=True)
    return h


def batchnorm_picture(out):
    sample = load_sample()
    x = to_model_input(to_float(sample.train_images[:256], *mean_std(sample.train_images)))
    values = {"without batch norm": into_second_relu(False, x), "with batch norm": into_second_relu(True, x)}
    stats = {}
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for (name, h), color in zip(values.items(), ["C3", "C0"]):
        per_channel = h.reshape(-1, h.shape[-1])
        means, stds = per_channel.mean(0), per_channel.std(0)
        stats[name] = {
            "channel_mean_min": round(float(means.min()), 3) + 0.0,  # no "-0.0"
            "channel_mean_max": round(float(means.max()), 3) + 0.0,
            "channel_std_min": round(float(stds.min()), 3),
            "channel_std_max": round(float(stds.max()), 3),
            "fraction_positive": round(float((h > 0).mean()), 3),
        }
        axes[0].hist(h.ravel(), bins=120, density=True, histtype="step", lw=1.6, color=color, label=name)
        axes[1].plot(np.sort(stds), "o", ms=3, color=color, label=name)
    axes[0].set(xlabel="value entering the second ReLU", ylabel="density", title="all values, 256 digits")
    axes[0].set_xlim(-6, 8)
    axes[1].set(xlabel="channel (sorted)", ylabel="standard deviation", title="each of the 64 channels' spread")
    for ax in axes:
        ax.legend(fontsize=9)
    fig.tight_layout()
    save_figure(fig, out / "batchnorm.png")
    save_json(
        {
            "command": "python -m stage08_regularization.pictures",
            "network": "stage 8's network at initialization (seed 0), training mode, the sample's first 256 digits",
            "into_the_second_relu": stats,
        },
        out / "batchnorm.json",
    )


def dropout_picture(out):
    sample = load_sample()
    x = to_model_input(to_float(sample.test_images[:1], *mean_std(sample.train_images)))
    model = build_regularized_cnn(np.random.default_rng([0, 1]), np.random.default_rng(0), False, 0.0)
    h = x
    for layer in model.layers[:-1]:  # the 128 features the last layer reads
        h = layer.forward(h, train=False)
    kept, mask = dropout_forward(h, 0.5, np.random.default_rng(3))
    many = np.stack([dropout_forward(h, 0.5, np.random.default_rng(s))[0] for s in range(2000)])
    fig, axes = plt.subplots(3, 1, figsize=(10, 3.6))
    for ax, (title, a, cmap) in zip(
        axes,
        [
            ("the 128 features (after the ReLU)", h, "magma"),
            ("mask: 0 (dropped) or 1/(1 - p) = 2 (kept)", mask, "gray"),
            ("what the last layer sees in training", kept, "magma"),
        ],
    ):
        ax.imshow(a.reshape(4, 32), cmap=cmap, vmin=0, vmax=max(float(kept.max()), 1e-9) if cmap == "magma" else 2)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    save_figure(fig, out / "dropout.png")
    save_json(
        {
            "command": "python -m stage08_regularization.pictures",
            "p": 0.5,
            "kept_fraction_of_this_mask": round(float((mask > 0).mean()), 4),
            "sum_of_features": round(float(h.sum()), 4),
            "sum_after_this_mask": round(float(kept.sum()), 4),
            "mean_sum_over_2000_masks": round(float(many.sum(axis=(1, 2)).mean()), 4),
        },
        out / "dropout.json",
    )


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage08", argv)
    augmented_picture(out)
    batchnorm_picture(out)
    dropout_picture(out)


if __name__ == "__main__":
    main()
