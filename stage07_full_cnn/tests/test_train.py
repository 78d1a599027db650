import csv
import dataclasses
import json

import numpy as np
import pytest

from shared import datasets
from stage07_full_cnn import train as train_module
from stage07_full_cnn.checkpoint import load_checkpoint
from stage07_full_cnn.train import main as train

TINY = ["--dataset", "mnist-sample", "--limit", "640", "--no-progress"]


def params_of(path):
    return load_checkpoint(path).params


def test_a_run_writes_everything(tiny_run):
    for name in ("best.npz", "last.npz", "metrics.csv", "summary.json", "curves.png"):
        assert (tiny_run / name).stat().st_size > 0
    rows = list(csv.DictReader((tiny_run / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert summary["dataset"] == "mnist-sample" and 0.5 < summary["test_acc"] <= 1.0
    last = load_checkpoint(tiny_run / "last.npz")
    assert last.meta["epoch"] == 2 and last.optimizer["step_count"] == 2 * 9  # 576 images / 64


def test_same_seed_gives_bit_identical_weights(tmp_path):
    for name in ("a", "b"):
        train([*TINY, "--epochs", "1", "--out", str(tmp_path / name)])
    a, b = params_of(tmp_path / "a" / "last.npz"), params_of(tmp_path / "b" / "last.npz")
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_resume_reaches_the_same_weights_as_an_uninterrupted_run(tmp_path, tiny_run):
    out = str(tmp_path / "r")
    train([*TINY, "--epochs", "1", "--out", out])  # "interrupted" after epoch 1
    train([*TINY, "--epochs", "2", "--out", out, "--resume"])
    resumed, straight = load_checkpoint(tmp_path / "r" / "last.npz"), load_checkpoint(tiny_run / "last.npz")
    for k in straight.params:
        np.testing.assert_array_equal(resumed.params[k], straight.params[k])
    for k in straight.optimizer:
        np.testing.assert_array_equal(resumed.optimizer[k], straight.optimizer[k])
    assert resumed.meta["history"][1]["val_acc"] == straight.meta["history"][1]["val_acc"]


def test_divergence_stops_with_advice_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "d"
    train([*TINY, "--epochs", "1", "--out", str(out)])
    before = {name: (out / name).read_bytes() for name in ("best.npz", "last.npz")}

    def nan_loss(logits, y):
        return float("nan"), np.zeros_like(logits)

    monkeypatch.setattr(train_module, "softmax_cross_entropy", nan_loss)
    with pytest.raises(SystemExit) as info:
        train([*TINY, "--epochs", "2", "--out", str(out), "--resume"])
    message = str(info.value.code)
    assert "the loss became nan" in message and "lower learning rate" in message and "best.npz" in message
    assert {name: (out / name).read_bytes() for name in before} == before


def test_asking_for_mnist_never_falls_back(tmp_path, monkeypatch):
    spec = dataclasses.replace(datasets.SOURCES["mnist"], mirrors=("http://127.0.0.1:9/",))
    monkeypatch.setitem(datasets.SOURCES, "mnist", spec)
    with pytest.raises(SystemExit) as info:
        train(["--dataset", "mnist", "--data-dir", str(tmp_path), "--out", str(tmp_path / "o"), "--no-progress"])
    assert "Dataset 'mnist' is not on this machine" in str(info.value.code)


def test_auto_falls_back_to_the_sample_with_a_banner(tmp_path, monkeypatch, capsys):
    spec = dataclasses.replace(datasets.SOURCES["mnist"], mirrors=("http://127.0.0.1:9/",))
    monkeypatch.setitem(datasets.SOURCES, "mnist", spec)
    args = ["--data-dir", str(tmp_path), "--limit", "128", "--epochs", "1", "--out", str(tmp_path / "o")]
    summary = train([*args, "--no-progress"])
    assert summary["dataset"] == "mnist-sample"
    assert "MNIST is not available, so this run trains on the embedded mnist-sample" in capsys.readouterr().out


def test_resume_without_a_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit) as info:
        train([*TINY, "--out", str(tmp_path), "--resume"])
    assert "cannot resume" in str(info.value.code) and "no such checkpoint" in str(info.value.code)
