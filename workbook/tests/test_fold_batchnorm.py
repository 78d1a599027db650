"""Folding batch norm into the conv before it (a workbook exercise): one conv computes both layers."""

import numpy as np

from stage04_im2col.conv import conv_forward
from stage08_regularization.batchnorm import batchnorm_eval_forward
from workbook.solutions.fold_batchnorm import fold_batchnorm


def test_the_folded_conv_equals_conv_then_batch_norm():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 6, 3))  # channels-last, odd and non-square
    w, b = rng.standard_normal((4, 3, 3, 2)), rng.standard_normal(4)
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)  # negative scales too
    mean, var = rng.standard_normal(4), rng.uniform(0.1, 3.0, 4)
    reference = batchnorm_eval_forward(conv_forward(x, w, b, 2, 1)[0], gamma, beta, mean, var)
    w2, b2 = fold_batchnorm(w, b, gamma, beta, mean, var)
    assert w2.shape == w.shape and b2.shape == b.shape
    np.testing.assert_allclose(conv_forward(x, w2, b2, 2, 1)[0], reference, rtol=1e-10, atol=1e-12)


def test_identity_statistics_change_nothing_but_eps():
    w, b = np.ones((2, 1, 1, 1)), np.array([1.0, -1.0])
    w2, b2 = fold_batchnorm(w, b, np.ones(2), np.zeros(2), np.zeros(2), np.ones(2), eps=0.0)
    np.testing.assert_array_equal(w2, w)
    np.testing.assert_array_equal(b2, b)
    w3, _ = fold_batchnorm(w, b, np.ones(2), np.zeros(2), np.zeros(2), np.full(2, 3.0), eps=1.0)
    np.testing.assert_allclose(w3, 0.5)  # 1 / sqrt(3 + 1)


def test_keeps_dtype():
    f32 = np.float32
    w2, b2 = fold_batchnorm(np.ones((2, 1, 3, 3), f32), np.zeros(2, f32), *(np.ones(2, f32),) * 4)
    assert w2.dtype == f32 and b2.dtype == f32
