"""Winograd's convolution against stage 2's loops, its exact matrices, its gradients and its rounding."""

import functools

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function, check_layer
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive
from stage04_im2col import winograd
from stage04_im2col.layers import Conv2D
from stage04_im2col.tests.test_im2col import nchw, nhwc
from stage04_im2col.winograd import toom_cook, winograd_backward, winograd_forward
from stage04_im2col.winograd_table import float32_errors


@pytest.mark.parametrize(("m", "r"), [(2, 3), (2, 5), (3, 5), (4, 5), (4, 3), (1, 4), (3, 1)])
def test_toom_cook_computes_every_correlation_exactly(m, r):
    """y_i = sum_k g_k d_(i+k) for every g and d means: sum_j A^T[i,j] G[j,k] B^T[j,l] = 1 if l = i+k, else 0."""
    AT, G, BT = toom_cook(m, r)
    n = m + r - 1
    assert (len(AT), len(AT[0]), len(G), len(G[0]), len(BT), len(BT[0])) == (m, n, n, r, n, n)
    for i in range(m):
        for k in range(r):
            for out in range(n):
                assert sum(AT[i][j] * G[j][k] * BT[j][out] for j in range(n)) == int(out == i + k)
    assert all(v.denominator == 1 for row in BT for v in row)  # the fractions are all in G


def test_f2_3_worked_example():
    """F(2, 3) on d = (1, 2, 3, 4), g = (1, 2, -1): 4 multiplies for the 2 outputs that take 6 directly."""
    AT, G, BT = (np.array(a, dtype=float) for a in toom_cook(2, 3))
    d, g = np.array([1.0, 2, 3, 4]), np.array([1.0, 2, -1])
    elementwise = (G @ g) * (BT @ d)
    assert elementwise.shape == (4,)
    np.testing.assert_allclose(AT @ elementwise, [1 + 4 - 3, 2 + 6 - 4])


def random_config(rng):
    """Random sizes, channels, kernel (non-square too), padding and tile size, stride 1."""
    while True:
        N, C, F = rng.integers(1, 4), rng.integers(1, 5), rng.integers(1, 5)
        H, W = rng.integers(1, 11, size=2)
        KH, KW = rng.integers(1, 6, size=2)
        pad, m = int(rng.integers(0, 3)), int(rng.integers(2, 5))
        if H + 2 * pad >= KH and W + 2 * pad >= KW:
            return (N, C, H, W), (F, C, KH, KW), pad, m


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-11), (np.float32, 1e-4)])
def test_matches_naive_on_many_random_configurations(dtype, rtol):
    rng = np.random.default_rng(11)
    for _ in range(40):
        x_shape, w_shape, pad, m = random_config(rng)
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal(w_shape).astype(dtype)
        b = rng.standard_normal(w_shape[0]).astype(dtype)
        ref, ref_cache = conv_forward_naive(x, w, b, 1, pad)
        out, cache = winograd_forward(nhwc(x), w, b, 1, pad, m)
        assert out.dtype == dtype and out.shape == nhwc(ref).shape
        np.testing.assert_allclose(nchw(out), ref, rtol=rtol, atol=rtol * np.abs(ref).max())
        dout = rng.standard_normal(ref.shape).astype(dtype)
        fast = winograd_backward(nhwc(dout), cache)
        for ours, slow in zip((nchw(fast[0]), *fast[1:]), conv_backward_naive(dout, ref_cache)):
            assert ours.dtype == dtype
            np.testing.assert_allclose(ours, slow, rtol=rtol, atol=rtol * np.abs(slow).max())


def test_blocks_of_images_match_one_block(monkeypatch):
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((11, 9, 7, 3)), rng.standard_normal((4, 3, 5, 3)), rng.standard_normal(4)
    dout = rng.standard_normal((11, 9, 7, 4))
    results = []
    for chunk in (winograd.CHUNK, 11):
        monkeypatch.setattr(winograd, "CHUNK", chunk)
        out, cache = winograd_forward(x, w, b, 1, 2)
        results.append((out, *winograd_backward(dout, cache)))
    for in_blocks, one_block in zip(*results):
        np.testing.assert_allclose(in_blocks, one_block, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "pad", "m"),
    [((2, 7, 5, 3), (4, 3, 3, 3), 1, 2), ((2, 9, 6, 2), (3, 2, 5, 3), 2, 4), ((1, 6, 7, 3), (2, 3, 2, 4), 0, 3)],
)
def test_gradients(x_shape, w_shape, pad, m):
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    forward = functools.partial(winograd_forward, stride=1, pad=pad, m=m)
    assert_gradients_close(check_function(forward, winograd_backward, [x, w, b], rng, max_coords=None))


def test_layer_gradients_inference_dtype_and_need_dx():
    rng = np.random.default_rng(0)
    layer = Conv2D(3, 2, 5, rng, pad=2, dtype=np.float64, algorithm="winograd")
    x = rng.standard_normal((3, 7, 6, 3))
    assert_gradients_close(check_layer(layer, x, rng))
    np.testing.assert_array_equal(layer.forward(x, train=False), layer.forward(x))
    layer.forward(x, train=False)
    assert layer.cache is None  # inference keeps nothing
    layer.need_dx = False
    layer.forward(x)
    assert layer.backward(np.ones((3, 7, 6, 2))) is None
    assert Conv2D(3, 2, 5, rng, algorithm="winograd").forward(x.astype(np.float32)).dtype == np.float32


def test_clear_errors_for_stride_tile_points_and_unknown_algorithms(monkeypatch):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"F\(8, 5\) needs 11 points besides infinity; POINTS has 9"):
        toom_cook(8, 5)
    with monkeypatch.context() as patch:
        patch.setattr(winograd, "POINTS", (0, 1, 1))
        with pytest.raises(ValueError, match=r"F\(2, 3\) needs distinct points, got \['0', '1', '1'\]"):
            toom_cook.__wrapped__(2, 3)
    with pytest.raises(ValueError, match="Winograd's tiles here are for stride 1, got stride 2"):
        Conv2D(1, 2, 3, rng, stride=2, algorithm="winograd")
    with pytest.raises(ValueError, match="Winograd's tiles here are for stride 1, got stride 2: use conv_forward"):
        winograd_forward(np.zeros((1, 5, 5, 1)), np.zeros((2, 1, 3, 3)), np.zeros(2), stride=2)
    with pytest.raises(ValueError, match="unknown convolution algorithm 'fft': use one of im2col, winograd"):
        Conv2D(1, 2, 3, rng, algorithm="fft")
    with pytest.raises(ValueError, match="input has 5 channels but the weights expect 2"):
        winograd_forward(np.zeros((1, 6, 6, 5)), np.zeros((3, 2, 3, 3)), np.zeros(3))


def float32_error(m):
    """max |float32 Winograd output - exact| / max |exact| on the CNN's second conv, as stage 4's table measures it."""
    return float32_errors(functools.partial(winograd_forward, m=m), winograd_backward, np.random.default_rng(1))[0]


def test_float32_rounding_grows_with_the_tile():
    """The CNN's F(4x4, 5x5) stays within 1e-4 of exact; F(6x6, 5x5), with points up to +-3, does not.

    (On our machines a few 1e-6 for m = 2 to 4, several 1e-4 for m = 6: `nox -s stage04` measures it.)
    """
    assert float32_error(winograd.TILE) < 1e-4
    assert float32_error(6) > 1e-4
