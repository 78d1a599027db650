"""Stage 4: Winograd's minimal filtering, a convolution with fewer multiplies than im2col's.

One output row of a 1-D correlation with a 5-tap kernel g costs 5 multiplies per
output. Winograd (1980) computes m outputs at once, F(m, r), with n = m + r - 1
multiplies instead of m * r:

    y = A^T [ (G g) * (B^T d) ]      d: n inputs, g: r taps, y: m outputs, *: elementwise

It is polynomial multiplication in disguise (Toom-Cook). Multiplying polynomials of
degree m-1 and r-1 gives one of degree n-1, which is fixed by its values at n
points; at each point the product is ONE multiply of two values. G evaluates the
kernel at the points, B^T and A^T do the rest with additions and multiplies by
small constants. `toom_cook` builds the three matrices exactly, in fractions,
from the points 0, 1, -1, 2, -2, ... and infinity (which picks the top coefficient).

In 2-D the transforms apply along both axes, Y = A^T [ (G g G^T) * (B^T d B) ] A:
an m x m output tile from an n x n input tile with n * n multiplies per pair of
channels. For the CNN's 5x5 kernels and m = 2: 36 instead of 2 * 2 * 25 = 100.
Summed over input channels c, the elementwise products become n * n matrix
products, one per tile element e (P tiles, C channels, F filters):

    V[e] = transformed input tiles   (P, C)
    U[e] = transformed kernels       (C, F)      once per forward pass, shared by all tiles
    M[e] = V[e] @ U[e]               (P, F)      the only multiplies that grow with C * F
    Y    = A^T M A                   m x m outputs for each of the P tiles and F filters

The transforms are matrix products too, two per transform (`along_both_axes`): one
along each axis of the tile, for every tile and channel at once.

Backward is the same computation transposed: every step is linear, so its
gradient is the step's transpose applied in reverse order (dM = A dY A^T, then
dU = V^T dM and dV = dM U^T, then dd = B dV B^T added back onto the overlapping
input tiles, as col2im adds columns). It is exact, and the gradient checks test it.

The price is rounding: the transforms multiply by fractions and add many terms,
so float32 results drift further from the exact convolution than im2col's; the
stage 4 page measures how far, and what it buys in time.
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache
from math import lcm

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from shared.shapes import check_conv_args

POINTS = (0, 1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2), 3, -3)
TILE = 4  # m: outputs per tile along each axis, F(4x4, 5x5) for the CNN (stage 4's page compares m)
CHUNK = 2  # images per block: the size that measured fastest for the CNN's second conv


def inverse(matrix):
    """The exact inverse of a square matrix of Fractions (Gauss-Jordan)."""
    n = len(matrix)
    rows = [list(row) + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        rows[col] = [v / rows[col][col] for v in rows[col]]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                rows[r] = [a - rows[r][col] * b for a, b in zip(rows[r], rows[col])]
    return [row[n:] for row in rows]


# --8<-- [start:toom_cook]
@cache
def toom_cook(m, r):
    """F(m, r)'s exact matrices as tuples of Fractions: A^T (m, n), G (n, r), B^T (n, n).

    Row j of an "evaluation" matrix holds the powers p_j^0, p_j^1, ... of point j, so
    it maps a polynomial's coefficients to its value at p_j; the last row stands for
    infinity and picks the top coefficient. With E_k = evaluation(k), polynomial
    multiplication is coefficients = E_n^-1 [(E_r g) * (E_m h)], and its transpose is
    the correlation: A^T = E_m^T, G = E_r, B^T = (E_n^-1)^T. Each row j of B^T is then
    scaled to integers and row j of G divided by the same factor.
    """
    n = m + r - 1
    if n - 1 > len(POINTS):
        have = len(POINTS)
        raise ValueError(f"F({m}, {r}) needs {n - 1} points besides infinity; POINTS has {have}: add more")
    points = [Fraction(p) for p in POINTS[: n - 1]]
    if len(set(points)) < len(points):
        names = [str(p) for p in points]
        raise ValueError(f"F({m}, {r}) needs distinct points, got {names}: fix POINTS")

    def evaluation(cols):
        top = [Fraction(int(k == cols - 1)) for k in range(cols)]
        return [[p**k for k in range(cols)] for p in points] + [top]

    AT = [list(row) for row in zip(*evaluation(m))]
    G = evaluation(r)
    BT = [list(row) for row in zip(*inverse(evaluation(n)))]
    for j, row in enumerate(BT):
        scale = lcm(*(v.denominator for v in row))
        BT[j] = [v * scale for v in row]
        G[j] = [v / scale for v in G[j]]
    return tuple(map(tuple, AT)), tuple(map(tuple, G)), tuple(map(tuple, BT))


# --8<-- [end:toom_cook]


def matrices(m, r, dtype):
    """F(m, r)'s A^T, G and B^T as arrays of `dtype`."""
    return tuple(np.array(a, dtype=np.float64).astype(dtype) for a in toom_cook(m, r))


# --8<-- [start:along_both_axes]
def along_both_axes(Lh, Lw, t):
    """t: (kh, kw, ...) -> (jh, jw, ...): Lh (jh, kh) along the first axis, Lw (jw, kw) along the second.

    This is L t L^T for every trailing index at once, in two matrix products:
    what kron(Lh, Lw) @ t.reshape(kh * kw, -1) gives, with a fraction of its multiplies.
    """
    (jh, kh), kw = Lh.shape, Lw.shape[1]
    half = (Lh @ t.reshape(kh, -1)).reshape(jh, kw, -1)  # along the first axis
    return np.matmul(Lw, half)  # along the second: one (jw, kw) @ (kw, rest) product per row jh


# --8<-- [end:along_both_axes]


def check_stride(stride):
    """The tiles here step by their own size: refuse any other stride, with what to use instead."""
    if stride != 1:
        raise ValueError(f"Winograd's tiles here are for stride 1, got stride {stride}: use conv_forward (im2col)")


def tiles(Ho, Wo, m=TILE):
    """How many m x m output tiles cover an Ho x Wo output: (rows of tiles, columns of tiles)."""
    return -(-Ho // m), -(-Wo // m)


def padded_size(tiles_along, n, m):
    """Rows (or columns) of zero-padded input that `tiles_along` tiles of n read, rounded up to a multiple of m."""
    return (tiles_along - 1 + -(-n // m)) * m


# --8<-- [start:forward]
def winograd_forward(x, w, b, stride=1, pad=0, m=TILE):
    """x: (N, H, W, C), w: (F, C, KH, KW), b: (F,) -> out: (N, H', W', F), for stride 1 only.

    cache holds the transformed input V: (nh, nw, N * tiles, C), 8 * 8 * 16 * 32 floats
    per image for the CNN's second conv (131 KB in float32, against im2col's 627 KB).
    """
    check_stride(stride)
    Ho, Wo = check_conv_args(x.shape, w.shape, 1, pad, channel_axis=3)
    N, H, W, C = x.shape
    F, _, KH, KW = w.shape
    dtype = np.result_type(x, w)
    (ATh, Gh, BTh), (ATw, Gw, BTw) = matrices(m, KH, dtype), matrices(m, KW, dtype)
    nh, nw = m + KH - 1, m + KW - 1
    th, tw = tiles(Ho, Wo, m)
    T = th * tw  # tiles per image
    # zero-pad, and further at the bottom and right so that the last tiles are whole
    x_pad = np.zeros_like(x, dtype, shape=(N, padded_size(th, nh, m), padded_size(tw, nw, m), C))
    x_pad[:, pad : pad + H, pad : pad + W] = x
    d_all = sliding_window_view(x_pad, (nh, nw), axis=(1, 2), subok=True)[
        :, : th * m : m, : tw * m : m
    ]  # (N, th, tw, C, nh, nw)
    U = along_both_axes(Gh, Gw, w.transpose(2, 3, 1, 0)).reshape(nh * nw, C, F)  # G g G^T, every (c, f)
    V = np.empty((nh, nw, N * T, C), dtype)
    out = np.empty((N, Ho, Wo, F), dtype)
    for start in range(0, N, CHUNK):  # a few images at a time, so that every step works in cache
        block = slice(start, start + CHUNK)
        n = len(out[block])
        d = d_all[block].transpose(4, 5, 0, 1, 2, 3)  # (nh, nw, n, th, tw, C): the block's tiles, a view
        Vb = V[:, :, start * T : (start + n) * T]
        Vb[...] = along_both_axes(BTh, BTw, d.copy()).reshape(Vb.shape)  # B^T d B; d.copy(): in a row
        M = Vb.reshape(nh * nw, n * T, C) @ U  # (nh*nw, tiles, F): elementwise products, summed over C
        Y = along_both_axes(ATh, ATw, M).reshape(m, m, n, th, tw, F)  # A^T M A: every tile's outputs
        out[block] = Y.transpose(2, 3, 0, 4, 1, 5).reshape(n, th * m, tw * m, F)[:, :Ho, :Wo]
    out += b
    return out, (V, U, x.shape, w.shape, pad, m)


# --8<-- [end:forward]


# --8<-- [start:backward]
def winograd_backward(dout, cache, need_dx=True):
    """dout: (N, H', W', F) -> dx: (N, H, W, C) (None if not need_dx), dw: (F, C, KH, KW), db: (F,)

    Every forward step transposed, in reverse order.
    """
    V, U, (N, H, W, C), (F, _, KH, KW), pad, m = cache
    dtype = dout.dtype
    (ATh, Gh, BTh), (ATw, Gw, BTw) = matrices(m, KH, dtype), matrices(m, KW, dtype)
    nh, nw = m + KH - 1, m + KW - 1
    _, Ho, Wo, _ = dout.shape
    th, tw = tiles(Ho, Wo, m)
    T = th * tw
    db = dout.reshape(-1, F).sum(axis=0)
    dY_all = np.zeros_like(dout, shape=(N, th * m, tw * m, F))  # whole tiles; the cropped outputs get 0
    dY_all[:, :Ho, :Wo] = dout
    dU = np.zeros((nh * nw, C, F), dtype)
    sh, sw = -(-nh // m), -(-nw // m)  # a tile spans sh x sw blocks of m x m input pixels
    dx_pad = np.zeros((N, th - 1 + sh, m, tw - 1 + sw, m, C), dtype) if need_dx else None
    for start in range(0, N, CHUNK):
        block = slice(start, start + CHUNK)
        n = len(dY_all[block])
        dY = dY_all[block].reshape(n, th, m, tw, m, F).transpose(2, 4, 0, 1, 3, 5)  # (m, m, n, th, tw, F)
        dM = along_both_axes(ATh.T, ATw.T, dY.copy()).reshape(nh * nw, n * T, F)  # A dY A^T
        dU += V[:, :, start * T : (start + n) * T].reshape(nh * nw, n * T, C).transpose(0, 2, 1) @ dM
        if need_dx:
            dV = dM @ U.transpose(0, 2, 1)  # (nh*nw, tiles, C)
            dd = along_both_axes(BTh.T, BTw.T, dV).reshape(nh, nw, n, th, tw, C)  # B dV B^T
            # tile (i, j) read pixels (i*m + a, j*m + b): add dd[a, b] back there, m x m offsets at a time
            for s in range(sh):
                for t in range(sw):
                    part = dd[s * m : (s + 1) * m, t * m : (t + 1) * m]  # (<= m, <= m, n, th, tw, C)
                    target = dx_pad[block, s : s + th, : len(part), t : t + tw, : part.shape[1]]
                    target += part.transpose(2, 3, 0, 4, 1, 5)
    dw = along_both_axes(Gh.T, Gw.T, dU.reshape(nh, nw, C * F))  # G^T dU G
    dw = dw.reshape(KH, KW, C, F).transpose(3, 2, 0, 1)
    if not need_dx:
        return None, dw, db
    dx_pad = dx_pad.reshape(N, (th - 1 + sh) * m, (tw - 1 + sw) * m, C)
    return dx_pad[:, pad : pad + H, pad : pad + W], dw, db


# --8<-- [end:backward]
