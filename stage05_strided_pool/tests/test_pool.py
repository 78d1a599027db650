"""Strided pooling against stage 3's loops: identical forward and backward, ties included."""

import functools

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function, check_layer
from stage03_pooling.pool import maxpool_backward_naive, maxpool_forward_naive
from stage05_strided_pool.layers import MaxPool2D
from stage05_strided_pool.pool import is_tiling, maxpool_backward, maxpool_forward

CASES = [  # (N, C, H, W), size, stride: the first three tile exactly (the fast path)
    ((2, 3, 6, 8), 2, 2),
    ((1, 4, 28, 28), 2, 2),
    ((2, 2, 9, 6), 3, 3),
    ((2, 3, 7, 5), 2, 2),  # odd sizes: the last row and column are dropped
    ((1, 2, 7, 9), 3, 2),  # overlapping windows
    ((2, 2, 5, 6), 2, 1),
]


def nhwc(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def nchw(a):
    return a.transpose(0, 3, 1, 2)


def with_ties(rng, shape, dtype):
    """Small integers after a ReLU: most windows hold several equal maxima, many all zeros."""
    return np.maximum(rng.integers(-3, 3, size=shape), 0).astype(dtype)


@pytest.mark.parametrize(("shape", "size", "stride"), CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identical_to_naive_with_ties(shape, size, stride, dtype):
    rng = np.random.default_rng(0)
    x = with_ties(rng, shape, dtype)
    ref, ref_cache = maxpool_forward_naive(x, size, stride)
    out, cache = maxpool_forward(nhwc(x), size, stride)
    assert out.dtype == dtype
    np.testing.assert_array_equal(nchw(out), ref)
    dout = rng.standard_normal(ref.shape).astype(dtype)
    dx, dx_ref = nchw(maxpool_backward(nhwc(dout), cache)), maxpool_backward_naive(dout, ref_cache)
    if stride >= size:  # each input feeds at most one window: the very same numbers
        np.testing.assert_array_equal(dx, dx_ref)
    else:  # overlapping windows add their gradients in another order: last-bit differences
        np.testing.assert_allclose(dx, dx_ref, rtol=4 * np.finfo(dtype).eps, atol=0)
    np.testing.assert_array_equal(dx != 0, dx_ref != 0)  # the same winners


def test_both_paths_are_exercised():
    assert [is_tiling((1, s[2], s[3], 1), size, stride) for s, size, stride in CASES] == [True] * 3 + [False] * 3


def test_first_maximum_rule_pinned():
    # one 2x2 window per channel (NHWC): channel 0 all zeros, as after a ReLU;
    # channel 1 holds its maximum 3 twice, at offsets (0, 1) and (1, 0)
    x = np.zeros((1, 2, 2, 2))
    x[0, 0, 1, 1] = x[0, 1, 0, 1] = 3.0
    for size, stride in ((2, 2), (2, 1)):  # the tiling path and the general path
        out, cache = maxpool_forward(x, size, stride)
        dx = maxpool_backward(np.ones_like(out), cache)
        np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 0], [0, 0]])  # first of four zeros
        np.testing.assert_array_equal(dx[0, :, :, 1], [[0, 1], [0, 0]])  # first of the two 3s
        assert dx.sum() == out.size  # the gradient is conserved, never duplicated


@pytest.mark.parametrize(("shape", "size", "stride"), CASES)
def test_gradients(shape, size, stride):
    rng = np.random.default_rng(1)
    x = nhwc(rng.standard_normal(shape))
    forward = functools.partial(maxpool_forward, size=size, stride=stride)
    assert_gradients_close(check_function(forward, maxpool_backward, [x], rng, max_coords=300))


def test_layer():
    rng = np.random.default_rng(2)
    layer = MaxPool2D(2, 2)
    assert_gradients_close(check_layer(layer, rng.standard_normal((2, 4, 6, 3)), rng))
    assert layer.forward(np.zeros((1, 4, 4, 1), np.float32), train=False).dtype == np.float32
