"""From stored uint8 digits to float32 mini-batches.

    x = to_float(images)                       # (N, 28, 28) uint8 -> (N, 1, 28, 28) float32
    train, val = train_val_split(len(x), 0.1, rng)
    for xb, yb in minibatches(x[train], y[train], 64, rng): ...

Randomness always comes from a numpy Generator passed in, never from global state,
so a seed fixes every split and every batch order.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of MNIST's 60,000 training pixels, scaled to [0, 1]


def to_float(images: np.ndarray, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> np.ndarray:
    """uint8 images (N, H, W) -> normalized float32 (N, 1, H, W): (x / 255 - mean) / std."""
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"expected uint8 images of shape (N, H, W), got {images.dtype} {images.shape}")
    x = images.astype(np.float32) / np.float32(255.0)
    x -= np.float32(mean)
    x /= np.float32(std)
    return x[:, None, :, :]


def mean_std(images: np.ndarray) -> tuple[float, float]:
    """A dataset's own pixel mean and std on the [0, 1] scale (for to_float)."""
    x = images.astype(np.float64) / 255.0
    return float(x.mean()), float(x.std())


def train_val_split(n: int, val_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled index arrays (train, val); val holds round(n * val_fraction) items."""
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    order = rng.permutation(n)
    n_val = round(n * val_fraction)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def minibatches(
    x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield (x_batch, y_batch) covering every item once; shuffled when `rng` is given.

    The last batch may be smaller than `batch_size`.
    """
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} items but y has {len(y)}")
    order = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
    for start in range(0, len(x), batch_size):
        idx = order[start : start + batch_size]
        yield x[idx], y[idx]
