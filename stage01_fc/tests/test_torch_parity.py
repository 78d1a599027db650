"""Stage 1's functions against torch.nn.functional (run by `nox -s parity`)."""

import numpy as np
import pytest

from stage01_fc import functional as F

pytestmark = pytest.mark.torch
TOL = {np.float64: 1e-10, np.float32: 1e-5}


def grads_of(torch, fn, inputs, dout):
    """torch's output and its input gradients for upstream gradient dout."""
    ts = [torch.tensor(a, requires_grad=True) for a in inputs]
    out = fn(*ts)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def assert_close(ours, theirs, dtype):
    np.testing.assert_allclose(ours, theirs, rtol=TOL[dtype], atol=TOL[dtype] * np.abs(theirs).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear(torch, dtype):
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in ((7, 13), (13, 5), (5,)))
    out, cache = F.affine_forward(x, w, b)
    dout = rng.standard_normal(out.shape).astype(dtype)
    ref, ref_grads = grads_of(torch, lambda x, w, b: torch.nn.functional.linear(x, w.T, b), [x, w, b], dout)
    assert_close(out, ref, dtype)
    for ours, theirs in zip(F.affine_backward(dout, cache), ref_grads):
        assert_close(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_and_flatten(torch, dtype):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 5, 2)).astype(dtype)
    out, cache = F.relu_forward(x)
    dout = rng.standard_normal(out.shape).astype(dtype)
    ref, (dx,) = grads_of(torch, torch.relu, [x], dout)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(F.relu_backward(dout, cache), dx)
    flat, shape = F.flatten_forward(x)
    np.testing.assert_array_equal(flat, torch.flatten(torch.tensor(x), 1).numpy())
    np.testing.assert_array_equal(F.flatten_backward(flat, shape), x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_cross_entropy(torch, dtype, scale):
    rng = np.random.default_rng(2)
    logits, y = (rng.standard_normal((9, 10)) * scale).astype(dtype), rng.integers(0, 10, 9)
    loss, dlogits = F.softmax_cross_entropy(logits, y)
    t = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(t, torch.tensor(y))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=TOL[dtype])
    assert_close(dlogits, t.grad.numpy(), dtype)
