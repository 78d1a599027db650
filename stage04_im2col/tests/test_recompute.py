"""The recomputing convolution against stage 2's loops: the same numbers, a 25th of the cache."""

import functools

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive
from stage04_im2col import conv
from stage04_im2col.conv import conv_forward
from stage04_im2col.recompute import conv_backward_recompute, conv_forward_recompute
from stage04_im2col.tests.test_im2col import nchw, nhwc, random_config


@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_matches_naive_on_many_random_configurations(dtype, rtol, monkeypatch):
    monkeypatch.setattr(conv, "CHUNK", 2)  # up to 3 images: full and partial blocks
    rng = np.random.default_rng(43)
    for _ in range(40):
        x_shape, w_shape, stride, pad = random_config(rng)
        x, w, b = (rng.standard_normal(s).astype(dtype) for s in (x_shape, w_shape, w_shape[0]))
        ref, ref_cache = conv_forward_naive(x, w, b, stride, pad)
        out, cache = conv_forward_recompute(nhwc(x), w, b, stride, pad)
        assert out.dtype == dtype
        np.testing.assert_allclose(nchw(out), ref, rtol=rtol, atol=rtol * np.abs(ref).max())
        dout = rng.standard_normal(ref.shape).astype(dtype)
        grads = conv_backward_recompute(nhwc(dout), cache)
        for fast, slow in zip((nchw(grads[0]), *grads[1:]), conv_backward_naive(dout, ref_cache)):
            assert fast.dtype == dtype
            np.testing.assert_allclose(fast, slow, rtol=rtol, atol=rtol * np.abs(slow).max())


def test_gradients_with_stride_and_padding():
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((3, 9, 6, 2)), rng.standard_normal((3, 2, 5, 3)), rng.standard_normal(3)
    forward = functools.partial(conv_forward_recompute, stride=2, pad=2)
    assert_gradients_close(check_function(forward, conv_backward_recompute, [x, w, b], rng, max_coords=None))


def test_the_cache_is_the_input_not_the_columns():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 14, 14, 32)), rng.standard_normal((64, 32, 5, 5)), np.zeros(64)
    _, kept = conv_forward_recompute(x, w, b, 1, 2)
    _, stored = conv_forward(x, w, b, 1, 2)
    assert kept[0] is x and stored[0].nbytes == 25 * x.nbytes  # every input value, once per kernel offset
    assert conv_backward_recompute(np.ones((4, 14, 14, 64)), kept, need_dx=False)[0] is None
