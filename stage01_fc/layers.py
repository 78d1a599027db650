"""Thin layer objects around the pure functions, and a container to stack them.

Every layer has the same interface:
    forward(x, train=True) -> out       (keeps what backward needs only when train)
    backward(dout) -> dx                (fills self.grads, same keys as self.params)
    params, grads: dict name -> array   (empty for layers without parameters)
    buffers: dict name -> array         state that is kept but not learned (none before
                                        stage 8's batch norm); saved in checkpoints
Layers keep the dtype they are given: build them with dtype=np.float64 for
gradient checks and np.float32 (the default) for training.
"""

from __future__ import annotations

import itertools

import numpy as np

from stage01_fc import functional as F


def he_normal(shape, fan_in, rng, dtype=np.float32):
    """Weights drawn from N(0, 2 / fan_in) (He et al., 2015), suited to ReLU networks.

    With this variance each ReLU layer keeps the scale of its activations roughly
    constant, so a deep stack neither explodes nor vanishes at the start.
    """
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(dtype)


class Layer:
    """Base class: no parameters; subclasses override forward and backward."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.cache = None

    def forward(self, x, train=True):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def buffer_problem(self) -> str | None:
        """What is wrong with the layer's buffers (after loading them from a file), or None."""
        return None

    def _keep(self, cache, train):
        # Inference (train=False) keeps nothing, so memory stays bounded by one layer's output.
        self.cache = cache if train else None

    def _cached(self):
        if self.cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward needs a forward(x, train=True) first")
        return self.cache


class Linear(Layer):
    """x: (N, D) -> out: (N, M), with W: (D, M) and b: (M,)."""

    def __init__(self, d_in, d_out, rng, dtype=np.float32):
        super().__init__()
        self.params = {"W": he_normal((d_in, d_out), d_in, rng, dtype), "b": np.zeros(d_out, dtype)}

    def forward(self, x, train=True):
        out, cache = F.affine_forward(x, self.params["W"], self.params["b"])
        self._keep(cache, train)
        return out

    def backward(self, dout):
        dx, self.grads["W"], self.grads["b"] = F.affine_backward(dout, self._cached())
        return dx


class ReLU(Layer):
    def forward(self, x, train=True):
        out, cache = F.relu_forward(x)
        self._keep(cache, train)
        return out

    def backward(self, dout):
        return F.relu_backward(dout, self._cached())


class Flatten(Layer):
    def forward(self, x, train=True):
        out, cache = F.flatten_forward(x)
        self._keep(cache, train)
        return out

    def backward(self, dout):
        return F.flatten_backward(dout, self._cached())


class Sequential:
    """Layers applied in order; backward runs them in reverse.

    Parameters are named "<layer index>.<param>", e.g. "0.W", so that optimizers
    and checkpoints can key their state by name.
    """

    def __init__(self, *layers):
        self.layers = list(layers)

    # --8<-- [start:sequential]
    def forward(self, x, train=True):
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    # --8<-- [end:sequential]

    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.params.items()}

    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.grads.items()}

    def buffers(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers) for k, v in layer.buffers.items()}

    def predict(self, x, batch_size=64):
        """Logits for x, `batch_size` images at a time with nothing cached: memory stays
        bounded by one small batch's activations, which stay in the CPU's cache."""
        out = None
        for i in range(0, len(x), batch_size):
            logits = self.forward(x[i : i + batch_size], train=False)
            if out is None:
                out = np.empty((len(x), *logits.shape[1:]), logits.dtype)
            out[i : i + batch_size] = logits
        return out


def mlp(sizes, rng, dtype=np.float32):
    """Flatten, then Linear-ReLU pairs through `sizes`, ending in a Linear (no ReLU on the logits)."""
    layers = [Flatten()]
    for d_in, d_out in itertools.pairwise(sizes):
        layers += [Linear(d_in, d_out, rng, dtype), ReLU()]
    return Sequential(*layers[:-1])


def evaluate(model, x, y):
    """Mean loss and accuracy of `model` on (x, y), in batches with nothing cached."""
    logits = model.predict(x)
    loss, _ = F.softmax_cross_entropy(logits, y)
    return loss, float((logits.argmax(axis=1) == y).mean())
