"""Batch norm against torch.nn.BatchNorm2d and BatchNorm1d, train and eval mode (run by `nox -s parity`)."""

import numpy as np
import pytest

from stage08_regularization.layers import BatchNorm

pytestmark = pytest.mark.torch
TOL = {np.float64: 1e-10, np.float32: 1e-5}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(4, 5, 7, 3), (9, 6)])  # (N, H, W, C) for BatchNorm2d, (N, C) for 1d
def test_batchnorm_train_eval_and_running_statistics(torch, dtype, shape):
    rng = np.random.default_rng(0)
    C = shape[-1]
    ours = BatchNorm(C, dtype)
    ours.params = {"gamma": rng.standard_normal(C).astype(dtype), "beta": rng.standard_normal(C).astype(dtype)}
    theirs = (torch.nn.BatchNorm2d if len(shape) == 4 else torch.nn.BatchNorm1d)(C)
    theirs = theirs.double() if dtype == np.float64 else theirs
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.params["gamma"]))
        theirs.bias.copy_(torch.tensor(ours.params["beta"]))

    def to_torch(a):  # channels-last to channels-first
        return torch.tensor(np.ascontiguousarray(np.moveaxis(a, -1, 1)))

    def close(a, b):
        b = b.detach().numpy()
        np.testing.assert_allclose(a, b, rtol=TOL[dtype], atol=TOL[dtype] * max(1.0, np.abs(b).max()))

    for step in range(3):  # train mode: batch statistics, and the running averages move
        x = (rng.standard_normal(shape) * 2 + step).astype(dtype)
        dout = rng.standard_normal(shape).astype(dtype)
        tx = to_torch(x).requires_grad_(True)
        theirs.train()
        ref = theirs(tx)
        ref.backward(to_torch(dout))
        out = ours.forward(x)
        dx = ours.backward(dout)
        close(np.moveaxis(out, -1, 1), ref)
        close(np.moveaxis(dx, -1, 1), tx.grad)
        close(ours.grads["gamma"], theirs.weight.grad)
        close(ours.grads["beta"], theirs.bias.grad)
        theirs.weight.grad = theirs.bias.grad = None
        close(ours.buffers["running_mean"], theirs.running_mean)
        close(ours.buffers["running_var"], theirs.running_var)
    theirs.eval()  # eval mode: the running statistics
    x = rng.standard_normal(shape).astype(dtype)
    close(np.moveaxis(ours.forward(x, train=False), -1, 1), theirs(to_torch(x)))
