"""A convolution layer around the naive functions, with stage 1's layer interface."""

from __future__ import annotations

import numpy as np

from stage01_fc.layers import Layer, he_normal
from stage02_naive_conv.conv import conv_backward_naive, conv_forward_naive


class Conv2DNaive(Layer):
    """x: (N, C, H, W) -> out: (N, F, H', W'), weights W: (F, C, KH, KW), bias b: (F,)."""

    def __init__(self, c_in, c_out, kernel, rng, stride=1, pad=0, dtype=np.float32):
        super().__init__()
        fan_in = c_in * kernel * kernel
        self.params = {"W": he_normal((c_out, c_in, kernel, kernel), fan_in, rng, dtype), "b": np.zeros(c_out, dtype)}
        self.stride, self.pad = stride, pad

    def forward(self, x, train=True):
        out, cache = conv_forward_naive(x, self.params["W"], self.params["b"], self.stride, self.pad)
        self._keep(cache, train)
        return out

    def backward(self, dout):
        dx, self.grads["W"], self.grads["b"] = conv_backward_naive(dout, self._cached())
        return dx
