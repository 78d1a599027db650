"""Stage 1: the math of a fully connected network, as small pure functions.

Each op is a pair, in the style of CS231n:
    op_forward(inputs...) -> (out, cache)
    op_backward(dout, cache) -> gradient for each input
where `dout` is dL/d(out) for the final scalar loss L. Nothing here keeps state,
so every function can be gradient-checked on its own (see tests/).
"""

from __future__ import annotations

import numpy as np


# --8<-- [start:affine]
def affine_forward(x, w, b):
    """out = x @ w + b.

    x: (N, D), w: (D, M), b: (M,) -> out: (N, M)
    """
    out = x @ w + b
    return out, (x, w)


def affine_backward(dout, cache):
    """dout: (N, M) -> dx: (N, D), dw: (D, M), db: (M,)

    From out[n, m] = sum_d x[n, d] w[d, m] + b[m]:
        dx = dout @ w.T      dw = x.T @ dout      db = sum over n of dout
    """
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


# --8<-- [end:affine]


# --8<-- [start:relu]
def relu_forward(x):
    """out = max(x, 0), elementwise. x: any shape -> out: the same shape."""
    out = np.maximum(x, 0)
    return out, out > 0


def relu_backward(dout, cache):
    """The gradient passes where the input was positive and is zero elsewhere."""
    positive = cache
    return dout * positive


# --8<-- [end:relu]


def flatten_forward(x):
    """x: (N, d1, d2, ...) -> out: (N, d1 * d2 * ...), a view when x is contiguous."""
    return x.reshape(len(x), -1), x.shape


def flatten_backward(dout, cache):
    """dout: (N, D) -> dx: the input's original shape."""
    return dout.reshape(cache)


# --8<-- [start:softmax]
def softmax(logits):
    """Class probabilities, row by row: exp(z - max z) / sum exp(z - max z). (N, K) -> (N, K)"""
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of softmax(logits) against integer labels, and its gradient.

    logits: (N, K), y: (N,) ints in [0, K) -> loss: float, dlogits: (N, K)

    log p[n, k] = z[n, k] - log sum_j exp(z[n, j]). Subtracting each row's maximum
    first (log-sum-exp) changes nothing mathematically but keeps exp() from
    overflowing: without it, logits of 1e4 give inf / inf = nan.
    The gradient of the mean loss is (p - onehot(y)) / N.
    """
    n = len(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(n), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    dlogits /= n
    return float(loss), dlogits


# --8<-- [end:softmax]
