"""Stage 8: batch normalization (Ioffe & Szegedy, 2015) for channels-last activations.

Every activation here keeps its channels (or features) on the last axis: conv
outputs are (N, H, W, C), dense features (N, C). Batch norm normalizes each
channel over everything else, the M = N * H * W values of the batch that share it:

    mu = mean(x)     var = mean((x - mu)^2)          over the M values of a channel
    xhat = (x - mu) / sqrt(var + eps)
    out = gamma * xhat + beta                         gamma, beta: (C,), learned

In training the statistics are the batch's own; at inference the running averages
collected during training are used instead, so one image's prediction does not
depend on which other images share its batch. PyTorch's convention for those:

    running_mean = (1 - momentum) * running_mean + momentum * mu
    running_var  = (1 - momentum) * running_var  + momentum * var * M / (M - 1)

(the running variance takes the unbiased estimate; the normalization uses the
biased one). The pure functions below return the batch statistics and leave the
running averages to the layer (layers.py).
"""

from __future__ import annotations

import numpy as np


def channel_sum(x):
    """x: (..., C) -> (C,), each channel summed over its M = x.size / C values.

    The same as x.sum(axis=(0, ..., ndim - 2)), written as a product with a row of
    ones: (M,) @ (M, C). NumPy's sum over leading axes walks the (M, C) array in short
    rows of C values and runs about ten times slower here than BLAS's matrix-vector
    product, and batch norm needs four of these sums per step.
    """
    rows = x.reshape(-1, x.shape[-1])
    return np.ones(len(rows), x.dtype) @ rows


# --8<-- [start:forward]
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Training mode. x: (..., C), gamma: (C,), beta: (C,) -> out: x's shape, cache

    The cache also holds the batch mean and (biased) variance, (C,) each, for the
    running averages.
    """
    M = x.size // x.shape[-1]
    mu = channel_sum(x) / M
    xc = x - mu
    var = channel_sum(np.square(xc)) / M
    inv_std = 1.0 / np.sqrt(var + eps)
    xhat = xc * inv_std
    out = xhat * gamma + beta
    return out, (xhat, inv_std, gamma, mu, var)


# --8<-- [end:forward]


# --8<-- [start:backward]
def batchnorm_backward(dout, cache):
    """Training mode. dout: (..., C) -> dx: dout's shape, dgamma: (C,), dbeta: (C,)

    With g = dout * gamma (the gradient reaching xhat) and means over a channel's M values,

        dx = inv_std * (g - mean(g) - xhat * mean(g * xhat))

    three terms: the direct path through xhat, the path through the mean (every x
    moves mu), and the path through the variance (every x moves var). The two means
    are the parameter gradients again: mean(g) = gamma * dbeta / M and
    mean(g * xhat) = gamma * dgamma / M, so the code reuses them instead of summing
    twice more. docs/stage08.md derives it step by step.
    """
    xhat, inv_std, gamma, _, _ = cache
    M = dout.size // dout.shape[-1]
    dbeta = channel_sum(dout)
    dgamma = channel_sum(dout * xhat)
    dx = (gamma * inv_std) * (dout - dbeta / M - xhat * (dgamma / M))
    return dx, dgamma, dbeta


# --8<-- [end:backward]


def batchnorm_eval_forward(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Inference mode. x: (..., C) -> out: x's shape, normalized with the running statistics.

    A fixed per-channel affine map, out = x * scale + shift, which costs one
    multiply and one add per value.
    """
    scale = gamma / np.sqrt(running_var + eps)
    return x * scale.astype(x.dtype) + (beta - running_mean * scale).astype(x.dtype)
