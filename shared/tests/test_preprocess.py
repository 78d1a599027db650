import numpy as np
import pytest

from shared.preprocess import mean_std, minibatches, to_float, train_val_split


def test_to_float_shape_dtype_and_normalization():
    images = np.array([[[0, 255]]], np.uint8)
    x = to_float(images, mean=0.5, std=0.5)
    assert x.shape == (1, 1, 1, 2) and x.dtype == np.float32
    np.testing.assert_allclose(x.ravel(), [-1.0, 1.0])


def test_to_float_rejects_wrong_input():
    with pytest.raises(ValueError, match="uint8 images of shape"):
        to_float(np.zeros((2, 28, 28), np.float32))


def test_mean_std():
    m, s = mean_std(np.array([[[0, 255]]], np.uint8))
    assert m == pytest.approx(0.5) and s == pytest.approx(0.5)


def test_split_is_seeded_disjoint_and_complete():
    tr, va = train_val_split(100, 0.1, np.random.default_rng(1))
    _, va2 = train_val_split(100, 0.1, np.random.default_rng(1))
    np.testing.assert_array_equal(va, va2)
    assert len(va) == 10 and len(tr) == 90
    np.testing.assert_array_equal(np.sort(np.concatenate([tr, va])), np.arange(100))


def test_minibatches_cover_everything_once_and_depend_on_the_seed():
    x, y = np.arange(10)[:, None], np.arange(10)
    batches = list(minibatches(x, y, 4, np.random.default_rng(0)))
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(np.sort(seen), np.arange(10))
    np.testing.assert_array_equal(np.concatenate([b[0][:, 0] for b in batches]), seen)
    other = np.concatenate([b[1] for b in minibatches(x, y, 4, np.random.default_rng(1))])
    assert not np.array_equal(seen, other)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in minibatches(x, y, 4)]), np.arange(10))
