"""Workbook exercise (stage 1): leaky ReLU, a ReLU that lets a small slope through below zero.

    out = x        where x > 0
    out = alpha x  elsewhere          (alpha = 0.01 by default, PyTorch's LeakyReLU)

A plain ReLU's gradient is exactly zero for every negative input, so a unit whose
inputs all turn negative stops learning ("dies"); the slope alpha keeps a little
gradient flowing. Not used by the project's networks: it is graded by
workbook/tests/test_leaky_relu.py.
"""

from __future__ import annotations

import numpy as np


def leaky_relu_forward(x, alpha=0.01):
    """out = x where x > 0, alpha * x elsewhere. x: any shape -> out: the same shape, cache"""
    slope = np.where(x > 0, 1, alpha).astype(x.dtype)
    return x * slope, slope


def leaky_relu_backward(dout, cache):
    """dout: the output's shape -> dx: the same shape (1 where x > 0, alpha elsewhere, times dout)"""
    slope = cache
    return dout * slope
