"""Training's snapshots for the explorer: when they are saved, what they hold, and that a fresh run starts them anew."""

import numpy as np

from stage07_full_cnn.checkpoint import load_checkpoint
from stage07_full_cnn.model import build_cnn
from stage07_full_cnn.snapshots import Snapshots, first_epoch_steps, list_snapshots


def test_the_first_epoch_saves_at_its_start_and_at_fractions_of_it():
    assert first_epoch_steps(844) == [0, 26, 106, 211, 422]  # MNIST's 54,000 training images in batches of 64
    assert first_epoch_steps(3) == [0, 1, 2]  # a tiny epoch: no step twice, none at its end


def test_a_run_saves_small_float16_snapshots_in_training_order(tiny_run):
    paths = list_snapshots(tiny_run)
    labels = [load_checkpoint(p).meta["snapshot"] for p in paths]  # the checkpoint format: no pickle
    steps = [load_checkpoint(p).meta["step"] for p in paths]
    assert labels[0] == "before training" and labels[-2:] == ["after epoch 1", "after epoch 2"]
    assert steps == sorted(steps) and len(set(steps)) == len(steps)
    snap = load_checkpoint(paths[-1])
    assert {v.dtype for v in snap.params.values()} == {np.dtype(np.float16)} and not snap.optimizer
    assert all(p.stat().st_size < 1_000_000 for p in paths)
    last = load_checkpoint(tiny_run / "last.npz")
    assert snap.meta["step"] == int(last.optimizer["step_count"])
    np.testing.assert_array_equal(snap.params["7.W"], last.params["7.W"].astype(np.float16))


def test_a_fresh_run_removes_an_earlier_runs_snapshots(tmp_path):
    model = build_cnn(np.random.default_rng(0))
    Snapshots(tmp_path, "stage07_full_cnn", 10, fresh=True).after_epoch(model, 10, 1)
    Snapshots(tmp_path, "stage07_full_cnn", 10, fresh=False).after_epoch(model, 20, 2)  # resumed: adds
    assert [p.name for p in list_snapshots(tmp_path)] == ["step-000010.npz", "step-000020.npz"]
    Snapshots(tmp_path, "stage07_full_cnn", 10, fresh=True)
    assert list_snapshots(tmp_path) == []
