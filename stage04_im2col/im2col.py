"""Stage 4: im2col, which turns a convolution into one matrix multiply, and col2im.

Activations here are channels-last, (N, H, W, C) ("NHWC"); see conv.py for why.

im2col copies the window under every output pixel into one row of a matrix:

    cols[(n, i, j), (p, q, c)] = x_pad[n, i*s + p, j*s + q, c]

so that a row times the flattened kernel is one output value, and the whole
convolution is cols @ W_mat, with W_mat[(p, q, c), f] = w[f, c, p, q].

Worked example: one 3x3 single-channel image, a 2x2 kernel, stride 1, no padding,
gives a 2x2 output and a 4x4 column matrix, one row per output pixel:

    x = 1 2 3        cols = 1 2 4 5     (window under output (0, 0))
        4 5 6               2 3 5 6     (0, 1)
        7 8 9               4 5 7 8     (1, 0)
                            5 6 8 9     (1, 1)

Each input value appears in up to KH*KW rows, which is what col2im undoes: it
adds every row's entries back onto the pixels they were copied from.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from shared.shapes import conv_output_size


def pad_hw(x, pad):
    """Zero-pad the two spatial axes of an (N, H, W, C) array."""
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad), (0, 0))) if pad else x


# --8<-- [start:im2col]
def windows(x, KH, KW, stride=1, pad=0):
    """x: (N, H, W, C) -> a view (N, H', W', KH, KW, C); windows[n, i, j]: the window of output (i, j)

    sliding_window_view makes a view of every KHxKW window without copying;
    [::stride] keeps every stride-th window, and the transpose puts (p, q, c) last.
    """
    view = sliding_window_view(pad_hw(x, pad), (KH, KW), axis=(1, 2))[:, ::stride, ::stride]
    return view.transpose(0, 1, 2, 4, 5, 3)


def im2col(x, KH, KW, stride=1, pad=0):
    """x: (N, H, W, C) -> cols: (N * H' * W', KH * KW * C)

    reshape copies the windows into one contiguous matrix: the only copy, with no
    Python loop over images or pixels.
    """
    return windows(x, KH, KW, stride, pad).reshape(-1, KH * KW * x.shape[3])


# --8<-- [end:im2col]


# --8<-- [start:one_channel]
def im2col_one_channel(x, KH, KW, stride=1, pad=0):
    """x: (N, H, W, 1) -> cols: (N * H' * W', KH * KW), im2col's matrix, stored transposed.

    With one channel, every row of im2col's matrix is KH runs of only KW values, and
    the copy crawls. Column (p, q) of the matrix is the padded image shifted by
    (p, q): KH * KW plain copies of whole images, each one row of cols.T. cols is
    their transpose, a view that BLAS reads as a transposed operand, without a copy.
    """
    N, H, W, _ = x.shape
    Ho, Wo = conv_output_size(H, KH, stride, pad), conv_output_size(W, KW, stride, pad)
    x_pad = pad_hw(x, pad)[..., 0]
    cols_T = np.empty((KH, KW, N, Ho, Wo), x.dtype)
    for p in range(KH):
        for q in range(KW):
            cols_T[p, q] = x_pad[:, p : p + stride * Ho : stride, q : q + stride * Wo : stride]
    return cols_T.reshape(KH * KW, -1).T


# --8<-- [end:one_channel]


# --8<-- [start:col2im]
def col2im(dcols, x_shape, KH, KW, stride=1, pad=0):
    """dcols: (N * H' * W', KH * KW * C) -> dx: x_shape = (N, H, W, C)

    The adjoint of im2col: each column entry is added back onto the input pixel it
    was copied from. One strided += per kernel offset (p, q) covers all images and
    output pixels at once (no np.add.at, which is slow).
    """
    N, H, W, C = x_shape
    Ho, Wo = conv_output_size(H, KH, stride, pad), conv_output_size(W, KW, stride, pad)
    d = dcols.reshape(N, Ho, Wo, KH, KW, C)
    dx_pad = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dcols.dtype)
    for p in range(KH):
        for q in range(KW):
            rows, cols = slice(p, p + stride * Ho, stride), slice(q, q + stride * Wo, stride)
            dx_pad[:, rows, cols, :] += d[:, :, :, p, q, :]
    return dx_pad[:, pad : pad + H, pad : pad + W, :]


# --8<-- [end:col2im]
