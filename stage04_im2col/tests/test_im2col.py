"""im2col conv against stage 2's loops, and its own gradient checks."""

import functools

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function, check_layer
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive
from stage04_im2col import conv
from stage04_im2col.conv import conv_backward, conv_forward
from stage04_im2col.im2col import col2im, im2col
from stage04_im2col.layers import Conv2D


def nhwc(a):
    return a.transpose(0, 2, 3, 1)


def nchw(a):
    return a.transpose(0, 3, 1, 2)


def random_config(rng):
    """Random sizes, channels, kernel, stride and padding, with a kernel that fits."""
    while True:
        N, C, F = rng.integers(1, 4), rng.integers(1, 5), rng.integers(1, 5)
        H, W = rng.integers(3, 10, size=2)
        KH, KW = rng.integers(1, 6, size=2)
        stride, pad = rng.integers(1, 4), rng.integers(0, 3)
        if H + 2 * pad >= KH and W + 2 * pad >= KW:
            return (N, C, H, W), (F, C, KH, KW), int(stride), int(pad)


def test_worked_example_from_the_docstring():
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    np.testing.assert_array_equal(im2col(x, 2, 2), [[1, 2, 4, 5], [2, 3, 5, 6], [4, 5, 7, 8], [5, 6, 8, 9]])


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_matches_naive_on_many_random_configurations(dtype, rtol):
    rng = np.random.default_rng(42)
    for _ in range(40):
        x_shape, w_shape, stride, pad = random_config(rng)
        x = rng.standard_normal(x_shape).astype(dtype)
        w = rng.standard_normal(w_shape).astype(dtype)
        b = rng.standard_normal(w_shape[0]).astype(dtype)
        ref, ref_cache = conv_forward_naive(x, w, b, stride, pad)
        out, cache = conv_forward(nhwc(x), w, b, stride, pad)
        assert out.dtype == dtype
        scale = np.abs(ref).max()
        np.testing.assert_allclose(nchw(out), ref, rtol=rtol, atol=rtol * scale)
        dout = rng.standard_normal(ref.shape).astype(dtype)
        dx, dw, db = conv_backward(nhwc(dout), cache)
        for fast, slow in zip((nchw(dx), dw, db), conv_backward_naive(dout, ref_cache)):
            np.testing.assert_allclose(fast, slow, rtol=rtol, atol=rtol * np.abs(slow).max())


def test_blocks_of_images_match_one_block_and_the_naive_loops(monkeypatch):
    # 19 images: two full blocks of conv.CHUNK = 8 and a partial one of 3
    rng = np.random.default_rng(5)
    x, w, b = rng.standard_normal((19, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    ref, ref_cache = conv_forward_naive(x, w, b, 2, 1)
    dout = rng.standard_normal(ref.shape)
    results = []
    for chunk in (8, 19):
        monkeypatch.setattr(conv, "CHUNK", chunk)
        out, cache = conv_forward(nhwc(x), w, b, 2, 1)
        dx, dw, db = conv_backward(nhwc(dout), cache)
        results.append((nchw(out), nchw(dx), dw, db))
    expected = (ref, *conv_backward_naive(dout, ref_cache))
    for in_blocks, one_block, slow in zip(*results, expected):
        np.testing.assert_allclose(in_blocks, one_block, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(in_blocks, slow, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "stride", "pad"),
    [((2, 7, 5, 3), (4, 3, 3, 3), 1, 1), ((2, 9, 6, 2), (3, 2, 5, 3), 2, 2), ((1, 6, 7, 3), (2, 3, 2, 4), 2, 0)],
)
def test_gradients(x_shape, w_shape, stride, pad):
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    forward = functools.partial(conv_forward, stride=stride, pad=pad)
    assert_gradients_close(check_function(forward, conv_backward, [x, w, b], rng, max_coords=None))


def test_col2im_is_the_adjoint_of_im2col():
    # <im2col(x), c> == <x, col2im(c)> for all x and c: col2im is exactly im2col's transpose
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 6, 3))
    cols = im2col(x, 3, 2, stride=2, pad=1)
    c = rng.standard_normal(cols.shape)
    assert np.sum(cols * c) == pytest.approx(np.sum(x * col2im(c, x.shape, 3, 2, stride=2, pad=1)), rel=1e-12)


def test_need_dx_false_skips_only_dx():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((3, 2, 3, 3)), np.zeros(3)
    out, cache = conv_forward(x, w, b, 1, 1)
    dout = rng.standard_normal(out.shape)
    full, skipped = conv_backward(dout, cache), conv_backward(dout, cache, need_dx=False)
    assert skipped[0] is None
    np.testing.assert_array_equal(full[1], skipped[1])


def test_layer_gradients_inference_and_dtype():
    rng = np.random.default_rng(0)
    layer = Conv2D(2, 3, 3, rng, stride=2, pad=1, dtype=np.float64)
    x = rng.standard_normal((5, 6, 7, 2))
    assert_gradients_close(check_layer(layer, x, rng))
    np.testing.assert_array_equal(layer.forward(x, train=False), layer.forward(x))
    layer.forward(x)
    assert layer.cache is not None
    layer.forward(x, train=False)
    assert layer.cache is None  # inference keeps nothing
    assert Conv2D(2, 3, 3, rng).forward(x.astype(np.float32)).dtype == np.float32


def test_clear_error_for_channels_last_mismatch():
    with pytest.raises(ValueError, match="input has 5 channels but the weights expect 2"):
        conv_forward(np.zeros((1, 6, 6, 5)), np.zeros((3, 2, 3, 3)), np.zeros(3))
