"""Augmentation: exact on the maps it can do exactly, seeded, vectorized, any dtype and layout."""

import numpy as np
import pytest

from stage08_regularization.augment import affine_transform, random_affine

N = 5


def digits(dtype=np.uint8, channel=False):
    x = np.random.default_rng(0).integers(0, 256, (N, 28, 28)).astype(dtype)
    return x[..., None] if channel else x


def transform(x, angle=0.0, scale=1.0, shift=(0.0, 0.0), mirror=False, fill=0):
    return affine_transform(x, np.full(N, angle), np.full(N, scale), np.tile(shift, (N, 1)), np.full(N, mirror), fill)


@pytest.mark.parametrize(("dtype", "channel"), [(np.uint8, False), (np.float32, True), (np.float64, False)])
def test_exact_maps(dtype, channel):
    x = digits(dtype, channel)
    assert transform(x).dtype == dtype and transform(x).shape == x.shape
    np.testing.assert_array_equal(transform(x), x)
    shifted = transform(x, shift=(1.0, -2.0), fill=7)
    np.testing.assert_array_equal(shifted[:, 1:, :-2], x[:, :-1, 2:])
    assert (shifted[:, 0] == 7).all() and (shifted[:, :, -2:] == 7).all()  # the background comes in
    np.testing.assert_array_equal(transform(x, mirror=True), x[:, :, ::-1])
    rotated = transform(x, angle=np.pi / 2).astype(np.float64)
    np.testing.assert_allclose(rotated, np.rot90(x, 1, axes=(1, 2)), atol=1e-3 * x.max())


def test_scaling_about_the_centre():
    x = np.zeros((N, 28, 28), np.float32)
    x[:, 13:15, 13:15] = 1.0  # a 2x2 dot at the centre (13.5, 13.5)
    big = transform(x, scale=2.0)
    ys = np.indices((28, 28))[0]
    assert np.allclose((big * ys).sum((1, 2)) / big.sum((1, 2)), 13.5)  # it stays centred
    assert big.sum() > 3 * x.sum()  # and covers about 4 times the area


def test_random_affine_is_seeded_and_varies_per_image():
    x = np.repeat(digits()[:1], N, axis=0)  # the same image five times
    a = random_affine(x, np.random.default_rng(3))
    np.testing.assert_array_equal(a, random_affine(x, np.random.default_rng(3)))
    assert len({img.tobytes() for img in a}) == N  # each image got its own transform
    assert not np.array_equal(a, random_affine(x, np.random.default_rng(4)))


def test_flips_only_when_asked():
    x = digits()
    rng = np.random.default_rng(0)
    no_move = {"degrees": 0.0, "scale": (1.0, 1.0), "shift": 0.0}
    np.testing.assert_array_equal(random_affine(x, rng, **no_move), x)
    flipped = random_affine(np.repeat(x[:1], 64, axis=0), rng, flip=True, **no_move)
    mirrored = [np.array_equal(f, x[0, :, ::-1]) for f in flipped]
    same = [np.array_equal(f, x[0]) for f in flipped]
    assert all(m or s for m, s in zip(mirrored, same)) and 16 < sum(mirrored) < 48


@pytest.mark.parametrize(("dataset", "mirrored"), [("mnist-sample", False), ("mnist", False), ("fashion-mnist", True)])
def test_digits_are_never_mirrored_and_clothes_are(dataset, mirrored):
    """A dot near the left edge stays on the left of a digit (a mirrored 2 is no 2) and lands right of centre
    for about half of the clothes (a mirrored shirt is a shirt)."""
    from stage08_regularization.model import augment_batch

    x = np.full((200, 28, 28, 1), -0.4, dtype=np.float32)
    x[:, 14, 3, 0] = 2.8
    out = augment_batch(x, {"dataset": dataset, "augment": True}, np.random.default_rng(0))
    columns = out[:, :, :, 0].max(axis=1).argmax(axis=1)  # where the dot went
    right = (columns > 14).mean()
    assert (0.3 < right < 0.7) if mirrored else right == 0
