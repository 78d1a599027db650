"""Average pooling (a workbook exercise): gradients on odd shapes with stride and overlap, known values."""

import functools

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function
from workbook.solutions.avgpool import avgpool_backward_naive, avgpool_forward_naive


@pytest.mark.parametrize(
    ("shape", "size", "stride"),
    [((2, 3, 6, 8), 2, 2), ((1, 2, 7, 5), 3, 2), ((2, 2, 5, 7), 2, 1), ((2, 1, 8, 7), 3, 3)],
)
def test_gradients(shape, size, stride):
    rng = np.random.default_rng(0)
    forward = functools.partial(avgpool_forward_naive, size=size, stride=stride)
    x = rng.standard_normal(shape)
    assert_gradients_close(check_function(forward, avgpool_backward_naive, [x], rng, names=("dx",), max_coords=None))


def test_known_values_on_a_non_square_input():
    x = np.arange(24.0).reshape(1, 1, 4, 6)
    out, cache = avgpool_forward_naive(x, 2, 2)
    np.testing.assert_allclose(out[0, 0], [[3.5, 5.5, 7.5], [15.5, 17.5, 19.5]])
    dx = avgpool_backward_naive(np.ones_like(out), cache)
    np.testing.assert_allclose(dx, np.full(x.shape, 0.25))  # every value is in exactly one window


def test_overlapping_windows_add_and_leftovers_get_nothing():
    x = np.zeros((1, 1, 4, 5))
    out, cache = avgpool_forward_naive(x, 2, 1)  # overlapping: 3x4 windows
    dx = avgpool_backward_naive(np.ones_like(out), cache)
    assert dx[0, 0, 1, 1] == pytest.approx(1.0) and dx[0, 0, 0, 0] == pytest.approx(0.25)
    out, cache = avgpool_forward_naive(np.zeros((1, 1, 5, 5)), 2, 2)  # the last row and column: no window
    dx = avgpool_backward_naive(np.ones_like(out), cache)
    assert dx[0, 0, 4].sum() == 0 and dx[0, 0, :, 4].sum() == 0 and dx.sum() == pytest.approx(4.0)


def test_keeps_dtype_and_clear_errors():
    out, cache = avgpool_forward_naive(np.ones((1, 2, 4, 4), np.float32))
    assert out.dtype == np.float32 and avgpool_backward_naive(out, cache).dtype == np.float32
    with pytest.raises(ValueError, match="larger than the input 3x3"):
        avgpool_forward_naive(np.zeros((1, 1, 3, 3)), 4, 1)
