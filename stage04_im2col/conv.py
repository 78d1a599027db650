"""Stage 4: convolution as matrix multiplies, on channels-last activations.

Why channels-last, (N, H, W, C)? The forward product cols @ W_mat has one row per
output pixel (n, i, j) and one column per filter f: it already IS the output in
(N, H', W', F) order, so a reshape (free) finishes the layer, and the next
layer's im2col reads channels as contiguous runs. In NCHW every layer would need
a transpose copy of its output, and copies, not multiplies, dominate here.
Weights keep PyTorch's (F, C, KH, KW) layout; reshaping them costs little.

Backward, with dout_mat = dout reshaped to (N * H' * W', F):
    db = column sums of dout_mat
    dW = cols.T @ dout_mat                     (reshaped back to (F, C, KH, KW))
    dx = col2im(dout_mat @ W_mat.T)            textbook: a big (N H' W', KH KW C) matrix
We compute dx without that big matrix: for each kernel offset (p, q), the pixels
it touched get dout_mat @ w[:, :, p, q], an (N H' W', C) product, added straight
into place. Same arithmetic, a fraction of the memory traffic.
"""

from __future__ import annotations

import numpy as np

from stage02_naive_conv.conv import check_conv_args
from stage04_im2col.im2col import im2col


def weights_as_matrix(w):
    """w: (F, C, KH, KW) -> W_mat: (KH * KW * C, F), rows in im2col's (p, q, c) order."""
    F = w.shape[0]
    return w.transpose(2, 3, 1, 0).reshape(-1, F)


# --8<-- [start:forward]
def conv_forward(x, w, b, stride=1, pad=0):
    """x: (N, H, W, C), w: (F, C, KH, KW), b: (F,) -> out: (N, H', W', F)

    cache holds the column matrix: H' * W' * KH * KW * C values per image (for the
    CNN's second conv, 14 * 14 * 5 * 5 * 32 floats = 627 KB per image in float32).
    """
    Ho, Wo = check_conv_args(x.shape, w.shape, stride, pad, channel_axis=3)
    F, _, KH, KW = w.shape
    cols = im2col(x, KH, KW, stride, pad)
    out = cols @ weights_as_matrix(w)
    out += b
    return out.reshape(len(x), Ho, Wo, F), (cols, x.shape, w, stride, pad)


# --8<-- [end:forward]


# --8<-- [start:backward]
def conv_backward(dout, cache, need_dx=True):
    """dout: (N, H', W', F) -> dx: (N, H, W, C) (None if not need_dx), dw: (F, C, KH, KW), db: (F,)

    need_dx=False skips the input gradient, for a first layer whose input is data.
    """
    cols, x_shape, w, stride, pad = cache
    N, H, W, C = x_shape
    F, _, KH, KW = w.shape
    _, Ho, Wo, _ = dout.shape
    dout_mat = dout.reshape(-1, F)
    db = dout_mat.sum(axis=0)
    dw = (cols.T @ dout_mat).reshape(KH, KW, C, F).transpose(3, 2, 0, 1)
    if not need_dx:
        return None, dw, db
    dx_pad = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dout.dtype)
    for p in range(KH):
        for q in range(KW):
            touched = dx_pad[:, p : p + stride * Ho : stride, q : q + stride * Wo : stride, :]
            touched += (dout_mat @ w[:, :, p, q]).reshape(N, Ho, Wo, C)
    return dx_pad[:, pad : pad + H, pad : pad + W, :], dw, db


# --8<-- [end:backward]
