"""Workbook exercise (stage 3): average pooling, as loops over output pixels (NCHW).

    out[n, c, i, j] = mean of the window x[n, c, i*s : i*s + k, j*s : j*s + k]

Every value of a window counts equally, so backward has no tie rule: each window
spreads its gradient evenly, dout / k^2 to each of its k^2 inputs, and overlapping
windows add up. Not used by the project's networks: it is graded by
workbook/tests/test_avgpool.py.
"""

from __future__ import annotations

import numpy as np

from shared.shapes import check_pool_args


def avgpool_forward_naive(x, size=2, stride=2):
    """x: (N, C, H, W) -> out: (N, C, H', W'), H' = (H - size) // stride + 1; cache: (x.shape, size, stride)"""
    Ho, Wo = check_pool_args(x.shape, size, stride)
    N, C = x.shape[:2]
    out = np.empty((N, C, Ho, Wo), x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * stride : i * stride + size, j * stride : j * stride + size].mean(axis=(2, 3))
    return out, (x.shape, size, stride)


def avgpool_backward_naive(dout, cache):
    """dout: (N, C, H', W') -> dx: (N, C, H, W); each window gives dout / size^2 to each of its values"""
    x_shape, size, stride = cache
    _, _, Ho, Wo = dout.shape
    dx = np.zeros(x_shape, dout.dtype)
    for i in range(Ho):
        for j in range(Wo):
            share = dout[:, :, i, j] / (size * size)
            dx[:, :, i * stride : i * stride + size, j * stride : j * stride + size] += share[:, :, None, None]
    return dx
