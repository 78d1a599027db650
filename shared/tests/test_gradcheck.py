import functools

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function, check_layer, rel_error


def square_forward(x, w):
    return x * x * w, (x, w)


def square_backward(dout, cache):
    x, w = cache
    return 2 * x * w * dout, x * x * dout


def square_backward_wrong(dout, cache):
    x, w = cache
    return x * w * dout, x * x * dout  # forgot the factor 2 in dx


def test_rel_error():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([-1.0])) == pytest.approx(1.0)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0


def test_correct_backward_passes():
    rng = np.random.default_rng(0)
    errors = check_function(
        square_forward,
        square_backward,
        [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))],
        rng,
        names=("dx", "dw"),
    )
    assert set(errors) == {"dx", "dw"}
    assert_gradients_close(errors)


def test_wrong_backward_fails():
    rng = np.random.default_rng(0)
    errors = check_function(
        square_forward,
        square_backward_wrong,
        [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))],
        rng,
        names=("dx", "dw"),
    )
    assert errors["dx"] > 0.1 and errors["dw"] < 1e-7
    with pytest.raises(AssertionError, match="dx="):
        assert_gradients_close(errors)


def test_float32_is_refused():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(3).astype(np.float32)
    with pytest.raises(TypeError, match="float64"):
        check_function(square_forward, square_backward, [x, x.copy()], rng)


def test_sampling_checks_a_subset_and_still_catches_errors():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((50, 50)), rng.standard_normal((50, 50))
    fwd = functools.partial(square_forward)
    errors = check_function(fwd, square_backward_wrong, [x, w], rng, names=("dx", "dw"), max_coords=20)
    assert errors["dx"] > 0.1


class Scale:
    """A toy layer out = x * s with a deliberately switchable bug."""

    def __init__(self, s, bug=False):
        self.params, self.grads, self.bug = {"s": s}, {}, bug

    def forward(self, x, train=True):
        self.x = x
        return x * self.params["s"]

    def backward(self, dout):
        self.grads["s"] = (self.x * dout).sum(axis=0) * (2 if self.bug else 1)
        return dout * self.params["s"]


def test_check_layer_passes_and_fails():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3))
    assert_gradients_close(check_layer(Scale(rng.standard_normal(3)), x, rng))
    errors = check_layer(Scale(rng.standard_normal(3), bug=True), x, rng)
    assert errors["dx"] < 1e-7 and errors["ds"] > 0.1
