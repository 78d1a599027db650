"""The whole CNN against the same network in PyTorch, from the same weights (run by `nox -s parity`).

Three checks, each chosen so that no CPU's rounding can make it fail and no real bug
can pass it (the planted-bug tests at the end prove the second half):

- float64, one step on real digits, and 30 Adam steps: the two libraries agree to
  about 1e-15, so 1e-10 leaves room for any BLAS and still catches any bug.
- float32, one step on a random image: our float32 step against torch's float64 step
  from the same float32 numbers, with a tolerance derived from float32's epsilon, the
  longest sum in the step and Winograd's extra rounding (below), on an input checked to
  have no near-tied pool windows.

Why no multi-step float32 check: a float32 training trajectory is chaotic. Different
BLAS kernels (AMD against Intel, AVX2 against AVX-512) round differently; Adam's first
steps are lr * sign(g), so a gradient entry that is 0 in one run and 1e-9 in the other
moves a weight by lr; and the losses then drift apart at a rate no tolerance tight
enough to catch a bug survives on every CPU.
"""

import json
import math
import platform
from pathlib import Path

import numpy as np
import pytest

import stage04_im2col.conv
import stage04_im2col.layers
import stage04_im2col.winograd
from shared.datasets import load_sample
from shared.preprocess import to_float
from stage01_fc.functional import softmax_cross_entropy
from stage04_im2col.winograd import winograd_forward
from stage05_strided_pool.layers import MaxPool2D
from stage06_optimizers.optimizers import Adam
from stage06_optimizers.tests.test_torch_parity import AdamBiasCorrectionOffByOne
from stage07_full_cnn.measure.torch_reference import to_torch_layout, torch_cnn, torch_params
from stage07_full_cnn.model import build_cnn, to_model_input

pytestmark = pytest.mark.torch

EPS32 = float(np.finfo(np.float32).eps)  # 1.19e-7
N32, SEED32 = 1, 133  # the float32 check's image, drawn with a seed that has no near-tied pool window
# The longest sum in one float32 step is conv2's dW: each entry adds N * 14 * 14 products.
# A K-term float32 sum is, with high probability, within about sqrt(K) * eps of the exact
# one, relative to its size (Higham and Mary, "A new approach to probabilistic rounding
# error analysis", 2019). conv2 computes with Winograd's F(4x4, 5x5), whose transforms
# round its output and dW 9 to 13 times more than im2col's sums (stage 4's benchmark table,
# docs/results/stage04/winograd.md): WINOGRAD allows for that, with room.
# The errors measured are written to runs/parity/ (see record).
WINOGRAD = 16
TOL32 = WINOGRAD * math.sqrt(N32 * 14 * 14) * EPS32  # 2.7e-5
# A pooled value is a 800-term dot product (conv2: 5 * 5 * 32), off by at most about
# WINOGRAD * sqrt(800) * eps of the layer's scale; two window values can swap order only
# if they are closer than twice that. We ask for twice as much again.
TIE_MARGIN = 4 * WINOGRAD * math.sqrt(800) * EPS32  # 2.2e-4
TOL64 = 1e-10


def digit_batches(n_batches, size):
    data = load_sample()
    x = np.ascontiguousarray(to_model_input(to_float(data.train_images)))
    order = np.random.default_rng(0).permutation(len(x))
    for i in range(n_batches):
        idx = order[(i * size) % len(x) :][:size]
        yield x[idx], data.train_labels[idx]


def random_batch():
    rng = np.random.default_rng(SEED32)
    return rng.standard_normal((N32, 28, 28, 1)).astype(np.float32), rng.integers(0, 10, N32)


def our_step(model, x, y):
    loss, dlogits = softmax_cross_entropy(model.forward(x), y)
    model.backward(dlogits)
    return loss, model.grads()


def torch_step(torch, net, x, y):
    """torch's loss and gradients, its input in the dtype of its weights."""
    x = torch.tensor(x.transpose(0, 3, 1, 2).copy()).to(next(net.parameters()).dtype)
    ref = torch.nn.functional.cross_entropy(net(x), torch.tensor(y))
    ref.backward()
    return ref.item(), {name: t.grad.numpy() for name, t in torch_params(net).items()}


def relative_errors(loss, grads, ref_loss, ref_grads):
    """|loss - ref| / |ref| and, per parameter, ||g - ref|| / ||ref|| (Frobenius norms)."""
    errors = {"loss": abs(loss - ref_loss) / abs(ref_loss)}
    for name, ref in ref_grads.items():
        errors[name] = np.linalg.norm(to_torch_layout(name, grads[name]) - ref) / np.linalg.norm(ref)
    return errors


def smallest_pool_gap(model, x):
    """The smallest gap between a window's two largest values, over both pools (float64),
    relative to the root-mean-square of the pool's input."""
    gaps, h = [], x.astype(np.float64)
    for layer in model.layers:
        if isinstance(layer, MaxPool2D):
            N, H, W, C = h.shape
            top2 = np.sort(h.reshape(N, H // 2, 2, W // 2, 2, C).transpose(0, 1, 3, 5, 2, 4).reshape(-1, 4))[:, -2:]
            gaps.append((top2[:, 1] - top2[:, 0]).min() / np.sqrt(np.mean(h**2)))
        h = layer.forward(h, train=False)
    return min(gaps)


def check_float64_step(torch):
    """One step on 64 real digits: loss and every gradient within 1e-10 of torch's."""
    x, y = next(digit_batches(1, 64))
    x = x.astype(np.float64)
    model = build_cnn(np.random.default_rng(0), np.float64)
    errors = relative_errors(*our_step(model, x, y), *torch_step(torch, torch_cnn(torch, model), x, y))
    assert max(errors.values()) <= TOL64, errors
    return errors


def check_float32_step(torch):
    """Our float32 step against torch's float64 step from the same float32 weights and images."""
    x, y = random_batch()
    model = build_cnn(np.random.default_rng(0), np.float32)
    exact = build_cnn(np.random.default_rng(0), np.float64)
    for name, p in exact.params().items():
        p[...] = model.params()[name]  # the same float32 numbers, held in float64
    gap = smallest_pool_gap(exact, x)
    assert gap > TIE_MARGIN, f"input has a near-tied pool window (gap {gap:.1e}): pick another seed"
    errors = relative_errors(*our_step(model, x, y), *torch_step(torch, torch_cnn(torch, exact), x, y))
    assert max(errors.values()) <= TOL32, {k: f"{v:.1e}" for k, v in errors.items()}
    return errors


def check_adam_float64(torch, adam=Adam, steps=30):
    """30 Adam steps on batches of 16 real digits: every loss and every final parameter
    within 1e-10 of torch's (30 steps exercise the bias correction and both moments)."""
    model = build_cnn(np.random.default_rng(0), np.float64)
    net = torch_cnn(torch, model)
    opt, topt = adam(1e-3), torch.optim.Adam(net.parameters(), lr=1e-3)
    params = model.params()
    for step, (x, y) in enumerate(digit_batches(steps, 16), 1):
        x = x.astype(np.float64)
        loss, grads = our_step(model, x, y)
        opt.step(params, grads)
        topt.zero_grad()
        ref, _ = torch_step(torch, net, x, y)
        topt.step()
        assert loss == pytest.approx(ref, rel=TOL64), f"loss apart after {step} steps"
    for name, t in torch_params(net).items():
        ref = t.detach().numpy()
        assert np.linalg.norm(to_torch_layout(name, params[name]) - ref) <= TOL64 * np.linalg.norm(ref), name


def record(name, errors, tolerance, torch):
    """The relative errors a check measured, to runs/parity/NAME.json (the results page quotes them)."""
    folder = Path(__file__).resolve().parents[2] / "runs" / "parity"
    folder.mkdir(parents=True, exist_ok=True)
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    summary = {"cpu": cpu, "torch": torch.__version__, "tolerance": tolerance, "max_error": max(errors.values())}
    summary |= {"max_error_in_eps32": max(errors.values()) / EPS32, "errors": errors}
    summary |= {"errors_in_eps32": {k: v / EPS32 for k, v in errors.items()}}
    (folder / f"{name}.json").write_text(json.dumps(summary, indent=2) + "\n")


def test_float64_step_on_digits_matches_torch(torch):
    record("float64_step", check_float64_step(torch), TOL64, torch)


def test_float32_step_is_within_rounding_of_exact(torch):
    record("float32_step", check_float32_step(torch), TOL32, torch)


def test_float64_adam_steps_match_torch(torch):
    check_adam_float64(torch)


# Planted bugs: each check must fail on a bug it exists to catch.


def conv_dw_off_by_a_thousandth(dout, cache, need_dx=True):
    dx, dw, db = stage04_im2col.winograd.winograd_backward(dout, cache, need_dx)
    return dx, dw * 1.001, db


def kernel_transposed(w):
    return w.transpose(3, 2, 1, 0).reshape(-1, w.shape[0])  # (q, p, c) rows instead of (p, q, c)


BUGS = {  # conv2 (Winograd) computes dW off by a thousandth; conv1 (im2col) reads its kernel transposed
    "wrong gradient": lambda patch: patch.setitem(
        stage04_im2col.layers.ALGORITHMS, "winograd", (winograd_forward, conv_dw_off_by_a_thousandth)
    ),
    "transposed weight": lambda patch: patch.setattr(stage04_im2col.conv, "weights_as_matrix", kernel_transposed),
}


@pytest.mark.parametrize("bug", BUGS)
@pytest.mark.parametrize("check", [check_float64_step, check_float32_step])
def test_step_checks_catch_planted_bugs(torch, monkeypatch, check, bug):
    BUGS[bug](monkeypatch)
    with pytest.raises(AssertionError):
        check(torch)


def test_adam_check_catches_bias_correction_off_by_one(torch):
    with pytest.raises(AssertionError):
        check_adam_float64(torch, AdamBiasCorrectionOffByOne)
