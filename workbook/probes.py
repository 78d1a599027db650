"""The probes: each calls the learner's function on a small input chosen to tell one classic
bug from the right answer and from the other bugs, and returns True when it sees that bug.

A probe gets the exercise's name, the learner's function (for a method, the reference
class with the learner's method in it) and the reference's. The grader runs the
probes of a function only after one of its tests failed, so a probe may assume the
function is wrong somewhere; a probe that raises saw nothing.
"""

from __future__ import annotations

import warnings

import numpy as np


def close(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-7, atol=1e-9))


RNG = np.random.default_rng(1234)
X_SQUARE, X_WIDE = RNG.standard_normal((2, 2, 7, 7)), RNG.standard_normal((2, 2, 7, 5))
W_CONV, B_CONV = RNG.standard_normal((3, 2, 3, 2)), RNG.standard_normal(3)


def nhwc(x):
    return np.ascontiguousarray(x.transpose(0, 2, 3, 1))


# How to call each forward function on an NCHW input x (NHWC where its stage is channels-last).
FORWARD = {
    "conv_forward_naive": lambda f, x, s: f(x, W_CONV, B_CONV, s, 1),
    "conv_forward": lambda f, x, s: f(nhwc(x), W_CONV, B_CONV, s, 1),
    "maxpool_forward_naive": lambda f, x, s: f(x, 2, s),
    "avgpool_forward_naive": lambda f, x, s: f(x, 2, s),
    "maxpool_forward": lambda f, x, s: f(nhwc(x), 2, s),
    "im2col": lambda f, x, s: (f(nhwc(x), 3, 2, s, 1), None),
}
# The forward whose cache each backward takes, and the backward's own extra arguments.
BACKWARD = {
    "conv_backward_naive": "conv_forward_naive",
    "conv_backward": "conv_forward",
    "maxpool_backward_naive": "maxpool_forward_naive",
    "avgpool_backward_naive": "avgpool_forward_naive",
    "maxpool_backward": "maxpool_forward",
}


def reference(name):
    """A reference function by name, from the module that defines it (never the learner's)."""
    import importlib

    from workbook.manifest import STAGES

    for e in (e for s in STAGES for e in s.exercises):
        if e.name == name:
            module = importlib.import_module(e.module)
            return ORIGINALS.get(name) or getattr(module, name)
    raise LookupError(name)


ORIGINALS: dict[str, object] = {}  # the reference functions the plugin replaced, by name


def run_backward(name, backward, x, stride):
    if name == "col2im":
        x = nhwc(x)
        dcols = np.random.default_rng(0).standard_normal(reference("im2col")(x, 3, 2, stride, 1).shape)
        return backward(dcols, x.shape, 3, 2, stride, 1)
    out, cache = FORWARD[BACKWARD[name]](reference(BACKWARD[name]), x, stride)
    grads = backward(np.random.default_rng(0).standard_normal(out.shape), cache)
    return grads if isinstance(grads, tuple) else (grads,)


def hw_swapped(name, mine, ref):
    """Right on square inputs, wrong (or an error) as soon as height and width differ."""
    if not close(FORWARD[name](mine, X_SQUARE, 2)[0], FORWARD[name](ref, X_SQUARE, 2)[0]):
        return False
    try:
        return not close(FORWARD[name](mine, X_WIDE, 2)[0], FORWARD[name](ref, X_WIDE, 2)[0])
    except (ValueError, IndexError):
        return True


def stride_ignored(name, mine, ref):
    """Right with stride 1, wrong (or an error) with stride 2."""
    if not all(close(a, b) for a, b in zip(run_backward(name, mine, X_WIDE, 1), run_backward(name, ref, X_WIDE, 1))):
        return False
    try:
        return not all(
            close(a, b) for a, b in zip(run_backward(name, mine, X_WIDE, 2), run_backward(name, ref, X_WIDE, 2))
        )
    except (ValueError, IndexError):
        return True


def col2im_assigns(name, mine, ref):
    """col2im of all-ones columns counts how many windows cover each pixel; `=` gives 1 everywhere."""
    shape = (1, 5, 6, 1)
    dcols = np.ones((4 * 5, 2 * 2))
    got, want = mine(dcols, shape, 2, 2, 1, 0), ref(dcols, shape, 2, 2, 1, 0)
    return want.max() > 1 and close(got, want > 0)


def kernel_not_flipped(name, mine, ref):
    """dx is what the right backward gives for the kernel turned by 180 degrees."""
    forward = reference(BACKWARD[name])
    out, cache = FORWARD[BACKWARD[name]](forward, X_WIDE, 1)
    flipped = (*cache[:-3], cache[-3][:, :, ::-1, ::-1], *cache[-2:])
    dout = np.random.default_rng(0).standard_normal(out.shape)
    return close(mine(dout, cache)[0], ref(dout, flipped)[0]) and not close(ref(dout, flipped)[0], ref(dout, cache)[0])


def pool_input(name, x):
    return nhwc(x) if name == "maxpool_backward" else x


def feeds_every_tie(name, mine, ref):
    """A window of four zeros (a ReLU's dead region) must send its gradient to one of them only."""
    x = pool_input(name, np.zeros((1, 1, 2, 2)))
    _, cache = reference(BACKWARD[name])(x, 2, 2)
    return float(np.sum(mine(np.ones((1, 1, 1, 1)), cache))) > 1.5


def wrong_tie(name, mine, ref):
    """The gradient conserved, but sent to another tied maximum than the first."""
    x = pool_input(name, np.zeros((1, 1, 2, 2)))
    _, cache = reference(BACKWARD[name])(x, 2, 2)
    got = mine(np.ones((1, 1, 1, 1)), cache)
    return float(np.sum(got)) == 1.0 and not close(got, ref(np.ones((1, 1, 1, 1)), cache))


def softmax_overflows(name, mine, ref):
    """Right on small logits; inf or nan when they are large."""
    z, y = RNG.standard_normal((4, 3)), np.array([0, 2, 1, 0])
    if not close(mine(z, y)[0], ref(z, y)[0]):
        return False
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        loss, dz = mine(z * 1e4, y)
    return not (np.isfinite(loss) and np.all(np.isfinite(dz)))


def sum_not_mean(name, mine, ref):
    """The loss or its gradient N times too large: the 1/N of the mean is missing."""
    z, y = RNG.standard_normal((4, 3)), np.array([0, 2, 1, 0])
    (loss, dz), (ref_loss, ref_dz) = mine(z, y), ref(z, y)
    return close(loss, 4 * ref_loss) or close(dz, 4 * ref_dz)


def adam_steps(name, adam, ref):
    """Three parameters with the same gradients must stay equal, and match Adam with t = 1, 2, 3."""
    opt = adam(lr=0.1)
    params = {k: np.array([1.0]) for k in "abc"}
    for g in (2.0, -1.0, 0.5):
        opt.step(params, {k: np.array([g]) for k in params})
    if len({float(p[0]) for p in params.values()}) > 1:
        return True
    p, m, v = 1.0, 0.0, 0.0
    for t, g in enumerate((2.0, -1.0, 0.5), 1):
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        p -= 0.1 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    return not np.isclose(params["a"][0], p, rtol=1e-9)  # the moments may be right while t is not


def momentum_sign(name, sgd, ref):
    """Two steps of gradient 1 with mu = 0.9 must move p down by 0.1 then 0.19."""
    opt, params = sgd(0.1, momentum=0.9), {"p": np.array([1.0])}
    steps = []
    for _ in range(2):
        before = float(params["p"][0])
        opt.step(params, {"p": np.array([1.0])})
        steps.append(before - float(params["p"][0]))
    return steps[0] < 0 or steps[1] < 0 or np.isclose(steps[1], 0.1 * (1 - 0.9))


def bn_case():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 3, 5, 2)) * 3 + 1.5
    gamma, beta = rng.standard_normal(2), rng.standard_normal(2)
    out, cache = reference("batchnorm_forward")(x, gamma, beta)
    dout = rng.standard_normal(out.shape)
    xhat, inv_std = cache[0], cache[1]
    return dout, cache, gamma * inv_std, xhat


def bn_no_mean_term(name, mine, ref):
    dout, cache, scale, xhat = bn_case()
    mean = lambda a: a.reshape(-1, a.shape[-1]).mean(axis=0)  # noqa: E731
    return close(mine(dout, cache)[0], scale * (dout - xhat * mean(dout * xhat)))


def bn_no_variance_term(name, mine, ref):
    dout, cache, scale, _ = bn_case()
    return close(mine(dout, cache)[0], scale * (dout - dout.reshape(-1, dout.shape[-1]).mean(axis=0)))


def kept_values(mine):
    out, _ = mine(np.ones((200, 100)), 0.3, np.random.default_rng(0))
    return out[out != 0]


def dropout_over_p(name, mine, ref):
    return close(kept_values(mine).mean(), 1 / 0.3)


def dropout_unscaled(name, mine, ref):
    return close(kept_values(mine).mean(), 1.0)


def im2col_order(name, mine, ref):
    """The columns in (c, p, q) order, while weights_as_matrix's rows are in (p, q, c) order."""
    if name == "weights_as_matrix":
        return close(mine(W_CONV), W_CONV.transpose(1, 2, 3, 0).reshape(-1, len(W_CONV)))
    x = nhwc(X_WIDE)
    cols = ref(x, 3, 2, 1, 1).reshape(-1, 3, 2, x.shape[3])  # (rows, p, q, c)
    return close(mine(x, 3, 2, 1, 1), cols.transpose(0, 3, 1, 2).reshape(len(cols), -1))
