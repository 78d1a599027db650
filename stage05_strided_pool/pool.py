"""Stage 5: max pooling without loops over pixels, on channels-last (N, H, W, C).

Two paths, both sending each window's gradient to its FIRST maximum in row-major
order, exactly like stage 3 (and PyTorch):

- Non-overlapping windows (stride == size, H and W divisible by size), the CNN's
  2x2 pools: x.reshape(N, H', size, W', size, C) is a free view in which
  r[:, :, p, :, q, :] is offset (p, q) of every window. A pass over the size*size
  offsets keeps a running maximum and the offset it came from; the strict `>`
  keeps the first of tied maxima.
- Any other size and stride (overlapping windows too): sliding_window_view gives
  every window as a view, (N, H', W', C, size, size), and argmax over the
  flattened window finds the first maximum.

Backward never uses np.add.at: one strided write (or +=, where windows overlap)
per window offset, of the upstream gradient where that offset won.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from shared.shapes import check_pool_args


def is_tiling(shape, size, stride):
    """True when the windows tile the input exactly: no overlap, no leftover rows or columns."""
    return stride == size and shape[1] % size == 0 and shape[2] % size == 0


# --8<-- [start:forward]
def maxpool_forward(x, size=2, stride=2):
    """x: (N, H, W, C) -> out: (N, H', W', C), H' = (H - size) // stride + 1.

    cache holds the winning offset of every window, one uint8 per output value.
    """
    Ho, Wo = check_pool_args(x.shape, size, stride, spatial_axes=(1, 2))
    N, _, _, C = x.shape
    if is_tiling(x.shape, size, stride):
        r = x.reshape(N, Ho, size, Wo, size, C)
        out = r[:, :, 0, :, 0, :].copy()
        winner = np.zeros(out.shape, np.uint8)
        for k in range(1, size * size):
            candidate = r[:, :, k // size, :, k % size, :]
            greater = candidate > out  # strict: a tie keeps the earlier offset
            np.maximum(out, candidate, out=out)
            winner += greater * (k - winner)  # = where(greater, k, winner), faster than a mask
    else:
        windows = sliding_window_view(x, (size, size), axis=(1, 2))[:, ::stride, ::stride]
        windows = windows.reshape(N, Ho, Wo, C, size * size)  # copies the windows
        winner = windows.argmax(axis=-1).astype(np.uint8)  # argmax returns the first maximum
        out = np.take_along_axis(windows, winner[..., None], axis=-1)[..., 0]
    return out, (x.shape, size, stride, winner)


# --8<-- [end:forward]


# --8<-- [start:backward]
def maxpool_backward(dout, cache):
    """dout: (N, H', W', C) -> dx: (N, H, W, C)"""
    x_shape, size, stride, winner = cache
    N, Ho, Wo, C = dout.shape
    if is_tiling(x_shape, size, stride):
        dx = np.empty(x_shape, dout.dtype)
        r = dx.reshape(N, Ho, size, Wo, size, C)
        for k in range(size * size):
            # every dx entry is written once, by the k of its place in the window
            np.multiply(dout, winner == k, out=r[:, :, k // size, :, k % size, :])
        return dx
    dx = np.zeros(x_shape, dout.dtype)
    for k in range(size * size):
        p, q = divmod(k, size)
        dx[:, p : p + stride * Ho : stride, q : q + stride * Wo : stride, :] += dout * (winner == k)
    return dx


# --8<-- [end:backward]
