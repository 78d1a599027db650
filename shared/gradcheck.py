"""Numerical gradient checks: is a backward pass the derivative of its forward pass?

For an op with output `out` we pick a random upstream gradient `dout` and look
at the scalar L = sum(out * dout). Its gradient with respect to an input `a` is
exactly what backward(dout) must return for `a`, and it can be estimated with
central differences, one coordinate at a time:

    dL/da[i] ~ (L(a[i] + h) - L(a[i] - h)) / (2 h)        error O(h^2)

The comparison uses one relative error for the whole tensor,

    max_i |analytic_i - numeric_i| / max(max_i (|analytic_i| + |numeric_i|), tiny)

which is insensitive to the many near-zero entries a gradient has. In float64
with h = 1e-6, a correct backward gives about 1e-9 or less; a wrong one gives
about 1e-1. Float32 cannot do this (its rounding noise is about 1e-3), so every
check refuses arrays that are not float64.

Two entry points:
    check_function(forward, backward, [x, w, b], rng)  # CS231n-style pure functions
    check_layer(layer, x, rng)                         # a layer object with params and grads
Both return {name: relative error}; `assert_gradients_close` fails a test on any above tol.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

TINY = 1e-30
DEFAULT_TOL = 1e-7


def rel_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """max|a - n| / max(max(|a| + |n|), tiny): one relative error for the whole tensor."""
    analytic, numeric = np.asarray(analytic, np.float64), np.asarray(numeric, np.float64)
    if analytic.shape != numeric.shape:
        raise ValueError(f"shapes differ: analytic {analytic.shape}, numeric {numeric.shape}")
    if analytic.size == 0:
        return 0.0
    return float(np.max(np.abs(analytic - numeric)) / max(np.max(np.abs(analytic) + np.abs(numeric)), TINY))


def sample_coords(shape: tuple[int, ...], rng: np.random.Generator, max_coords: int | None) -> np.ndarray:
    """Flat indices to check: all of them, or `max_coords` drawn without replacement."""
    size = int(np.prod(shape))
    if max_coords is None or size <= max_coords:
        return np.arange(size)
    return np.sort(rng.choice(size, size=max_coords, replace=False))


def numerical_gradient(loss: Callable[[], float], a: np.ndarray, coords: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences of `loss()` with respect to a.flat[coords], perturbing `a` in place.

    `a` must be float64 and writable; it is restored exactly after each coordinate.
    """
    if a.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 arrays (float32 noise is ~1e-3); got {a.dtype}")
    flat = a.reshape(-1)
    if not np.shares_memory(flat, a):
        raise ValueError("the array must be contiguous so that perturbing it changes what the loss sees")
    grad = np.empty(len(coords))
    for k, i in enumerate(coords):
        old = flat[i]
        flat[i] = old + h
        plus = loss()
        flat[i] = old - h
        minus = loss()
        flat[i] = old
        grad[k] = (plus - minus) / (2 * h)
    return grad


def check_function(
    forward: Callable[..., tuple[np.ndarray, object]],
    backward: Callable[[np.ndarray, object], Sequence[np.ndarray]],
    inputs: Sequence[np.ndarray],
    rng: np.random.Generator,
    names: Sequence[str] = ("dx", "dw", "db"),
    max_coords: int | None = 200,
    h: float = 1e-6,
) -> dict[str, float]:
    """Check `backward` against `forward` for every array in `inputs`.

    forward(*inputs) -> (out, cache); backward(dout, cache) -> one gradient per input,
    in the same order (bind other arguments such as stride with functools.partial).
    Returns {name: relative error}, at most `max_coords` sampled coordinates per input.
    """
    out, cache = forward(*inputs)
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    if isinstance(grads, np.ndarray):
        grads = (grads,)
    if len(grads) != len(inputs):
        raise ValueError(f"backward returned {len(grads)} gradients for {len(inputs)} inputs")

    def loss() -> float:
        return float(np.sum(forward(*inputs)[0] * dout))

    errors = {}
    for name, a, g in zip(names, inputs, grads):
        if g.shape != a.shape:
            raise ValueError(f"{name} has shape {g.shape}, but its input has shape {a.shape}")
        coords = sample_coords(a.shape, rng, max_coords)
        errors[name] = rel_error(g.reshape(-1)[coords], numerical_gradient(loss, a, coords, h))
    return errors


def check_layer(layer, x: np.ndarray, rng: np.random.Generator, max_coords: int | None = 200, h: float = 1e-6):
    """Check a layer's backward for its input ("dx") and each parameter ("dW", "db", ...).

    The layer needs forward(x) -> out, backward(dout) -> dx, and dicts `params` and
    `grads` with the same keys (backward fills grads). Returns {name: relative error}.
    """
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    analytic = {"dx": dx} | {"d" + k: layer.grads[k].copy() for k in layer.params}
    arrays = {"dx": x} | {"d" + k: v for k, v in layer.params.items()}

    def loss() -> float:
        return float(np.sum(layer.forward(x) * dout))

    errors = {}
    for name, a in arrays.items():
        coords = sample_coords(a.shape, rng, max_coords)
        errors[name] = rel_error(analytic[name].reshape(-1)[coords], numerical_gradient(loss, a, coords, h))
    return errors


def assert_gradients_close(errors: dict[str, float], tol: float = DEFAULT_TOL) -> None:
    """Fail (AssertionError) naming every gradient whose relative error exceeds `tol`."""
    bad = {k: v for k, v in errors.items() if not v <= tol}
    assert not bad, f"gradient check failed (tol {tol:g}): " + ", ".join(f"{k}={v:.3g}" for k, v in bad.items())
