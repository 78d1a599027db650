"""A fast convolution layer (channels-last) with stage 1's layer interface."""

from __future__ import annotations

import numpy as np

from stage01_fc.layers import Layer, he_normal
from stage04_im2col.conv import conv_backward, conv_forward
from stage04_im2col.winograd import check_stride, winograd_backward, winograd_forward

ALGORITHMS = {"im2col": (conv_forward, conv_backward), "winograd": (winograd_forward, winograd_backward)}


class Conv2D(Layer):
    """x: (N, H, W, C) -> out: (N, H', W', F); weights W: (F, C, KH, KW), bias b: (F,).

    need_dx=False makes backward skip the input gradient (for the first layer,
    whose input is the data: nothing upstream needs it). Inference (train=False)
    keeps nothing: the column matrix is dropped as soon as the output is made, so
    run the network a few images at a time (Sequential.predict) to keep it small.
    """

    def __init__(self, c_in, c_out, kernel, rng, stride=1, pad=0, dtype=np.float32, need_dx=True, algorithm="im2col"):
        super().__init__()
        if algorithm not in ALGORITHMS:
            raise ValueError(f"unknown convolution algorithm {algorithm!r}: use one of {', '.join(ALGORITHMS)}")
        if algorithm == "winograd":
            check_stride(stride)  # now, not at the first forward pass
        self.algorithm = algorithm
        fan_in = c_in * kernel * kernel
        self.params = {"W": he_normal((c_out, c_in, kernel, kernel), fan_in, rng, dtype), "b": np.zeros(c_out, dtype)}
        self.stride, self.pad, self.need_dx = stride, pad, need_dx

    def forward(self, x, train=True):
        forward, _ = ALGORITHMS[self.algorithm]
        out, cache = forward(x, self.params["W"], self.params["b"], self.stride, self.pad)
        self._keep(cache, train)
        return out

    def backward(self, dout):
        _, backward = ALGORITHMS[self.algorithm]
        dx, self.grads["W"], self.grads["b"] = backward(dout, self._cached(), self.need_dx)
        return dx
