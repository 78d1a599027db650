"""Every bad option, run folder and checkpoint gets one clear line and a non-zero exit; nothing is lost."""

import json
import shutil

import numpy as np
import pytest

from shared.datasets import PARTS, load_sample
from shared.idx import write_idx
from stage07_full_cnn import train as train_module
from stage07_full_cnn.checkpoint import load_checkpoint, save_checkpoint
from stage07_full_cnn.train import main as train
from tools.evaluate import main as evaluate

TINY = ["--dataset", "mnist-sample", "--limit", "640", "--no-progress"]


def refused_by(program, argv):
    """Run program(argv), expecting it to stop with one line naming the problem; return that line."""
    with pytest.raises(SystemExit) as info:
        program(argv)
    message = str(info.value.code)
    assert info.value.code not in (0, None) and "\n" not in message and "Traceback" not in message
    return message


def refused(argv):
    """refused_by stage 7's training program."""
    return refused_by(train, argv)


def folder_snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--epochs", "0"], "--epochs 0: train at least 1 epoch"),
        (["--epochs", "-3"], "--epochs -3: train at least 1 epoch"),
        (["--batch-size", "0"], "--batch-size 0: use at least 1 image per step"),
        (["--batch-size", "-5"], "--batch-size -5: use at least 1 image per step"),
        (["--lr", "0"], "--lr 0.0: the learning rate must be a positive number"),
        (["--lr=-1e-3"], "--lr -0.001: the learning rate must be a positive number"),
        (["--lr", "nan"], "--lr nan: the learning rate must be a positive number"),
        (["--lr", "inf"], "--lr inf: the learning rate must be a positive number"),
        (["--val-fraction", "0"], "--val-fraction 0.0: hold out a share between 0 and 1"),
        (["--val-fraction", "1"], "--val-fraction 1.0: hold out a share between 0 and 1"),
        (["--limit", "0"], "--limit 0: use at least 1 image"),
        (["--limit", "-3900"], "--limit -3900: use at least 1 image"),
        (["--step-epochs", "0"], "--step-epochs 0: decay every 1 or more epochs"),
        (["--gamma", "0"], "--gamma 0.0: the decay factor must be a positive number"),
        (["--weight-decay", "-0.1"], "--weight-decay -0.1: weight decay must be 0 or more"),
        (["--warmup-epochs", "-1"], "--warmup-epochs -1.0: warm up for 0 or more epochs"),
        (["--epochs", "2", "--warmup-epochs", "3"], "--warmup-epochs 3.0: the warm-up must end before the run does"),
        (["--threads", "0"], "--threads 0: use at least 1 thread"),
        (["--limit", "4"], "4 training images split into 4 for training and 0 for validation"),
        (["--dataset", "cifar"], "unknown dataset 'cifar'"),
    ],
)
def test_bad_options_are_refused_with_the_fix(tmp_path, options, expected):
    message = refused([*TINY, "--out", str(tmp_path / "run"), *options])
    assert expected in message
    assert not (tmp_path / "run" / "last.npz").exists()


def test_images_the_network_cannot_use_are_refused_before_training(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    for part, array in zip(PARTS, [np.zeros((8, 32, 32), np.uint8), np.zeros(8, np.uint8)] * 2):
        write_idx(folder / (part + ".gz"), array)
    message = refused(["--dataset", str(folder), "--out", str(tmp_path / "run"), "--no-progress"])
    assert "train-images-idx3-ubyte.gz: holds uint8 images of 32x32 pixels; this network needs" in message


def test_a_dataset_without_test_images_is_refused_before_training(tmp_path):
    folder = tmp_path / "no-test"
    folder.mkdir()
    arrays = [
        np.zeros((40, 28, 28), np.uint8),
        np.zeros(40, np.uint8),
        np.zeros((0, 28, 28), np.uint8),
        np.zeros(0, np.uint8),
    ]
    for part, array in zip(PARTS, arrays):
        write_idx(folder / (part + ".gz"), array)
    assert "has no test images" in refused(["--dataset", str(folder), "--out", str(tmp_path / "run"), "--no-progress"])


def test_out_that_is_a_file_or_unwritable(tmp_path):
    (tmp_path / "file").write_text("mine")
    assert "this is a file, not a folder" in refused([*TINY, "--out", str(tmp_path / "file")])
    assert (tmp_path / "file").read_text() == "mine"
    assert "cannot write there" in refused([*TINY, "--out", "/proc/cnn-from-scratch-test"])


def test_a_new_run_never_replaces_an_old_one_silently(tiny_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    before = folder_snapshot(run)
    message = refused([*TINY, "--epochs", "1", "--out", str(run)])
    assert "already holds a run" in message and "--resume" in message and "--overwrite" in message
    assert folder_snapshot(run) == before
    train([*TINY, "--epochs", "1", "--out", str(run), "--overwrite"])  # said explicitly: replaced
    assert load_checkpoint(run / "last.npz").meta["epoch"] == 1


def test_divergence_is_caught_even_while_the_loss_stays_finite(tmp_path):
    message = refused([*TINY, "--epochs", "1", "--lr", "1e3", "--out", str(tmp_path / "run")])
    assert "Training stopped: the loss became" in message and "lower learning rate" in message


# Resume continues THE run.


def interrupted_after_one_epoch(tmp_path, monkeypatch, options):
    """A run of 2 epochs that was killed after saving epoch 1."""
    run = tmp_path / "run"

    def crash(out, history):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(train_module, "write_metrics", crash)
        with pytest.raises(KeyboardInterrupt):
            train([*TINY, *options, "--out", str(run)])
    assert load_checkpoint(run / "last.npz").meta["epoch"] == 1
    return run


def test_resume_without_epochs_finishes_the_run_as_planned_cosine_included(tmp_path, monkeypatch):
    cosine = ["--epochs", "2", "--schedule", "cosine", "--lr", "2e-3"]
    run = interrupted_after_one_epoch(tmp_path, monkeypatch, cosine)
    train([*TINY, "--out", str(run), "--resume"])
    straight = tmp_path / "straight"
    train([*TINY, *cosine, "--out", str(straight)])
    resumed, expected = load_checkpoint(run / "last.npz"), load_checkpoint(straight / "last.npz")
    assert resumed.meta["epoch"] == 2 and resumed.meta["config"]["epochs"] == 2
    assert [h["lr"] for h in resumed.meta["history"]] == [h["lr"] for h in expected.meta["history"]]
    for name, value in expected.params.items():
        np.testing.assert_array_equal(resumed.params[name], value, err_msg=name)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--lr", "0.01"], "with --lr 0.001; drop --lr 0.01"),
        (["--batch-size", "32"], "with --batch-size 64; drop --batch-size 32"),
        (["--optimizer", "sgd"], "with --optimizer adam; drop --optimizer sgd"),
        (["--dataset", "auto"], "with --dataset mnist-sample; drop --dataset auto"),
        (["--limit", "320"], "with --limit 640; drop --limit 320"),
        (["--epochs", "3"], "cosine schedule was planned for 2 epochs"),
    ],
)
def test_resume_refuses_options_that_would_change_the_run(tmp_path, monkeypatch, options, expected):
    run = interrupted_after_one_epoch(tmp_path, monkeypatch, ["--epochs", "2", "--schedule", "cosine"])
    before = folder_snapshot(run)
    assert expected in refused(["--no-progress", "--out", str(run), "--resume", *options])
    assert folder_snapshot(run) == before


def test_resume_with_epochs_already_reached(tmp_path, tiny_run):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    assert "has already trained 2 epochs; give --epochs above 2" in refused(
        [*TINY, "--out", str(run), "--resume", "--epochs", "2"]
    )


def test_resume_refuses_data_that_changed(tmp_path, monkeypatch):
    folder = tmp_path / "digits"
    folder.mkdir()
    sample = load_sample()
    arrays = [sample.train_images[:300], sample.train_labels[:300], sample.test_images[:50], sample.test_labels[:50]]
    for part, array in zip(PARTS, arrays):
        write_idx(folder / (part + ".gz"), array.astype(np.uint8))
    run = tmp_path / "run"
    with monkeypatch.context() as m:
        m.setattr(train_module, "write_metrics", lambda out, history: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            train(["--dataset", str(folder), "--epochs", "2", "--out", str(run), "--no-progress"])
    write_idx(folder / (PARTS[1] + ".gz"), arrays[1][::-1].astype(np.uint8))  # the labels changed on disk
    assert "the files found now" in refused(["--out", str(run), "--resume", "--no-progress"])


def rewrite(path, change):
    """Rewrite the checkpoint at `path` with change(arrays, meta) applied (arrays: name -> array, meta as a
    dict), keeping every entry."""
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays.pop("meta")))
    change(arrays, meta)
    meta.pop("format", None)
    part = {p: {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith(p + "/")} for p in
            ("param", "optim", "buffer")}  # fmt: skip
    save_checkpoint(path, part["param"], part["optim"], meta, part["buffer"])


def _shape(arrays, meta):
    arrays["param/7.W"] = arrays["param/7.W"][:100]


def _nan(arrays, meta):
    arrays["param/3.b"][0] = np.nan


def _no_moments(arrays, meta):
    for key in [k for k in arrays if k.startswith("optim/") and k.endswith("/m")]:
        del arrays[key]


def _no_step_count(arrays, meta):
    del arrays["optim/step_count"]


def _no_rng(arrays, meta):
    del meta["batch_rng"]


def _no_fingerprint(arrays, meta):
    del meta["data"]["fingerprint"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_shape, "parameter 7.W is float32[100, 128], the model needs float32[3136, 128]"),
        (_nan, "parameter 3.b holds NaN or infinite values"),
        (_no_moments, "the optimizer state lacks 0.W/m"),
        (_no_step_count, "the optimizer state has no step count"),
        (_no_rng, "its meta data lacks 'batch_rng'"),
        (_no_fingerprint, "does not record which training data it saw"),
    ],
)
def test_resume_from_a_broken_checkpoint_is_refused_clearly(tmp_path, tiny_run, change, expected):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    rewrite(run / "last.npz", change)
    before = folder_snapshot(run)
    message = refused([*TINY, "--out", str(run), "--resume", "--epochs", "3"])
    assert message.startswith("cannot resume: ") and expected in message
    assert folder_snapshot(run) == before


def test_a_killed_save_leaves_no_orphan_behind_the_next_save(tmp_path, tiny_run):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    (run / "last.npzk2j3.tmp").write_bytes(b"half a checkpoint")
    train([*TINY, "--out", str(run), "--resume", "--epochs", "3"])
    assert not list(run.glob("*.tmp"))


# evaluate and visualize


def test_evaluate_reports_dataset_errors_and_reads_only_the_test_files(tmp_path):
    folder = tmp_path / "digits"
    folder.mkdir()
    sample = load_sample()
    arrays = [sample.train_images[:200], sample.train_labels[:200], sample.test_images[:60], sample.test_labels[:60]]
    for part, array in zip(PARTS, arrays):
        write_idx(folder / (part + ".gz"), array.astype(np.uint8))
    train(["--dataset", str(folder), "--epochs", "1", "--out", str(tmp_path / "run"), "--no-progress"])
    for part in PARTS[:2]:
        (folder / (part + ".gz")).unlink()  # evaluate needs only the test files, found by full path
    assert evaluate([str(tmp_path / "run" / "best.npz"), "--out", str(tmp_path / "e")]).sum() == 60
    (folder / (PARTS[2] + ".gz")).write_bytes(b"\x1f\x8b damaged")
    with pytest.raises(SystemExit) as info:
        evaluate([str(tmp_path / "run" / "best.npz"), "--out", str(tmp_path / "e")])
    assert str(info.value.code).startswith("error: ") and "t10k-images-idx3-ubyte.gz" in str(info.value.code)
    with pytest.raises(SystemExit) as info:
        evaluate([str(tmp_path / "run" / "best.npz"), "--dataset", str(tmp_path / "nowhere")])
    assert "unknown dataset" in str(info.value.code)
