"""What batch norm and augmentation cost in a training step, measured against stage 8 without them.

    python -m stage08_regularization.benchmark [--rounds 5] [--out runs/stage08]

A training step here is what train_epoch does for one batch of 64: augment (when
on), forward, loss, backward and the Adam update. Three networks, the sides
alternating round after round, on one thread of ours (as stage 8 trains):
    dropout only    stage 7's network with dropout (stage 8 without BN and augmentation)
    + batch norm    and batch norm after each conv block
    all             and augmentation: stage 8's default
The target: batch norm and augmentation together at most 15% of the step.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from shared.benchmark import machine_info, machine_line
from shared.memory import reuse_freed_memory
from stage01_fc.functional import softmax_cross_entropy
from stage06_optimizers.optimizers import Adam
from stage07_full_cnn.benchmark import load_images
from stage08_regularization.model import augment_batch, build_regularized_cnn

TARGET = 0.15
SIDES = {"dropout only": (False, False), "+ batch norm": (True, False), "all": (True, True)}


def steps_seconds(model, augment, x, y, steps=30):
    """Seconds per training step at batch 64 (augment, forward, backward, Adam)."""
    opt, params, rng = Adam(1e-3), model.params(), np.random.default_rng(0)
    config = {"augment": True, "dataset": "mnist"}  # the digits' augmentation: rotation, scaling and shift
    start = time.perf_counter()
    for i in range(steps):
        xb, yb = x[i * 64 : (i + 1) * 64], y[i * 64 : (i + 1) * 64]
        if augment:
            xb = augment_batch(xb, config, rng)
        _, dlogits = softmax_cross_entropy(model.forward(xb), yb)
        model.backward(dlogits)
        opt.step(params, model.grads())
    return (time.perf_counter() - start) / steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("runs/stage08"))
    args = parser.parse_args(argv)
    reuse_freed_memory()
    x, y, note = load_images(64 * 30)
    models = {
        name: build_regularized_cnn(np.random.default_rng(0), np.random.default_rng(1), batch_norm=bn)
        for name, (bn, _) in SIDES.items()
    }
    times = {name: [] for name in SIDES}
    for _ in range(args.rounds):
        for name, (_, augment) in SIDES.items():
            times[name].append(steps_seconds(models[name], augment, x, y))
    ms = {name: 1e3 * float(np.median(t)) for name, t in times.items()}
    share = (ms["all"] - ms["dropout only"]) / ms["all"]
    lines = [
        f"A training step at batch 64 on {note}; one thread of ours; median of {args.rounds} alternating rounds.",
        "",
        "| network | ms per step |",
        "|---|---|",
        *[f"| {name} | {value:.1f} |" for name, value in ms.items()],
        "",
        f"Batch norm and augmentation: {ms['all'] - ms['dropout only']:.1f} ms of a {ms['all']:.1f} ms step, "
        f"{share:.1%} (target: at most {TARGET:.0%}).",
    ]
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "cost.md").write_text(table + f"\n\nMeasured on: {machine_line()}.\n")
    payload = {"ms_per_step": ms, "times_s": times, "share": share, "machine": machine_info()}
    (args.out / "cost.json").write_text(json.dumps(payload, indent=2) + "\n")


if __name__ == "__main__":
    main()
