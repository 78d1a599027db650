"""Stage 7: the full CNN, assembled from the earlier stages' layers.

    input       (N, 28, 28, 1)   channels-last; for one channel the same bytes as NCHW
    conv1 5x5   (N, 28, 28, 32)  1 -> 32 channels, pad 2            832 parameters
    max pool 2  (N, 14, 14, 32)
    ReLU
    conv2 5x5   (N, 14, 14, 64)  32 -> 64 channels, pad 2        51,264 parameters  (Winograd F(4x4, 5x5))
    max pool 2  (N, 7, 7, 64)
    ReLU
    flatten     (N, 3136)        in (h, w, c) order
    linear      (N, 128)         3136 -> 128                    401,536 parameters
    ReLU
    linear      (N, 10)          128 -> 10, the logits            1,290 parameters
                                                        total:  454,922

The reference network applies ReLU before pooling. Max pooling and ReLU commute:
max(relu(a), relu(b)) = relu(max(a, b)) since ReLU never reorders values, and
the gradients agree too: for a positive maximum both orders route it to the
window's first maximum; for a maximum <= 0 they may pick different elements, but
both give the whole window zero gradient. Pooling first runs the ReLU
on a quarter of the values. tests/test_model.py checks the two orders agree.

The second conv computes with Winograd's algorithm (stage04_im2col/winograd.py):
about 5 times fewer multiplies than im2col on its 14x14 output, the same results up to
float32 rounding. The first keeps im2col: with one input channel Winograd has
nothing to share its transforms over.
"""

from __future__ import annotations

import numpy as np

from stage01_fc.layers import Flatten, Linear, ReLU, Sequential
from stage04_im2col.layers import Conv2D
from stage05_strided_pool.layers import MaxPool2D

NUM_CLASSES = 10


# --8<-- [start:build]
def build_cnn(rng, dtype=np.float32):
    """The reference CNN with He-initialized weights drawn from `rng`."""
    return Sequential(
        Conv2D(1, 32, 5, rng, pad=2, dtype=dtype, need_dx=False),  # its input is data: no dx needed
        MaxPool2D(2),
        ReLU(),
        Conv2D(32, 64, 5, rng, pad=2, dtype=dtype, algorithm="winograd"),  # fewer multiplies
        MaxPool2D(2),
        ReLU(),
        Flatten(),
        Linear(7 * 7 * 64, 128, rng, dtype),
        ReLU(),
        Linear(128, NUM_CLASSES, rng, dtype),
    )


# --8<-- [end:build]


def count_parameters(model):
    return sum(p.size for p in model.params().values())


def to_model_input(x_nchw):
    """Preprocessed images (N, 1, 28, 28) -> the model's (N, 28, 28, 1): a view, no copy."""
    return x_nchw.transpose(0, 2, 3, 1)


def build_from_config(config):
    """Stage 7's network for a checkpoint's config (it has a single architecture)."""
    return build_cnn(np.random.default_rng(0))
