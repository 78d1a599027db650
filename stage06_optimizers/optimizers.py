"""Stage 6: optimizers, from plain SGD to Adam with decoupled weight decay.

Every optimizer updates parameters in place from their gradients, both given
as dicts keyed by parameter name ("0.W", "3.b", ...), and keeps its state (momentum
buffers, Adam's moments) under the same names, so it can be saved and restored
as plain arrays (state_dict / load_state_dict).

    opt = Adam(lr=1e-3)
    opt.step(model.params(), model.grads())   # one step for all parameters

`step_count` rises once per call of step(), before the update, whatever the number
of parameters: Adam's bias correction at step t must use the same t for every
layer (counting per layer or per parameter is a classic bug).

Weight decay follows PyTorch, so results compare one to one:
- SGD and Adam add it to the gradient, g + weight_decay * p (an L2 penalty
  weight_decay / 2 * ||p||^2 in the loss). Adam then rescales that term per
  parameter like the rest of g, which weakens the decay where gradients are large.
- AdamW decouples it (Loshchilov & Hutter, 2019): each step first shrinks every
  parameter by lr * weight_decay * p, apart from the gradient step.
For plain SGD the two are the same; with momentum or Adam they differ.
"""

from __future__ import annotations

import functools
import math

import numpy as np


class Optimizer:
    """Shared machinery: the step counter, weight decay, state as arrays."""

    buffers: tuple[str, ...] = ()  # the state each parameter has after a step (checked when resuming)
    decoupled = False  # weight decay as an L2 term in the gradient (True: AdamW's shrinking step)

    def __init__(self, lr, weight_decay=0.0):
        if lr <= 0 or weight_decay < 0:
            raise ValueError(f"need lr > 0 and weight_decay >= 0; got lr={lr}, weight_decay={weight_decay}")
        self.lr, self.weight_decay = lr, weight_decay
        self.step_count = 0
        self.state: dict[str, dict[str, np.ndarray]] = {}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every parameter in place from its gradient."""
        self.step_count += 1  # once per step, for all parameters together
        for name, p in params.items():
            g = grads[name]
            if self.weight_decay and self.decoupled:
                p *= 1 - self.lr * self.weight_decay
            elif self.weight_decay:
                g = g + self.weight_decay * p
            self.update(name, p, g, self.state.setdefault(name, {}))

    def update(self, name, p, g, state):
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """Everything needed to resume, as arrays: {"step_count": ..., "<param>/<buffer>": ...}."""
        arrays = {"step_count": np.array(self.step_count)}
        for name, buffers in self.state.items():
            arrays |= {f"{name}/{key}": value for key, value in buffers.items()}
        return arrays

    def load_state_dict(self, arrays: dict[str, np.ndarray]) -> None:
        self.step_count = int(arrays["step_count"])
        self.state = {}
        for key, value in arrays.items():
            if key != "step_count":
                name, buffer = key.rsplit("/", 1)
                self.state.setdefault(name, {})[buffer] = np.array(value)


# --8<-- [start:sgd]
class SGD(Optimizer):
    """p -= lr * g, optionally with momentum (classical or Nesterov).

    Momentum keeps a velocity v = mu * v + g (v = g at the first step), then
        classical:  p -= lr * v
        Nesterov:   p -= lr * (g + mu * v)     (looks one step ahead along v)
    These are PyTorch's conventions (dampening 0).
    """

    def __init__(self, lr, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.momentum, self.nesterov = momentum, nesterov
        self.buffers = ("velocity",) if momentum else ()

    def update(self, name, p, g, state):
        if self.momentum == 0:
            p -= self.lr * g
            return
        if "velocity" not in state:
            state["velocity"] = g.copy()
        else:
            state["velocity"] *= self.momentum
            state["velocity"] += g
        v = state["velocity"]
        p -= self.lr * (g + self.momentum * v if self.nesterov else v)


# --8<-- [end:sgd]


# --8<-- [start:adam]
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015); weight_decay adds an L2 term to the gradient (see AdamW).

        m = b1 m + (1 - b1) g           running mean of gradients
        v = b2 v + (1 - b2) g^2         running mean of squared gradients
        p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

    The bias corrections undo the zero start of m and v. At t = 1 they give
    m_hat = g and v_hat = g^2, so the first update is lr * g / |g| = lr * sign(g):
    its size is lr whatever the gradient's scale (as long as |g| is well above eps).
    """

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(lr, weight_decay)
        self.b1, self.b2 = betas
        self.eps = eps

    buffers = ("m", "v")

    def update(self, name, p, g, state):
        if "m" not in state:
            state["m"], state["v"] = np.zeros_like(p), np.zeros_like(p)
        m, v, t = state["m"], state["v"], self.step_count
        m *= self.b1
        m += (1 - self.b1) * g
        v *= self.b2
        v += (1 - self.b2) * np.square(g)
        # p -= lr * m_hat / (sqrt(v_hat) + eps), with m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t);
        # the same arithmetic as PyTorch, written in place to spare temporary arrays
        denom = np.sqrt(v)
        denom *= 1 / math.sqrt(1 - self.b2**t)
        denom += self.eps
        step = np.divide(m, denom, out=denom)
        step *= self.lr / (1 - self.b1**t)
        p -= step


# --8<-- [end:adam]


class AdamW(Adam):
    """Adam with decoupled weight decay, 0.01 by default (PyTorch's AdamW default)."""

    decoupled = True

    def __init__(self, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(lr, betas, eps, weight_decay)


OPTIMIZERS = {
    "sgd": SGD,
    "momentum": functools.partial(SGD, momentum=0.9),
    "nesterov": functools.partial(SGD, momentum=0.9, nesterov=True),
    "adam": Adam,
    "adamw": AdamW,
}


def make_optimizer(name, lr, weight_decay=None):
    """An optimizer by name; weight_decay=None keeps its default (0, or 0.01 for AdamW)."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer '{name}': use one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](lr=lr) if weight_decay is None else OPTIMIZERS[name](lr=lr, weight_decay=weight_decay)
