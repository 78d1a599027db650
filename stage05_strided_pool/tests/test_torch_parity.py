"""Strided max pooling against torch.nn.functional.max_pool2d, ties included (run by `nox -s parity`)."""

import numpy as np
import pytest

from stage05_strided_pool.pool import maxpool_backward, maxpool_forward

pytestmark = pytest.mark.torch


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    ("shape", "size", "stride"), [((2, 3, 8, 6), 2, 2), ((2, 3, 7, 9), 3, 2), ((1, 4, 6, 6), 2, 1)]
)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool2d(torch, dtype, shape, size, stride, ties):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    if ties:  # a ReLU'd grid of small integers: many windows with tied maxima
        x = np.maximum(np.round(x * 1.5), 0)
    x = x.astype(dtype)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.max_pool2d(tx, size, stride)
    dout = rng.standard_normal(ref.shape).astype(dtype)
    ref.backward(torch.tensor(dout))
    out, cache = maxpool_forward(x.transpose(0, 2, 3, 1), size, stride)
    dx = maxpool_backward(dout.transpose(0, 2, 3, 1), cache).transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(out.transpose(0, 3, 1, 2), ref.detach().numpy())
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=4 * eps, atol=0)  # same winners, same sums
    np.testing.assert_array_equal(dx != 0, tx.grad.numpy() != 0)
