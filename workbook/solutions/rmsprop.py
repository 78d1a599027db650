"""Workbook exercise (stage 6): RMSProp (Hinton's lecture 6e, 2012), with PyTorch's conventions.

    v = alpha v + (1 - alpha) g^2       running mean of squared gradients, from v = 0
    p -= lr * g / (sqrt(v) + eps)

Like Adam it divides each weight's step by the size of its recent gradients, but it
keeps no running mean of the gradient itself and no bias correction: its first steps
are larger than lr, by 1 / sqrt(1 - alpha) = 10 at alpha = 0.99. Not used by the
project's training: it is graded by workbook/tests/test_rmsprop.py.
"""

from __future__ import annotations

import numpy as np

from stage06_optimizers.optimizers import Optimizer


class RMSProp(Optimizer):
    """RMSProp; weight_decay adds an L2 term to the gradient, as in SGD and Adam."""

    buffers = ("square_avg",)

    def __init__(self, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.alpha, self.eps = alpha, eps

    def update(self, name, p, g, state):
        """One step for parameter p (in place) from gradient g; state["square_avg"] is v, p's shape."""
        if "square_avg" not in state:
            state["square_avg"] = np.zeros_like(p)
        v = state["square_avg"]
        v *= self.alpha
        v += (1 - self.alpha) * np.square(g)
        p -= self.lr * g / (np.sqrt(v) + self.eps)
