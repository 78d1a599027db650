"""Stage 8: stage 7's CNN with the three standard answers to overfitting, each a switch.

    conv1 5x5 (1 -> 32)  -> max pool 2 -> [batch norm 32] -> ReLU
    conv2 5x5 (32 -> 64) -> max pool 2 -> [batch norm 64] -> ReLU
    flatten -> linear 3136 -> 128 -> ReLU -> [dropout p] -> linear 128 -> 10

With both switches off it is stage 7's network, weight for weight (the same
generator draws the same initial weights). Batch norm sits after the pool, where it
normalizes a quarter of the values it would after the conv: cheaper, and a per-channel
normalization of the pooled features works as well. Dropout sits before the last
layer, where the fully connected weights (88% of the parameters) can memorize.
Augmentation (augment.py) changes the data, not the network.
"""

from __future__ import annotations

import numpy as np

from stage01_fc.layers import Flatten, Linear, ReLU, Sequential
from stage04_im2col.layers import Conv2D
from stage05_strided_pool.layers import MaxPool2D
from stage07_full_cnn.model import NUM_CLASSES
from stage08_regularization.augment import random_affine
from stage08_regularization.layers import BatchNorm, Dropout

DEFAULTS = {"batch_norm": True, "dropout": 0.5, "augment": True}


# --8<-- [start:build]
def build_regularized_cnn(init_rng, noise_rng, batch_norm=True, dropout=0.5, dtype=np.float32):
    """The CNN with batch norm after each conv block and dropout before the last layer (0: none)."""
    norm = [BatchNorm(32, dtype)] if batch_norm else []
    conv1 = Conv2D(1, 32, 5, init_rng, pad=2, dtype=dtype, need_dx=False)
    layers = [conv1, MaxPool2D(2), *norm, ReLU()]
    norm = [BatchNorm(64, dtype)] if batch_norm else []
    layers += [Conv2D(32, 64, 5, init_rng, pad=2, dtype=dtype), MaxPool2D(2), *norm, ReLU()]
    layers += [Flatten(), Linear(7 * 7 * 64, 128, init_rng, dtype), ReLU()]
    layers += [Dropout(dropout, noise_rng)] if dropout else []
    return Sequential(*layers, Linear(128, NUM_CLASSES, init_rng, dtype))


# --8<-- [end:build]


def build_from_config(config, init_rng=None, noise_rng=None):
    """The network a run's config describes (its batch_norm and dropout options)."""
    init_rng = init_rng if init_rng is not None else np.random.default_rng(0)
    noise_rng = noise_rng if noise_rng is not None else np.random.default_rng(0)
    options = DEFAULTS | config
    return build_regularized_cnn(init_rng, noise_rng, options["batch_norm"], options["dropout"])


CLOTHES = {"degrees": 0.0, "scale": (1.0, 1.0), "shift": 2.0, "flip": True}


def augment_batch(x, config, rng):
    """A training batch, each image randomly varied when the config's augment option is on;
    the background keeps its value. Digits are rotated, scaled and shifted. Fashion-MNIST's
    clothes were photographed upright, centred and at one scale, so turning or resizing them
    makes items the test set never shows: they are only shifted and mirrored left-right."""
    if not (DEFAULTS | config)["augment"]:
        return x
    variation = CLOTHES if config["dataset"] == "fashion-mnist" else {}
    return random_affine(x, rng, fill=float(x.min()), **variation)
