"""A fast max-pooling layer (channels-last) with stage 1's layer interface."""

from __future__ import annotations

from stage01_fc.layers import Layer
from stage05_strided_pool.pool import maxpool_backward, maxpool_forward


class MaxPool2D(Layer):
    """x: (N, H, W, C) -> out: (N, H', W', C); no parameters."""

    def __init__(self, size=2, stride=2):
        super().__init__()
        self.size, self.stride = size, stride

    def forward(self, x, train=True):
        out, cache = maxpool_forward(x, self.size, self.stride)
        self._keep(cache, train)
        return out

    def backward(self, dout):
        return maxpool_backward(dout, self._cached())
