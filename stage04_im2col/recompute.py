"""Store or recompute? The convolution without keeping its column matrix.

conv_forward keeps the whole column matrix for the backward's dW = cols.T @ dout_mat:
KH * KW = 25 copies of every input value (40 MB per batch of 64 for the CNN's second
conv, 5 MB for the first). These two functions keep only the input x (1.6 MB, a
25th) and copy each block's columns again in the backward, just before the block's
dW product, while they are in the CPU's cache:

    conv_forward_recompute(x, w, b, stride, pad) -> (out, (x, w, stride, pad))
    conv_backward_recompute(dout, cache, need_dx) -> (dx, dw, db), as conv_backward

The price is one more copy of the columns per step; what it buys is memory, and a
dW product on columns that are still in cache instead of read back from memory.
stage04_im2col.benchmark measures both ways; the layers use conv.py's (see the
stage 4 page, "Making it faster").
"""

from __future__ import annotations

import numpy as np

from shared.shapes import check_conv_args
from stage04_im2col import conv
from stage04_im2col.im2col import windows


def column_blocks(x, KH, KW, stride, pad):
    """Yield (block slice, that block's columns as a (images * H' * W', KH * KW * C) matrix),
    conv.CHUNK images at a time, all copied into one reused buffer."""
    win = windows(x, KH, KW, stride, pad)
    buffer = np.empty((min(conv.CHUNK, len(x)), *win.shape[1:]), x.dtype)
    for start in range(0, len(x), conv.CHUNK):
        block = slice(start, start + conv.CHUNK)
        cols = buffer[: len(win[block])]
        cols[...] = win[block]
        yield block, cols.reshape(-1, KH * KW * x.shape[3])


def conv_forward_recompute(x, w, b, stride=1, pad=0):
    """x: (N, H, W, C), w: (F, C, KH, KW), b: (F,) -> out: (N, H', W', F); cache keeps x, not the columns."""
    Ho, Wo = check_conv_args(x.shape, w.shape, stride, pad, channel_axis=3)
    F, _, KH, KW = w.shape
    out = np.empty((len(x), Ho, Wo, F), np.result_type(x, w))
    W_mat = conv.weights_as_matrix(w)
    for block, cols in column_blocks(x, KH, KW, stride, pad):
        np.matmul(cols, W_mat, out=out[block].reshape(-1, F))
    out += b
    return out, (x, w, stride, pad)


def conv_backward_recompute(dout, cache, need_dx=True):
    """dout: (N, H', W', F) -> dx: (N, H, W, C) (None if not need_dx), dw: (F, C, KH, KW), db: (F,)"""
    x, w, stride, pad = cache
    F, C, KH, KW = w.shape
    dw_mat = np.zeros((F, KH * KW * C), np.result_type(dout, x))
    for block, cols in column_blocks(x, KH, KW, stride, pad):
        dw_mat += dout[block].reshape(-1, F).T @ cols  # this block's columns, copied just now
    db = dout.reshape(-1, F).sum(axis=0)
    dx = conv.conv_input_grad(dout, w, x.shape, stride, pad) if need_dx else None
    return dx, dw_mat.reshape(F, KH, KW, C).transpose(0, 3, 1, 2), db
