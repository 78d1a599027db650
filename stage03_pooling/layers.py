"""A max-pooling layer around the naive functions, with stage 1's layer interface."""

from __future__ import annotations

from stage01_fc.layers import Layer
from stage03_pooling.pool import maxpool_backward_naive, maxpool_forward_naive


class MaxPoolNaive(Layer):
    """x: (N, C, H, W) -> out: (N, C, H', W'); no parameters."""

    def __init__(self, size=2, stride=2):
        super().__init__()
        self.size, self.stride = size, stride

    def forward(self, x, train=True):
        out, cache = maxpool_forward_naive(x, self.size, self.stride)
        self._keep(cache, train)
        return out

    def backward(self, dout):
        return maxpool_backward_naive(dout, self._cached())
