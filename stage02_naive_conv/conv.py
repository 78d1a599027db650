"""Stage 2: 2-D convolution written as explicit loops, the readable reference.

Like every deep-learning framework, this computes a cross-correlation: the kernel
slides over the input without being flipped,

    out[n, f, i, j] = b[f] + sum_{c, p, q} x_pad[n, c, i*s + p, j*s + q] * w[f, c, p, q]

Layout is NCHW for activations and (F, C, KH, KW) for weights, as in PyTorch.
Every faster version in later stages is tested against these loops.
"""

from __future__ import annotations

import numpy as np

from shared.shapes import check_conv_args


# --8<-- [start:forward]
def conv_forward_naive(x, w, b, stride=1, pad=0):
    """x: (N, C, H, W), w: (F, C, KH, KW), b: (F,) -> out: (N, F, H', W')

    H' = (H + 2 pad - KH) // stride + 1, and likewise W'.
    """
    Ho, Wo = check_conv_args(x.shape, w.shape, stride, pad)
    N, F, KH, KW = len(x), len(w), w.shape[2], w.shape[3]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :, i * stride : i * stride + KH, j * stride : j * stride + KW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, stride, pad)


# --8<-- [end:forward]


# --8<-- [start:backward]
def conv_backward_naive(dout, cache):
    """dout: (N, F, H', W') -> dx: (N, C, H, W), dw: (F, C, KH, KW), db: (F,)

    Each output element used one window of x and all of w[f], so it sends
    dout * w[f] back to that window and dout * window back to w[f].
    """
    x, w, stride, pad = cache
    N, F, Ho, Wo = dout.shape
    KH, KW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    rows = slice(i * stride, i * stride + KH)
                    cols = slice(j * stride, j * stride + KW)
                    dx_pad[n, :, rows, cols] += dout[n, f, i, j] * w[f]
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, rows, cols]
    db = dout.sum(axis=(0, 2, 3))
    dx = dx_pad[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]]
    return dx, dw, db


# --8<-- [end:backward]
