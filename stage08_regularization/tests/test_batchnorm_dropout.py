"""Batch norm and dropout: gradient checks in float64, train/eval behaviour, running statistics."""

import numpy as np
import pytest

from shared.gradcheck import assert_gradients_close, check_function, check_layer, rel_error
from stage08_regularization import batchnorm as bn
from stage08_regularization.dropout import dropout_backward, dropout_forward
from stage08_regularization.layers import BatchNorm, Dropout

NAMES = ("dx", "dgamma", "dbeta")
SHAPES = [(3, 5, 7, 4), (2, 3, 1, 6), (7, 5), (11, 3)]  # conv activations (N, H, W, C) and dense (N, C)


def bn_inputs(shape, seed=0):
    rng = np.random.default_rng(seed)
    C = shape[-1]
    x = rng.standard_normal(shape) * 3 + 1.5  # not already normalized
    return rng, x, rng.standard_normal(C), rng.standard_normal(C)


@pytest.mark.parametrize("shape", SHAPES)
def test_batchnorm_gradients(shape):
    rng, x, gamma, beta = bn_inputs(shape)
    errors = check_function(
        bn.batchnorm_forward, bn.batchnorm_backward, [x, gamma, beta], rng, max_coords=None, names=NAMES
    )
    assert set(errors) == {"dx", "dgamma", "dbeta"}
    assert_gradients_close(errors)


def without_mean_term(dout, cache):
    xhat, inv_std, gamma, _, _ = cache
    _, dgamma, dbeta = bn.batchnorm_backward(dout, cache)
    M = dout.size // dout.shape[-1]
    return (gamma * inv_std) * (dout - xhat * (dgamma / M)), dgamma, dbeta


def without_variance_term(dout, cache):
    _, inv_std, gamma, _, _ = cache
    _, dgamma, dbeta = bn.batchnorm_backward(dout, cache)
    M = dout.size // dout.shape[-1]
    return (gamma * inv_std) * (dout - dbeta / M), dgamma, dbeta


def test_channel_sum_is_the_sum_over_every_axis_but_the_last():
    x = np.random.default_rng(0).standard_normal((3, 5, 7, 4))
    np.testing.assert_allclose(bn.channel_sum(x), x.sum(axis=(0, 1, 2)), rtol=1e-12)
    assert bn.channel_sum(x.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("broken", [without_mean_term, without_variance_term])
def test_each_of_the_three_terms_of_dx_is_needed(broken):
    rng, x, gamma, beta = bn_inputs((3, 5, 7, 4))
    errors = check_function(bn.batchnorm_forward, broken, [x, gamma, beta], rng, max_coords=200, names=NAMES)
    assert errors["dx"] > 1e-3 and errors["dgamma"] < 1e-7


def test_batchnorm_normalizes_each_channel_and_keeps_dtype():
    _, x, gamma, beta = bn_inputs((4, 6, 5, 3))
    out, _ = bn.batchnorm_forward(x, np.ones(3), np.zeros(3))
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)  # eps = 1e-5 keeps it just below 1
    out32, _ = bn.batchnorm_forward(x.astype(np.float32), gamma.astype(np.float32), beta.astype(np.float32))
    assert out32.dtype == np.float32


def test_layer_running_statistics_follow_pytorch_and_eval_uses_them():
    _, x, _, _ = bn_inputs((4, 3, 5, 2))
    layer = BatchNorm(2, np.float64)
    for _ in range(3):
        layer.forward(x)
    mean, var, m = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2), ddof=1), 0.1
    expected_mean = mean * (1 - (1 - m) ** 3)  # from 0, three updates with the same batch
    expected_var = (1 - m) ** 3 + var * (1 - (1 - m) ** 3)  # from 1
    np.testing.assert_allclose(layer.buffers["running_mean"], expected_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.buffers["running_var"], expected_var, rtol=1e-12)
    before = {k: v.copy() for k, v in layer.buffers.items()}
    out = layer.forward(x, train=False)
    expected = (x - expected_mean) / np.sqrt(expected_var + 1e-5)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert all(np.array_equal(before[k], v) for k, v in layer.buffers.items())  # eval updates nothing
    assert layer.cache is None


def test_batchnorm_layer_gradients():
    rng, x, _, _ = bn_inputs((3, 4, 5, 3), seed=1)
    layer = BatchNorm(3, np.float64)
    layer.params = {"gamma": rng.standard_normal(3), "beta": rng.standard_normal(3)}
    assert_gradients_close(check_layer(layer, x, rng))


@pytest.mark.parametrize("shape", [(5, 7), (2, 3, 4, 5)])
def test_dropout_gradient_with_a_fixed_mask(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)

    def fixed(x):  # a fresh generator with the same seed each call: the same mask every time
        return dropout_forward(x, 0.3, np.random.default_rng(42))

    assert_gradients_close(check_function(fixed, dropout_backward, [x], rng, max_coords=None, names=("dx",)))


def test_dropout_is_inverted_seeded_and_off_at_inference():
    x = np.ones((400, 500), np.float32)
    out, mask = dropout_forward(x, 0.5, np.random.default_rng(0))
    assert out.dtype == np.float32 and set(np.unique(out)) == {0.0, 2.0}
    assert abs(out.mean() - 1.0) < 0.01  # kept values are scaled by 1 / (1 - p): the mean is unchanged
    assert abs((mask == 0).mean() - 0.5) < 0.01
    np.testing.assert_array_equal(dropout_forward(x, 0.5, np.random.default_rng(0))[0], out)
    layer = Dropout(0.5, np.random.default_rng(1))
    assert layer.forward(x, train=False) is x and layer.cache is None
    with pytest.raises(ValueError, match=r"dropout probability must be in \[0, 1\)"):
        dropout_forward(x, 1.0, np.random.default_rng(0))


def test_eval_forward_is_the_train_normalization_when_the_statistics_match():
    _, x, gamma, beta = bn_inputs((5, 4, 3, 2))
    train_out, (_, _, _, mu, var) = bn.batchnorm_forward(x, gamma, beta)
    eval_out = bn.batchnorm_eval_forward(x, gamma, beta, mu, var)
    assert rel_error(eval_out, train_out) < 1e-12


def test_dropout_at_p_0_2_keeps_80_percent_and_scales_by_1_25():
    """At p = 0.5, 1/p and 1/(1-p) agree; at p = 0.2 only the right scale, 1.25, keeps the mean."""
    x = np.ones((200, 500), dtype=np.float32)
    out, _ = dropout_forward(x, 0.2, np.random.default_rng(0))
    kept = out[out != 0]
    assert abs(kept.size / x.size - 0.8) < 0.005
    np.testing.assert_allclose(kept, 1.25, rtol=1e-6)
    assert out.dtype == np.float32 and abs(out.mean() - 1.0) < 0.01
