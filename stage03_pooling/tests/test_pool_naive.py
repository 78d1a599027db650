import functools

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function, check_layer
from stage03_pooling.layers import MaxPoolNaive
from stage03_pooling.pool import maxpool_backward_naive, maxpool_forward_naive


@pytest.mark.parametrize(
    ("shape", "size", "stride"),
    [
        ((2, 3, 6, 8), 2, 2),
        ((1, 2, 7, 5), 3, 2),
        ((2, 2, 5, 7), 2, 1),
        ((1, 2, 7, 6), 2, 2),  # a leftover row that no window reaches
        ((2, 1, 8, 8), 3, 2),  # a leftover row and column
    ],
)
def test_gradients_on_continuous_inputs(shape, size, stride):
    # continuous random values: ties have probability zero, and a step of h = 1e-6
    # is far smaller than the gap between a window's largest two values
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    forward = functools.partial(maxpool_forward_naive, size=size, stride=stride)
    assert_gradients_close(check_function(forward, maxpool_backward_naive, [x], rng, max_coords=None))


def test_known_forward():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out, _ = maxpool_forward_naive(x, 2, 2)
    np.testing.assert_array_equal(out[0, 0], [[5, 7], [13, 15]])


def test_leftover_row_and_column_are_dropped():
    # 5x5 with 2x2 windows, stride 2: the last row and column belong to no window
    x = np.arange(25.0).reshape(1, 1, 5, 5)
    out, cache = maxpool_forward_naive(x, 2, 2)
    np.testing.assert_array_equal(out[0, 0], [[6, 8], [16, 18]])
    dx = maxpool_backward_naive(np.ones_like(out), cache)
    assert dx[0, 0, 4].sum() == 0 and dx[0, 0, :, 4].sum() == 0 and dx.sum() == 4


def test_ties_send_the_gradient_to_the_first_maximum_only():
    # a window of four zeros (a ReLU output) and one with a tie between positions 1 and 2
    x = np.array([[[[0.0, 0.0, 1.0, 3.0], [0.0, 0.0, 3.0, 2.0]]]])
    out, cache = maxpool_forward_naive(x, 2, 2)
    np.testing.assert_array_equal(out[0, 0], [[0.0, 3.0]])
    dx = maxpool_backward_naive(np.array([[[[5.0, 7.0]]]]), cache)
    np.testing.assert_array_equal(dx[0, 0], [[5.0, 0.0, 0.0, 7.0], [0.0, 0.0, 0.0, 0.0]])
    # the gradient is conserved: nothing is duplicated across ties
    assert dx.sum() == 12.0


def test_overlapping_windows_accumulate():
    x = np.array([[[[0.0, 9.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]])
    _, cache = maxpool_forward_naive(x, 2, 1)
    dx = maxpool_backward_naive(np.ones((1, 1, 2, 2)), cache)
    assert dx[0, 0, 0, 1] == 2.0  # the 9 is the maximum of both top windows


def test_clear_errors():
    with pytest.raises(ValueError, match="larger than the input 3x3"):
        maxpool_forward_naive(np.zeros((1, 1, 3, 3)), 4, 1)
    with pytest.raises(ValueError, match="4-D input"):
        maxpool_forward_naive(np.zeros((3, 3)), 2, 2)


def test_layer():
    rng = np.random.default_rng(1)
    assert_gradients_close(check_layer(MaxPoolNaive(2, 2), rng.standard_normal((2, 3, 4, 6)), rng))
