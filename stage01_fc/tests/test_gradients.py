"""Every stage-1 function and layer against numerical gradients, in float64."""

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function, check_layer
from stage01_fc import functional as F
from stage01_fc.layers import Flatten, Linear, ReLU, mlp


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def test_affine(rng):
    x, w, b = rng.standard_normal((7, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    assert_gradients_close(check_function(F.affine_forward, F.affine_backward, [x, w, b], rng))


def test_relu(rng):
    x = rng.standard_normal((4, 3, 5))
    x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where the derivative is undefined
    assert_gradients_close(check_function(F.relu_forward, F.relu_backward, [x], rng))


def test_flatten(rng):
    x = rng.standard_normal((3, 2, 5, 7))
    out, _ = F.flatten_forward(x)
    assert out.shape == (3, 70)
    assert_gradients_close(check_function(F.flatten_forward, F.flatten_backward, [x], rng))


def test_softmax_cross_entropy_gradient(rng):
    logits, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)

    def forward(z):
        loss, dz = F.softmax_cross_entropy(z, y)
        return np.array(loss), dz

    def backward(dout, dz):
        return dout * dz

    assert_gradients_close(check_function(forward, backward, [logits], rng))


def test_softmax_cross_entropy_known_values():
    loss, dz = F.softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert loss == pytest.approx(np.log(4))
    np.testing.assert_allclose(dz, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]])


@pytest.mark.parametrize(("scale", "expected"), [(1e4, (0 + 2e4) / 2), (-1e4, (2e4 + np.log(2)) / 2)])
def test_softmax_cross_entropy_is_stable_for_huge_logits(scale, expected):
    logits = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 0.0]]) * scale
    y = np.array([0, 0])
    loss, dz = F.softmax_cross_entropy(logits, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dz))
    # the loss of a row is logsumexp(z) - z[label]: the margin by which the label loses
    assert loss == pytest.approx(expected)


@pytest.mark.parametrize("layer_fn", [lambda r: Linear(5, 3, r, np.float64), lambda r: ReLU(), lambda r: Flatten()])
def test_layers(rng, layer_fn):
    layer = layer_fn(rng)
    x = rng.standard_normal((4, 5)) + 0.01
    assert_gradients_close(check_layer(layer, x, rng))


def test_whole_mlp_with_loss(rng):
    model = mlp([12, 7, 5, 3], rng, np.float64)
    x, y = rng.standard_normal((6, 3, 4)), rng.integers(0, 3, 6)

    class WithLoss:
        """The MLP plus softmax cross-entropy, as one 'layer' whose output is the loss."""

        params, grads = model.params(), {}

        def forward(self, x, train=True):
            return np.array(F.softmax_cross_entropy(model.forward(x), y)[0])

        def backward(self, dout):
            dx = model.backward(dout * F.softmax_cross_entropy(model.forward(x), y)[1])
            self.grads.update(model.grads())
            return dx

    assert_gradients_close(check_layer(WithLoss(), x, rng))


def test_softmax_subtracts_the_row_maximum():
    """Probabilities of logits near 1000 (which overflow exp() unshifted) equal those of the same logits minus 1000."""
    logits = np.array([[1000.0, 1001.0, 998.0], [-5.0, 0.0, 2.0]])
    probs = F.softmax(logits)
    np.testing.assert_allclose(probs[0], F.softmax(logits[:1] - 1000.0)[0], rtol=1e-12)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.isfinite(probs))
