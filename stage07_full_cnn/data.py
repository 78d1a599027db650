"""A run's data: the training images split into train and validation, normalized with the
training split's own statistics, plus the test set, all channels-last for the model."""

from __future__ import annotations

import hashlib

import numpy as np

from shared.datasets import PARTS, load_dataset, load_default
from shared.preprocess import mean_std, to_float, train_val_split
from stage07_full_cnn.model import to_model_input
from stage07_full_cnn.options import OptionError


def load_data(config):
    """Train/val/test arrays ready for the model, plus the dataset's class names."""
    if config["dataset"] == "auto":
        data, banner = load_default(config["data_dir"])
        if banner:
            print(banner, flush=True)
    else:
        data = load_dataset(config["dataset"], config["data_dir"])
    if len(data.train_images) == 0:
        raise OptionError(
            f"{data.name} ({data.source}): its training file {PARTS[0]} holds no images; a run needs some to learn from"
        )
    images, labels = data.train_images[: config["limit"]], data.train_labels[: config["limit"]]
    train, val = train_val_split(len(images), config["val_fraction"], np.random.default_rng([config["seed"], 0]))
    if len(data.test_images) == 0:
        raise OptionError(f"{data.name} ({data.source}) has no test images; a run needs some to report its accuracy")
    if len(train) == 0 or len(val) == 0:
        raise OptionError(
            f"{len(images)} training images split into {len(train)} for training and {len(val)} for validation "
            f"(--val-fraction {config['val_fraction']}); both need at least one: use more images (--limit)"
        )
    mean, std = mean_std(images[train])  # the training split's own statistics, never validation or test images
    if std < 1e-9:  # 0 but for rounding: one differing pixel in 60,000 images still gives 6e-7
        raise OptionError(
            f"{data.name} ({data.source}): the {len(train)} training images are all one shade (pixel standard "
            f"deviation 0), so there is nothing to learn and normalizing would divide by zero; check {PARTS[0]}"
        )

    def prepare(x):
        return np.ascontiguousarray(to_model_input(to_float(x, mean, std)))

    arrays = {
        "x_train": prepare(images[train]),
        "y_train": labels[train],
        "x_val": prepare(images[val]),
        "y_val": labels[val],
        "x_test": prepare(data.test_images),
        "y_test": data.test_labels,
    }
    fingerprint = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()  # what resume must find again
    info = {
        "dataset_name": data.name,
        "source": data.source,
        "mean": mean,
        "std": std,
        "classes": data.class_names,
        "fingerprint": fingerprint,
    }
    return arrays, info
