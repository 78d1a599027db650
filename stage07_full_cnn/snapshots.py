"""Snapshots of a run's weights as it learns, for the explorer's "training over time" slider.

A run saves one snapshot before its first step, a few more during its first epoch
(after 1/32, 1/8, 1/4 and 1/2 of its steps: the filters change most then), and one
after each epoch, into <out>/snapshots/step-000123.npz. Each is a checkpoint in the
project's format (checkpoint.py: no pickle, written atomically) holding the weights
as float16 and the buffers as they are, with no optimizer state: 0.9 MB for stage
7's network, about 20 MB for a 20-epoch run. float16 keeps three significant digits,
plenty for a picture of how the network changed; the explorer computes everything it
shows from the stored values themselves.

A snapshot that cannot be written is reported and skipped. A fresh run removes the
snapshots an earlier run left in the folder; a resumed run adds to them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from stage07_full_cnn.checkpoint import load_checkpoint, restore_model, save_checkpoint

FOLDER = "snapshots"
FIRST_EPOCH_FRACTIONS = (1 / 32, 1 / 8, 1 / 4, 1 / 2)
NAME = re.compile(r"step-(\d{6,})\.npz")


def first_epoch_steps(steps_per_epoch):
    """The optimizer steps after which the first epoch saves a snapshot: 0, then its fractions."""
    inside = {round(f * steps_per_epoch) for f in FIRST_EPOCH_FRACTIONS}
    return sorted({0} | {s for s in inside if 0 < s < steps_per_epoch})


class Snapshots:
    """Saves the snapshots of the run in `out` (a training Run calls it before each step and after each epoch)."""

    def __init__(self, out, stage, steps_per_epoch, fresh):
        self.folder, self.stage = Path(out) / FOLDER, stage
        self.during = set(first_epoch_steps(steps_per_epoch))
        if fresh:
            for old in self.folder.glob("step-*.npz"):
                old.unlink()

    def before_step(self, model, step, epoch):
        """Called with the number of optimizer steps done so far, inside epoch `epoch + 1`."""
        if epoch == 0 and step in self.during:
            self.save(model, step, epoch, f"after {step} step{'s' * (step > 1)}" if step else "before training")

    def after_epoch(self, model, step, epoch):
        self.save(model, step, epoch, f"after epoch {epoch}")

    def save(self, model, step, epoch, label):
        params = {k: v.astype(np.float16) for k, v in model.params().items()}
        meta = {"stage": self.stage, "snapshot": label, "epoch": epoch, "step": step}
        try:
            save_checkpoint(self.folder / f"step-{step:06d}.npz", params, {}, meta, model.buffers())
        except OSError as err:  # the explorer's pictures are not worth stopping a run for
            print(f"warning: cannot save a snapshot in {self.folder} ({err}); training goes on", flush=True)


def list_snapshots(run_folder):
    """The snapshot files of the run in `run_folder`, in training order (none: an empty list)."""
    folder = Path(run_folder) / FOLDER
    found = [(int(m.group(1)), p) for p in folder.glob("step-*.npz") if (m := NAME.fullmatch(p.name))]
    return [p for _, p in sorted(found)]


def read_snapshot(path, model):
    """Load snapshot `path` into `model` (its weights back in the model's dtype); returns the snapshot's meta.

    Raises CheckpointError (a ValueError) for a damaged file or weights and buffers that
    do not fit the model: restore_model checks names, shapes, dtypes and finiteness.
    """
    snap = load_checkpoint(path)
    dtypes = {name: p.dtype for name, p in model.params().items()}
    snap.params = {k: v.astype(dtypes.get(k, v.dtype)) for k, v in snap.params.items()}  # stored as float16
    restore_model(path, model, snap)
    return snap.meta
