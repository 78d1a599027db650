"""Learning-rate schedules: the learning rate as a function of the step number.

    lr = schedule(step)        # step = optimizer steps taken so far, from 0

    constant(base)                                  base
    step_decay(base, step_size, gamma)              base * gamma ** (step // step_size)
    cosine(base, total, min_lr=0, warmup=0)         linear warm-up, then half a cosine

Warm-up ramps linearly from base / warmup at step 0 to base at step warmup - 1,
which keeps the first large, noisy updates of Adam from throwing the weights far.
"""

from __future__ import annotations

import math


def constant(base):
    return lambda step: base


def step_decay(base, step_size, gamma=0.1):
    """Multiply the rate by gamma every step_size steps (PyTorch's StepLR)."""
    if step_size < 1:
        raise ValueError(f"step_size must be >= 1, got {step_size}")
    return lambda step: base * gamma ** (step // step_size)


def cosine(base, total, min_lr=0.0, warmup=0):
    """Linear warm-up over `warmup` steps, then cosine from base to min_lr at step `total`.

    Without warm-up this is PyTorch's CosineAnnealingLR(T_max=total, eta_min=min_lr).
    """
    if not 0 <= warmup < total:
        raise ValueError(f"need 0 <= warmup < total; got warmup={warmup}, total={total}")

    def lr(step):
        if step < warmup:
            return base * (step + 1) / warmup
        progress = min(step - warmup, total - warmup) / (total - warmup)
        return min_lr + (base - min_lr) * (1 + math.cos(math.pi * progress)) / 2

    return lr
