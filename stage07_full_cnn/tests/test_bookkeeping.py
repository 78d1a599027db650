"""What a run reports is what it measured: the shipped checkpoint, its data statistics, its schedule, its
and its normalization. Each test here kills a bookkeeping bug that the math tests miss."""

import json

import numpy as np
import pytest

from shared.datasets import load_sample
from shared.preprocess import mean_std, train_val_split
from stage01_fc.layers import evaluate
from stage07_full_cnn.checkpoint import load_checkpoint
from stage07_full_cnn.data import load_data
from stage07_full_cnn.train import main as train
from tools.loader import load_model

TINY = ["--dataset", "mnist-sample", "--limit", "640", "--no-progress"]


def test_the_summary_is_an_evaluation_of_best_npz(tiny_run):
    summary = json.loads((tiny_run / "summary.json").read_text())
    data, _ = load_data(load_checkpoint(tiny_run / "best.npz").meta["config"])
    model, _ = load_model(tiny_run / "best.npz")
    loss, acc = evaluate(model, data["x_test"], data["y_test"])
    assert acc == summary["test_acc"] and loss == pytest.approx(summary["test_loss"], rel=1e-6)
    assert summary["epoch"] == 2 and summary["val_acc"] == evaluate(model, data["x_val"], data["y_val"])[1]


def test_best_npz_holds_the_last_epochs_weights_without_optimizer_state(tiny_run):
    best, last = load_checkpoint(tiny_run / "best.npz"), load_checkpoint(tiny_run / "last.npz")
    assert best.meta["epoch"] == last.meta["epoch"] == 2 and best.optimizer == {} and last.optimizer
    for name, value in last.params.items():
        np.testing.assert_array_equal(best.params[name], value, err_msg=name)


def test_the_normalization_comes_from_the_training_split_alone(tiny_run):
    meta = load_checkpoint(tiny_run / "best.npz").meta
    config = meta["config"]
    images = load_sample().train_images[: config["limit"]]
    train_idx, _ = train_val_split(len(images), config["val_fraction"], np.random.default_rng([config["seed"], 0]))
    mean, std = mean_std(images[train_idx])
    assert meta["data"]["mean"] == pytest.approx(mean, rel=1e-12)
    assert meta["data"]["std"] == pytest.approx(std, rel=1e-12)
    assert mean_std(load_sample().test_images) != pytest.approx((mean, std), rel=1e-3)  # would be told apart


def test_each_step_uses_the_rate_the_schedule_gives_for_it(tmp_path):
    """Step decay halving after every epoch: epoch 1's steps all run at 1e-3, epoch 2's at 5e-4."""
    schedule = ["--schedule", "step", "--step-epochs", "1", "--gamma", "0.5", "--epochs", "2"]
    train([*TINY, *schedule, "--out", str(tmp_path / "s")])
    history = load_checkpoint(tmp_path / "s" / "last.npz").meta["history"]
    assert [h["lr"] for h in history] == [1e-3, 5e-4]  # the rate of each epoch's last step
