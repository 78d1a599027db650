import functools

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function, check_layer
from shared.shapes import conv_output_size
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive
from stage02_naive_conv.layers import Conv2DNaive

# (N, C, H, W, F, KH, KW): odd and non-square everywhere; the last one leaves input rows
# and columns that no window reaches (leftovers) at strides 2 and 3
SHAPES = [(2, 3, 7, 5, 4, 3, 3), (1, 2, 6, 9, 3, 2, 3), (3, 1, 5, 5, 2, 5, 5), (1, 2, 8, 7, 2, 3, 2)]


def test_the_shapes_include_leftover_rows_and_columns():
    leftovers = [
        ((H + 2 * pad - KH) % stride, (W + 2 * pad - KW) % stride)
        for _, _, H, W, _, KH, KW in SHAPES
        for stride in (2, 3)
        for pad in (0, 1, 2)
    ]
    assert any(r and c for r, c in leftovers)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("pad", [0, 1, 2])
def test_gradients(shape, stride, pad):
    N, C, H, W, F, KH, KW = shape
    rng = np.random.default_rng(hash((shape, stride, pad)) % 2**32)
    x, w, b = rng.standard_normal((N, C, H, W)), rng.standard_normal((F, C, KH, KW)), rng.standard_normal(F)
    forward = functools.partial(conv_forward_naive, stride=stride, pad=pad)
    errors = check_function(forward, conv_backward_naive, [x, w, b], rng, max_coords=None)
    assert set(errors) == {"dx", "dw", "db"}
    assert_gradients_close(errors)


def test_known_values():
    # a 3x3 input of ones, a 2x2 kernel [[1, 2], [3, 4]], bias 0.5, no padding:
    # every window sums the kernel, 10, plus the bias
    x = np.ones((1, 1, 3, 3))
    w = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    out, _ = conv_forward_naive(x, w, np.array([0.5]))
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 10.5))
    # it is a cross-correlation (no flip): the top-left output of an impulse in the
    # window's bottom-right corner picks w[1, 1] = 4, not w[0, 0]
    impulse = np.zeros((1, 1, 2, 2))
    impulse[0, 0, 1, 1] = 1.0
    assert conv_forward_naive(impulse, w, np.zeros(1))[0][0, 0, 0, 0] == 4.0


def test_padding_and_stride_output_size():
    assert conv_output_size(28, 5, 1, 2) == 28
    assert conv_output_size(7, 3, 2, 1) == 4
    out, _ = conv_forward_naive(np.zeros((2, 3, 7, 6)), np.zeros((4, 3, 3, 3)), np.zeros(4), stride=2, pad=1)
    assert out.shape == (2, 4, 4, 3)


def test_impossible_configurations_are_clear_errors():
    with pytest.raises(ValueError, match="kernel 5x5 is larger than the padded input 4x4"):
        conv_forward_naive(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 5, 5)), np.zeros(1))
    with pytest.raises(ValueError, match="input has 3 channels but the weights expect 2"):
        conv_forward_naive(np.zeros((1, 3, 4, 4)), np.zeros((1, 2, 3, 3)), np.zeros(1))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        conv_forward_naive(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), np.zeros(1), stride=0)


def test_layer_gradients_and_dtype():
    rng = np.random.default_rng(0)
    layer = Conv2DNaive(2, 3, 3, rng, stride=2, pad=1, dtype=np.float64)
    assert_gradients_close(check_layer(layer, rng.standard_normal((2, 2, 5, 7)), rng))
    layer32 = Conv2DNaive(2, 3, 3, rng)
    assert layer32.forward(np.ones((1, 2, 5, 5), np.float32)).dtype == np.float32
