"""Leaky ReLU (a workbook exercise): gradients in float64, known values, dtype."""

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function
from workbook.solutions.leaky_relu import leaky_relu_backward, leaky_relu_forward


@pytest.mark.parametrize("alpha", [0.01, 0.2])
def test_gradients(alpha):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5))
    x[np.abs(x) < 1e-3] = 0.5  # away from the kink
    forward = lambda x: leaky_relu_forward(x, alpha)  # noqa: E731
    assert_gradients_close(check_function(forward, leaky_relu_backward, [x], rng, names=("dx",)))


def test_known_values_and_default_slope():
    out, cache = leaky_relu_forward(np.array([[-2.0, 0.0, 3.0]]))
    np.testing.assert_allclose(out, [[-0.02, 0.0, 3.0]])
    np.testing.assert_allclose(leaky_relu_backward(np.array([[5.0, 5.0, 5.0]]), cache), [[0.05, 0.05, 5.0]])


def test_keeps_dtype():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    out, cache = leaky_relu_forward(x, 0.1)
    assert out.dtype == np.float32 and leaky_relu_backward(np.ones_like(out), cache).dtype == np.float32
