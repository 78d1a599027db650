"""Optimizers and schedules against torch.optim, 50 steps (run by `nox -s parity`)."""

import numpy as np
import pytest

from stage06_optimizers.optimizers import SGD, Adam, AdamW
from stage06_optimizers.schedules import cosine, step_decay

pytestmark = pytest.mark.torch

CASES = {
    "sgd": (lambda: SGD(0.1), lambda t, p: t.optim.SGD(p, lr=0.1)),
    "momentum": (lambda: SGD(0.05, momentum=0.9), lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9)),
    "nesterov": (
        lambda: SGD(0.05, momentum=0.9, nesterov=True),
        lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    ),
    "adam": (lambda: Adam(1e-2), lambda t, p: t.optim.Adam(p, lr=1e-2)),
    "adamw": (lambda: AdamW(1e-2, weight_decay=0.1), lambda t, p: t.optim.AdamW(p, lr=1e-2, weight_decay=0.1)),
    "sgd+decay": (lambda: SGD(0.1, weight_decay=0.1), lambda t, p: t.optim.SGD(p, lr=0.1, weight_decay=0.1)),
    "momentum+decay": (
        lambda: SGD(0.05, momentum=0.9, weight_decay=0.1),
        lambda t, p: t.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.1),
    ),
    "adam+decay": (lambda: Adam(1e-2, weight_decay=0.1), lambda t, p: t.optim.Adam(p, lr=1e-2, weight_decay=0.1)),
}


class AdamBiasCorrectionOffByOne(Adam):
    """A planted bug: Adam that bias-corrects with t + 1 instead of t."""

    def update(self, name, p, g, state):
        self.step_count += 1
        super().update(name, p, g, state)
        self.step_count -= 1


def check_50_steps(torch, name, dtype, make_ours=None):
    """50 steps on the same random gradients (elementwise arithmetic only, no BLAS, so the
    float32 results differ by a few roundings per step on any CPU)."""
    rng = np.random.default_rng(0)
    ours = {"w": rng.standard_normal((4, 3)).astype(dtype), "b": rng.standard_normal(3).astype(dtype)}
    theirs = {k: torch.tensor(v.copy(), requires_grad=True) for k, v in ours.items()}
    default_ours, make_theirs = CASES[name]
    opt, topt = (make_ours or default_ours)(), make_theirs(torch, list(theirs.values()))
    for _ in range(50):
        grads = {k: (rng.standard_normal(v.shape) * 3).astype(dtype) for k, v in ours.items()}
        opt.step(ours, grads)
        for k, t in theirs.items():
            t.grad = torch.tensor(grads[k])
        topt.step()
    tol = 1e-10 if dtype == np.float64 else 1e-5
    for k in ours:
        np.testing.assert_allclose(ours[k], theirs[k].detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_50_steps_match_torch(torch, name, dtype):
    check_50_steps(torch, name, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_check_catches_adam_bias_correction_off_by_one(torch, dtype):
    with pytest.raises(AssertionError):
        check_50_steps(torch, "adam", dtype, lambda: AdamBiasCorrectionOffByOne(1e-2))


def _torch_lrs(torch, make_scheduler, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make_scheduler(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def test_step_schedule_matches_steplr(torch):
    ref = _torch_lrs(torch, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=0.5), 50)
    np.testing.assert_allclose([step_decay(0.1, 7, 0.5)(t) for t in range(50)], ref, rtol=1e-12)


def test_cosine_schedule_matches_cosine_annealing(torch):
    ref = _torch_lrs(torch, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=50, eta_min=0.01), 50)
    np.testing.assert_allclose([cosine(0.1, 50, min_lr=0.01)(t) for t in range(50)], ref, rtol=1e-10)


def test_warmup_matches_linear_then_cosine(torch):
    # our warm-up, base * (t + 1) / warmup, is LinearLR from 1/warmup to 1 over warmup - 1 steps
    def make(o):
        warm = torch.optim.lr_scheduler.LinearLR(o, start_factor=1 / 5, end_factor=1.0, total_iters=4)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=45)
        return torch.optim.lr_scheduler.SequentialLR(o, [warm, cos], milestones=[5])

    ref = _torch_lrs(torch, make, 50)
    np.testing.assert_allclose([cosine(0.1, 50, warmup=5)(t) for t in range(50)], ref, rtol=1e-10, atol=1e-15)
