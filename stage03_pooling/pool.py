"""Stage 3: max pooling written as loops over output pixels, the readable reference.

    out[n, c, i, j] = max over the window x[n, c, i*s : i*s + PH, j*s : j*s + PW]

Windows may overlap (stride < pool size). Layout is NCHW.

The tie rule. After ReLU and on MNIST's flat background, windows often hold
several equal maxima (four zeros, say). The maximum's value does not depend on
which one is "the" maximum, but the backward pass must pick one: it sends the
window's gradient to the FIRST maximum in row-major order, as PyTorch does.
Sending the full gradient to every tied maximum instead would multiply it by the
number of ties: the upstream conv layers would get wrong gradients, while
training still seems to work, so the bug goes unnoticed.
"""

from __future__ import annotations

import numpy as np

from shared.shapes import check_pool_args


# --8<-- [start:forward]
def maxpool_forward_naive(x, size=2, stride=2):
    """x: (N, C, H, W) -> out: (N, C, H', W'), H' = (H - size) // stride + 1."""
    Ho, Wo = check_pool_args(x.shape, size, stride)
    N, C = x.shape[:2]
    out = np.empty((N, C, Ho, Wo), x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            window = x[:, :, i * stride : i * stride + size, j * stride : j * stride + size]
            out[:, :, i, j] = window.max(axis=(2, 3))
    return out, (x, size, stride)


# --8<-- [end:forward]


# --8<-- [start:backward]
def maxpool_backward_naive(dout, cache):
    """dout: (N, C, H', W') -> dx: (N, C, H, W)

    Each window's gradient goes to its first maximum (np.argmax returns the first
    index of the maximum in row-major order); overlapping windows add up.
    """
    x, size, stride = cache
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for i in range(Ho):
        for j in range(Wo):
            rows = slice(i * stride, i * stride + size)
            cols = slice(j * stride, j * stride + size)
            window = x[:, :, rows, cols].reshape(N, C, size * size)
            first_max = window.argmax(axis=2)  # (N, C)
            grad = np.zeros((N, C, size * size), x.dtype)
            np.put_along_axis(grad, first_max[:, :, None], dout[:, :, i, j][:, :, None], axis=2)
            dx[:, :, rows, cols] += grad.reshape(N, C, size, size)
    return dx


# --8<-- [end:backward]
