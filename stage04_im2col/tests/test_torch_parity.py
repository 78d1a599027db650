"""im2col convolution against torch.nn.functional.conv2d (run by `nox -s parity`)."""

import numpy as np
import pytest

from stage04_im2col.conv import conv_backward, conv_forward

pytestmark = pytest.mark.torch
TOL = {np.float64: 1e-10, np.float32: 1e-5}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(8))
def test_conv2d(torch, dtype, seed):
    rng = np.random.default_rng(seed)
    N, C, F = rng.integers(1, 4, size=3)
    H, W = rng.integers(5, 12, size=2)
    KH, KW = rng.integers(1, 6, size=2)
    stride, pad = int(rng.integers(1, 3)), int(rng.integers(0, 3))
    x = rng.standard_normal((N, C, H, W)).astype(dtype)
    w = rng.standard_normal((F, C, KH, KW)).astype(dtype)
    b = rng.standard_normal(F).astype(dtype)
    out, cache = conv_forward(x.transpose(0, 2, 3, 1), w, b, stride, pad)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ref = torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=pad)
    dout = rng.standard_normal(ref.shape).astype(dtype)
    ref.backward(torch.tensor(dout))
    dx, dw, db = conv_backward(dout.transpose(0, 2, 3, 1), cache)
    pairs = [
        (out.transpose(0, 3, 1, 2), ref.detach()),
        (dx.transpose(0, 3, 1, 2), tx.grad),
        (dw, tw.grad),
        (db, tb.grad),
    ]
    for ours, theirs in pairs:
        theirs = theirs.numpy()
        np.testing.assert_allclose(ours, theirs, rtol=TOL[dtype], atol=TOL[dtype] * np.abs(theirs).max())
