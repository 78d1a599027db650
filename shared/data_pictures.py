"""The pictures of the data page: examples of each class, with the class names.

    python -m shared.data_pictures [--out runs/data]

writes digits.png (the embedded sample) and, where Fashion-MNIST is installed
(Debian's dataset-fashion-mnist, or a downloaded copy), fashion.png. The images are
the first test images of each class, as stored: uint8, 28x28, ink bright. It also writes
datasets.json: each drawn dataset's image counts, its images' mean centre of mass, and the training/validation split the
training programs make of it (the counts the pages state, checked by docs/test_numbers.py).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from shared.datasets import DatasetNotFound, load_dataset, load_sample
from shared.pictures import out_folder, save_figure, save_json
from shared.preprocess import train_val_split

VAL_FRACTION = 0.1  # the training programs' default --val-fraction

PER_CLASS = 3


def examples_picture(data, path, title):
    """PER_CLASS test images of each class, one column per class, its name above."""
    fig, axes = plt.subplots(PER_CLASS, len(data.class_names), figsize=(12, 1.35 * PER_CLASS + 0.6))
    for c, name in enumerate(data.class_names):
        for row, i in enumerate(np.flatnonzero(data.test_labels == c)[:PER_CLASS]):
            ax = axes[row, c]
            ax.imshow(data.test_images[i], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{c}: {name}" if name != str(c) else name, fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    save_figure(fig, path, dpi=120)


def counts(data):
    """Image counts of a dataset, and of the split the training programs make of its training set."""
    train, val = train_val_split(len(data.train_labels), VAL_FRACTION, np.random.default_rng(0))
    n = {
        "train": len(data.train_labels),
        "test": len(data.test_labels),
        "pixels": int(np.prod(data.test_images.shape[1:])),
    }
    n |= {"total": n["train"] + n["test"], "train_after_split": len(train), "validation": len(val)}
    return n | {"mean_centre_of_mass": centre_of_mass(np.concatenate([data.train_images, data.test_images]))}


def centre_of_mass(images):
    """The mean (row, column) of the images' ink-weighted centres: where predict puts a digit's centre."""
    ink = images.astype(np.float64)
    rows, cols = np.mgrid[: images.shape[1], : images.shape[2]]
    total = ink.sum(axis=(1, 2))
    return [float(((ink * grid).sum(axis=(1, 2)) / total).mean()) for grid in (rows, cols)]


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/data", argv)
    title = "The embedded MNIST sample: the first test digits of each class"
    sample = load_sample()
    examples_picture(sample, out / "digits.png", title)
    found = {"mnist-sample": counts(sample)}
    try:
        fashion = load_dataset("fashion-mnist", download=False)
    except DatasetNotFound as error:
        print(f"fashion.png not drawn: {error}")
    else:
        examples_picture(fashion, out / "fashion.png", "Fashion-MNIST: the first test images of each class")
        found["fashion-mnist"] = counts(fashion)
    save_json(found, out / "datasets.json")


if __name__ == "__main__":
    main()
