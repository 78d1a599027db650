"""What batch norm and augmentation cost in a training step, measured against stage 8 without them.

    python -m stage08_regularization.benchmark [--rounds 400] [--out runs/stage08]

A training step here is what train_epoch does for one batch of 64: augment (when
on), forward, loss, backward and the Adam update. Three networks, on one thread of
ours (as stage 8 trains), take turns one step at a time, so that the host's drift
(tens of percent within a minute on a shared machine) hits all three alike:
    dropout only    stage 7's network with dropout (stage 8 without BN and augmentation)
    + batch norm    and batch norm after each conv block
    all             and augmentation: stage 8's default
Each side's figure is the median of its steps. The target: batch norm and
augmentation together at most 15% of the step. Then batch norm alone on the two
pooled activations, and the per-channel sum it relies on, as NumPy's sum over the
leading axes and as channel_sum's product with a row of ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from shared.benchmark import MachineWatch, against_target, benchmark_images, machine_info, machine_line, median_time
from shared.files import FileProblem, writable_folder, write_text
from shared.memory import reuse_freed_memory
from stage01_fc.functional import softmax_cross_entropy
from stage06_optimizers.optimizers import Adam
from stage08_regularization.batchnorm import batchnorm_backward, batchnorm_forward, channel_sum
from stage08_regularization.model import augment_batch, build_regularized_cnn

TARGET = 0.15
SIDES = {"dropout only": (False, False), "+ batch norm": (True, False), "all": (True, True)}
BATCHES = 30
CONFIG = {"augment": True, "dataset": "mnist"}  # the digits' augmentation: rotation, scaling and shift


class Trainer:
    """One side: a network, its optimizer and its augmentation generator; step() times one step."""

    def __init__(self, batch_norm, augment):
        self.model = build_regularized_cnn(np.random.default_rng(0), np.random.default_rng(1), batch_norm=batch_norm)
        self.opt, self.params, self.augment = Adam(1e-3), self.model.params(), augment
        self.rng = np.random.default_rng(2)

    def step(self, xb, yb):
        """Seconds for one training step on (xb, yb)."""
        start = time.perf_counter()
        if self.augment:
            xb = augment_batch(xb, CONFIG, self.rng)
        _, dlogits = softmax_cross_entropy(self.model.forward(xb), yb)
        self.model.backward(dlogits)
        self.opt.step(self.params, self.model.grads())
        return time.perf_counter() - start


def batchnorm_lines():
    """Table lines: batch norm's forward and backward, and the two ways to sum per channel."""
    rng = np.random.default_rng(0)
    lines = [
        "| pooled activation | BN forward | BN backward | x.sum(axis=(0, 1, 2)) | channel_sum(x) |",
        "|---|---|---|---|---|",
    ]
    for shape in [(64, 14, 14, 32), (64, 7, 7, 64)]:
        x, dout = rng.standard_normal((2, *shape), dtype=np.float32)
        gamma, beta = np.ones(shape[-1], np.float32), np.zeros(shape[-1], np.float32)
        _, cache = batchnorm_forward(x, gamma, beta)
        times = [
            median_time(lambda: batchnorm_forward(x, gamma, beta), repeats=50),
            median_time(lambda: batchnorm_backward(dout, cache), repeats=50),
            median_time(lambda: x.sum(axis=(0, 1, 2)), repeats=50),
            median_time(lambda: channel_sum(x), repeats=50),
        ]
        lines.append(f"| {shape} | " + " | ".join(f"{1e3 * t:.2f} ms" for t in times) + " |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=400, help="steps per side (default 400)")
    parser.add_argument("--out", type=Path, default=Path("runs/stage08"))
    args = parser.parse_args(argv)
    if args.rounds < 1:
        sys.exit(f"error: --rounds {args.rounds}: time at least 1 step per side (400 is usual)")
    try:
        writable_folder(args.out, "--out")  # before the minutes of measuring, not after them
    except FileProblem as err:
        sys.exit(f"error: {err}")
    watch = MachineWatch()
    reuse_freed_memory()
    x, y, note = benchmark_images(64 * BATCHES)
    trainers = {name: Trainer(*switches) for name, switches in SIDES.items()}
    names = list(SIDES)
    times = {name: [] for name in SIDES}
    for r in range(-3, args.rounds):  # three untimed warm-up rounds
        i = r % BATCHES
        xb, yb = x[i * 64 : (i + 1) * 64], y[i * 64 : (i + 1) * 64]
        for k in range(len(names)):  # who goes first changes every round
            name = names[(r + k) % len(names)]
            seconds = trainers[name].step(xb, yb)
            if r >= 0:
                times[name].append(seconds)
    ms = {name: 1e3 * float(np.median(t)) for name, t in times.items()}
    quartiles = {name: 1e3 * np.percentile(t, [25, 75]) for name, t in times.items()}
    share = (ms["all"] - ms["dropout only"]) / ms["all"]
    lines = [
        f"A training step at batch 64 on {note}; one thread of ours; {args.rounds} steps per side, "
        "taking turns one step at a time.",
        "",
        "| network | ms per step (median) | middle half of the steps |",
        "|---|---|---|",
        *[f"| {name} | {ms[name]:.1f} | {q[0]:.1f} to {q[1]:.1f} |" for name, q in quartiles.items()],
        "",
        f"Batch norm and augmentation: {ms['all'] - ms['dropout only']:.1f} ms of a {ms['all']:.1f} ms step, "
        f"{share:.1%}: {against_target(100 * share, 100 * TARGET, unit='%')}.",
        "",
        "Batch norm alone, and the per-channel sum it needs four times per step (medians of 50 calls):",
        "",
        *batchnorm_lines(),
    ]
    table = "\n".join(lines)
    print(table)
    state = watch.finish()
    write_text(args.out / "cost.md", "\n\n".join([table, f"Measured on: {machine_line()}.", *watch.lines()]) + "\n")
    payload = {"ms_per_step": ms, "times_s": times, "share": share, "machine": machine_info(), "machine_state": state}
    write_text(args.out / "cost.json", json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
