"""Issue 24, training side: outputs never written through a link, a killed --overwrite leaves no
mixed run, logs stay small, and every bad input or edited checkpoint gets one line naming it."""

import os
import shutil

import numpy as np
import pytest

from shared.datasets import PARTS, load_sample
from shared.idx import write_idx
from stage07_full_cnn import train as train_module
from stage07_full_cnn.tests.test_bad_input import TINY, folder_snapshot, refused, rewrite
from stage07_full_cnn.train import main as train

LONG = "x" * 300  # a path component longer than the 255 bytes a file name may have


def dataset_folder(tmp_path, train_images, test_images=None):
    folder = tmp_path / "digits"
    folder.mkdir()
    test_images = load_sample().test_images[:20] if test_images is None else test_images
    arrays = [train_images, np.zeros(len(train_images), np.uint8), test_images, np.zeros(len(test_images), np.uint8)]
    for part, array in zip(PARTS, arrays):
        write_idx(folder / (part + ".gz"), array)
    return folder


def test_outputs_replace_a_planted_link_and_never_write_through_it(tmp_path, tiny_run):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    names = ["summary.json", "metrics.csv", "curves.png"]
    for name in names:
        (tmp_path / f"target-{name}").write_text("mine")
        (run / name).unlink()
        (run / name).symlink_to(tmp_path / f"target-{name}")
    train([*TINY, "--out", str(run), "--resume", "--epochs", "3"])
    for name in names:
        assert (tmp_path / f"target-{name}").read_text() == "mine", f"{name} was written through its link"
        assert not (run / name).is_symlink() and (run / name).stat().st_size > 0
    assert not list(run.glob("*.tmp"))


def test_a_killed_overwrite_run_leaves_no_old_outputs_beside_its_checkpoints(tmp_path, tiny_run, monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)

    def killed(out, history):
        raise KeyboardInterrupt

    monkeypatch.setattr(train_module, "write_metrics", killed)
    with pytest.raises(KeyboardInterrupt):
        train([*TINY, "--epochs", "1", "--out", str(run), "--overwrite"])
    assert (run / "best.npz").exists()
    assert not [name for name in ("summary.json", "curves.png", "metrics.csv") if (run / name).exists()]


def test_off_a_terminal_the_progress_bar_gives_way_to_one_line_per_epoch(tmp_path, capsys):
    train(["--dataset", "mnist-sample", "--limit", "640", "--epochs", "2", "--out", str(tmp_path / "run")])
    captured = capsys.readouterr()
    assert "\r" not in captured.err and "\r" not in captured.out
    assert sum(line.startswith("epoch ") for line in captured.out.splitlines()) == 2
    assert len(captured.err) < 200, captured.err[:200]


def test_divergence_is_caught_on_the_validation_loss_too(tmp_path, monkeypatch):
    monkeypatch.setattr(train_module, "evaluate", lambda model, x, y: (float("nan"), 0.1))
    message = refused([*TINY, "--epochs", "2", "--out", str(tmp_path / "run")])
    assert "the validation loss became nan after epoch 1" in message and "lower learning rate" in message


def _fifo_dataset(tmp_path):
    folder = dataset_folder(tmp_path, load_sample().train_images[:40])
    (folder / (PARTS[0] + ".gz")).unlink()
    os.mkfifo(folder / (PARTS[0] + ".gz"))
    return str(folder)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--seed", "-1"], "--seed -1: use a seed of 0 or more"),
        (["--resume", "--overwrite"], "--resume continues the run in --out and --overwrite replaces it"),
        (lambda tmp: ["--out", str(tmp / LONG)], "cannot be looked up (File name too long)"),
        (lambda tmp: ["--dataset", str(tmp / LONG)], "--dataset : cannot be looked up (File name too long)"),
        (lambda tmp: ["--dataset", _fifo_dataset(tmp)], "train-images-idx3-ubyte.gz: is a FIFO (named pipe)"),
        (lambda tmp: ["--dataset", str(dataset_folder(tmp, np.zeros((0, 28, 28), np.uint8)))],
         "its training file train-images-idx3-ubyte holds no images"),
        (lambda tmp: ["--dataset", str(dataset_folder(tmp, np.full((40, 28, 28), 7, np.uint8)))],
         "training images are all one shade (pixel standard deviation 0)"),
    ],
)  # fmt: skip
def test_bad_inputs_get_one_line_naming_them_before_the_out_folder_is_made(tmp_path, options, expected):
    options = options(tmp_path) if callable(options) else options
    out = ["--out", str(tmp_path / "run")] if "--out" not in options else []
    message = refused([*TINY, *out, *options])
    assert expected in message.replace(str(tmp_path / LONG), ""), message
    if "--seed" in options:
        assert not (tmp_path / "run").exists()


def _batch_rng(arrays, meta):
    meta["batch_rng"]["state"] = 5


def _noise_rng(arrays, meta):
    meta["noise_rng"] = {"bit_generator": "MT19937", "state": {"key": [], "pos": 0}}


def _history(arrays, meta):
    meta["history"] = [1, 2]


def _epochs(arrays, meta):
    meta["config"]["epochs"] = "3"


def _optimizer(arrays, meta):
    meta["config"]["optimizer"] = "lion"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_batch_rng, "its meta data 'batch_rng' is not a generator's state"),
        (_noise_rng, "its meta data 'noise_rng' is not a generator's state"),
        (_history, "its meta data history[0] lacks a number 'epoch'"),
        (_epochs, 'its saved config has epochs = "3", which cannot work (must be of type int)'),
        (_optimizer, 'its saved config has optimizer = "lion", which cannot work (must be one of'),
    ],
)
def test_resume_metadata_of_the_wrong_inner_type_is_refused(tmp_path, tiny_run, change, expected):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    rewrite(run / "last.npz", change)
    before = folder_snapshot(run)
    message = refused(["--no-progress", "--out", str(run), "--resume", "--epochs", "3"])  # to train on
    assert message.startswith("cannot resume: ") and expected in message, message
    assert folder_snapshot(run) == before
