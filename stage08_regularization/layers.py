"""Batch norm and dropout as layers with stage 1's interface; both behave differently in
training (train=True) and at inference (train=False), and every model passes that flag on."""

from __future__ import annotations

import numpy as np

from stage01_fc.layers import Layer
from stage08_regularization.batchnorm import batchnorm_backward, batchnorm_eval_forward, batchnorm_forward
from stage08_regularization.dropout import dropout_backward, dropout_forward


class BatchNorm(Layer):
    """x: (..., C) -> out: x's shape. Params gamma, beta: (C,); buffers running_mean, running_var: (C,).

    Training normalizes with the batch's statistics and updates the running averages
    with PyTorch's convention (momentum 0.1, unbiased running variance); inference
    uses the running averages. Works for conv activations (N, H, W, C) and dense
    features (N, C) alike: PyTorch's BatchNorm2d and BatchNorm1d.
    """

    def __init__(self, channels, dtype=np.float32, momentum=0.1, eps=1e-5):
        super().__init__()
        self.params = {"gamma": np.ones(channels, dtype), "beta": np.zeros(channels, dtype)}
        self.buffers = {"running_mean": np.zeros(channels, dtype), "running_var": np.ones(channels, dtype)}
        self.momentum, self.eps = momentum, eps

    def forward(self, x, train=True):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not train:
            self.cache = None
            return batchnorm_eval_forward(x, gamma, beta, **self.buffers, eps=self.eps)
        out, self.cache = batchnorm_forward(x, gamma, beta, self.eps)
        _, _, _, mu, var = self.cache
        m, count = self.momentum, x.size // x.shape[-1]
        self.buffers["running_mean"] *= 1 - m
        self.buffers["running_mean"] += m * mu
        self.buffers["running_var"] *= 1 - m
        self.buffers["running_var"] += m * var * (count / max(count - 1, 1))
        return out

    def buffer_problem(self):
        negative = np.flatnonzero(self.buffers["running_var"] < 0)
        if negative.size:
            return f"running_var is negative in channel {negative[0]}: a variance is never below 0"
        return None

    def backward(self, dout):
        dx, self.grads["gamma"], self.grads["beta"] = batchnorm_backward(dout, self._cached())
        return dx


class Dropout(Layer):
    """x: any shape -> out: x's shape. Drops each value with probability p in training
    (masks drawn from the Generator `rng`); the identity at inference."""

    def __init__(self, p, rng):
        super().__init__()
        self.p, self.rng = p, rng

    def forward(self, x, train=True):
        if not train:
            self.cache = None
            return x
        out, self.cache = dropout_forward(x, self.p, self.rng)
        return out

    def backward(self, dout):
        return dropout_backward(dout, self._cached())
