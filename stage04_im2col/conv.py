"""Stage 4: convolution as matrix multiplies, on channels-last activations.

Why channels-last, (N, H, W, C)? The forward product cols @ W_mat has one row per
output pixel (n, i, j) and one column per filter f: it already IS the output in
(N, H', W', F) order, so a reshape (free) finishes the layer, and the next
layer's im2col reads channels as contiguous runs. In NCHW every layer would need
a transpose copy of its output: a pass over memory on top of the products.
Weights keep PyTorch's (F, C, KH, KW) layout; reshaping them costs little.

Backward, with dout_mat = dout reshaped to (N * H' * W', F):
    db = column sums of dout_mat
    dW = cols.T @ dout_mat                     (reshaped back to (F, C, KH, KW))
    dx = col2im(dout_mat @ W_mat.T)            textbook: a big (N H' W', KH KW C) matrix
We compute dx without that big matrix (conv_input_grad): the input gradient is
itself a convolution of dout with the kernel reversed, and we compute it one
kernel row at a time, KH products added straight into place.

Both passes work on blocks of CHUNK images: a product's operands are fastest to
read while they are still in the CPU's cache (a few MB), so each block's windows
are copied and multiplied at once. CHUNK is the size that measured fastest on the
CNN's second conv; stage04_im2col.benchmark compares it with one block for the
whole batch.
"""

from __future__ import annotations

import numpy as np

from shared.shapes import check_conv_args
from stage04_im2col.im2col import im2col_one_channel, windows

CHUNK = 8  # images per block: 5 MB of columns for the CNN's second conv


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
    F, C, KH, KW = w.shape
    W_mat = weights_as_matrix(w)
    if C == 1:  # one input channel: the columns in KH * KW copies of shifted images, one product
        cols = im2col_one_channel(x, KH, KW, stride, pad)
        out = (cols @ W_mat).reshape(len(x), Ho, Wo, F)
    else:
        win = windows(x, KH, KW, stride, pad)  # a view, no copy yet
        cols = np.empty(win.shape, x.dtype)  # (N, H', W', KH, KW, C): im2col's matrix, unflattened
        out = np.empty((len(x), Ho, Wo, F), np.result_type(x, w))
        for start in range(0, len(x), CHUNK):  # copy a few images' windows, multiply them while in cache
            block = slice(start, start + CHUNK)
            cols[block] = win[block]
            np.matmul(cols[block].reshape(-1, KH * KW * C), W_mat, out=out[block].reshape(-1, F))
        cols = cols.reshape(-1, KH * KW * C)
    out += b
    return out, (cols, x.shape, w, stride, pad)


# --8<-- [end:forward]


# --8<-- [start:backward]
def conv_backward(dout, cache, need_dx=True):
    """dout: (N, H', W', F) -> dx: (N, H, W, C) (None if not need_dx), dw: (F, C, KH, KW), db: (F,)

    need_dx=False skips the input gradient, for a first layer whose input is data.
    """
    cols, x_shape, w, stride, pad = cache
    F, C, KH, KW = w.shape
    dout_mat = dout.reshape(-1, F)
    db = dout_mat.sum(axis=0)
    dw = (dout_mat.T @ cols).reshape(F, KH, KW, C).transpose(0, 3, 1, 2)
    dx = conv_input_grad(dout, w, x_shape, stride, pad) if need_dx else None
    return dx, dw, db


# --8<-- [end:backward]


# --8<-- [start:input_grad]
def conv_input_grad(dout, w, x_shape, stride, pad):
    """dout: (N, H', W', F), w: (F, C, KH, KW) -> dx: (N, H, W, C)

    Output pixel (i, j) sends dout[n, i, j] @ w[:, :, p, q] to padded input pixel
    (i*stride + p, j*stride + q). Fix a kernel row p: along the width this is a 1-D
    "full" convolution. `spread` puts dout[:, :, j] at column j*stride + KW - 1 with
    zeros around it, so the KW-wide window of spread starting at column x (im2col's
    windows, one row high) holds, q reversed, every gradient that reaches column x.
    One matrix of those windows (KW * F values per input pixel) times kernel row p,
    reversed, gives everything row p sends. All KH kernel rows side by side make one
    product with KH * C columns (a wider product runs faster than KH narrow ones);
    its KH slices are added into place, instead of col2im.
    """
    N, H, W, C = x_shape
    F, _, KH, KW = w.shape
    _, Ho, Wo, _ = dout.shape
    spread = np.zeros((N, Ho, W + 2 * pad + KW - 1, F), dout.dtype)
    spread[:, :, KW - 1 : KW - 1 + stride * Wo : stride] = dout
    strips = windows(spread, 1, KW)[:, :, pad : pad + W]  # (N, H', W, 1, KW, F), a view
    # w_rows[:, p, :]: kernel row p as a ((q reversed, f), c) matrix; all rows as ((q, f), (p, c))
    w_rows = w[:, :, :, ::-1].transpose(3, 0, 2, 1).reshape(KW * F, KH * C)
    dx_rows = np.zeros((N, H + 2 * pad, W, C), dout.dtype)  # padded in height only
    for start in range(0, N, CHUNK):  # a block of images at a time, to stay in cache
        strip_mat = strips[start : start + CHUNK].reshape(-1, KW * F)  # copies this block's windows
        dx_block = dx_rows[start : start + CHUNK]
        sent = (strip_mat @ w_rows).reshape(len(dx_block), Ho, W, KH, C)  # sent[..., p, :]: what row p sends
        for p in range(KH):
            dx_block[:, p : p + stride * Ho : stride] += sent[:, :, :, p]  # onto input row i*stride + p
    return dx_rows[:, pad : pad + H]


# --8<-- [end:input_grad]
