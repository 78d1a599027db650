"""Stage 2: 2-D convolution written as explicit loops, the readable reference.

Like every deep-learning framework, this computes a cross-correlation: the kernel
slides over the input without being flipped,

    out[n, f, i, j] = b[f] + sum_{c, p, q} x_pad[n, c, i*s + p, j*s + q] * w[f, c, p, q]

Layout is NCHW for activations and (F, C, KH, KW) for weights, as in PyTorch.
Every faster version in later stages is tested against these loops.
"""

from __future__ import annotations

import numpy as np


def conv_output_size(size, kernel, stride, pad):
    """Output length along one axis: floor((size + 2 pad - kernel) / stride) + 1."""
    return (size + 2 * pad - kernel) // stride + 1


def check_conv_args(x_shape, w_shape, stride, pad, channel_axis=1):
    """Raise a clear ValueError for a configuration that cannot be computed.

    x_shape: the input's shape, channels at `channel_axis`; w_shape: (F, C, KH, KW).
    Returns the output's spatial size (H', W').
    """
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(f"conv needs a 4-D input and 4-D weights (F, C, KH, KW); got {x_shape} and {w_shape}")
    if stride < 1 or pad < 0:
        raise ValueError(f"stride must be >= 1 and pad >= 0; got stride={stride}, pad={pad}")
    _, c, kh, kw = w_shape
    if x_shape[channel_axis] != c:
        raise ValueError(f"input has {x_shape[channel_axis]} channels but the weights expect {c}")
    h, w = (x_shape[2], x_shape[3]) if channel_axis == 1 else (x_shape[1], x_shape[2])
    if kh > h + 2 * pad or kw > w + 2 * pad:
        raise ValueError(f"kernel {kh}x{kw} is larger than the padded input {h + 2 * pad}x{w + 2 * pad}")
    return conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)


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
