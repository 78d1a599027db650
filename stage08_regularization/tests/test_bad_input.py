"""Issue 24, stage 8: buffers checked for meaning, the saved config and generators checked on resume,
a finished cosine run answered once, the ablation and benchmark refusing before any work."""

import json
import shutil

import pytest
from PIL import Image

from shared.datasets import load_sample
from stage07_full_cnn.tests.test_bad_input import folder_snapshot, refused_by, rewrite
from stage08_regularization import ablation, benchmark
from stage08_regularization import train as train_module
from stage08_regularization.train import main as train
from tools.evaluate import main as evaluate
from tools.predict import main as predict

TINY = ["--dataset", "mnist-sample", "--limit", "640", "--no-progress"]


@pytest.fixture
def unfinished8(tmp_path, tiny_run8):
    """A copy of the 2-epoch stage 8 run whose last.npz says it stopped after epoch 1 (enough for
    the refusals here, which all come before any training)."""
    run = tmp_path / "run"
    shutil.copytree(tiny_run8, run)

    def after_one_epoch(arrays, meta):
        meta["epoch"], meta["history"], meta["averaged"] = 1, meta["history"][:1], []
        for key in [k for k in arrays if k.startswith("average/")]:
            del arrays[key]

    rewrite(run / "last.npz", after_one_epoch)
    return run


def _negative_variance(arrays, meta):
    arrays["buffer/2.running_var"][3] = -0.5


def test_a_negative_running_variance_is_refused_by_the_tools_and_by_resume(tmp_path, unfinished8):
    run = unfinished8
    rewrite(run / "best.npz", _negative_variance)
    rewrite(run / "last.npz", _negative_variance)
    Image.fromarray(load_sample().test_images[0]).save(tmp_path / "d.png")  # a digit: predict would classify it
    expected = "buffer 2.running_var is negative in channel 3"
    assert expected in refused_by(predict, [str(run / "best.npz"), str(tmp_path / "d.png")])
    assert expected in refused_by(evaluate, [str(run / "best.npz"), "--out", str(tmp_path / "e")])
    before = folder_snapshot(run)
    assert expected in refused_by(train, ["--no-progress", "--out", str(run), "--resume"])
    assert folder_snapshot(run) == before


def _no_noise_rng(arrays, meta):
    del meta["noise_rng"]


def _no_batch_rng(arrays, meta):
    del meta["batch_rng"]


def _dropout(arrays, meta):
    meta["config"]["dropout"] = 1.5


def _batch_norm(arrays, meta):
    meta["config"]["batch_norm"] = "yes"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_no_noise_rng, "lacks 'noise_rng' (dict), which resuming needs; without the noise generator"),
        (_no_batch_rng, "lacks 'batch_rng' (dict), which resuming needs; without the batch order's generator"),
        (_dropout, "its saved config has dropout = 1.5, which cannot work (drop a share of at least 0 and below 1"),
        (_batch_norm, 'its saved config has batch_norm = "yes", which cannot work (must be of type bool)'),
    ],
)
def test_resume_refuses_a_checkpoint_whose_config_or_generators_cannot_continue_it(unfinished8, change, expected):
    run = unfinished8
    rewrite(run / "last.npz", change)
    before = folder_snapshot(run)
    message = refused_by(train, ["--no-progress", "--out", str(run), "--resume"])
    assert message.startswith("cannot resume: ") and expected in message and "--dropout 1.5" not in message
    assert folder_snapshot(run) == before


def _epoch_true(arrays, meta):
    meta["epoch"] = True


def test_the_tools_refuse_an_epoch_that_is_not_a_number(tmp_path, tiny_run8):
    rewrite_to = tmp_path / "best.npz"
    shutil.copy(tiny_run8 / "best.npz", rewrite_to)
    rewrite(rewrite_to, _epoch_true)
    assert "its meta data has no epoch number" in refused_by(evaluate, [str(rewrite_to), "--out", str(tmp_path)])


@pytest.mark.parametrize("epochs", [[], ["--epochs", "3"]])
def test_a_finished_cosine_run_gets_one_answer_not_a_circle(tmp_path, tiny_run8, epochs):
    run = tmp_path / "run"
    shutil.copytree(tiny_run8, run)
    message = refused_by(train, ["--no-progress", "--out", str(run), "--resume", *epochs])
    assert "has finished its 2 epochs" in message and "start a new run with --epochs" in message
    assert "resume without --epochs" not in message and "give --epochs above" not in message


def test_stage_8_resume_of_a_stage_7_run_names_the_right_command(tmp_path, tiny_run):
    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    message = refused_by(train, ["--no-progress", "--out", str(run), "--resume"])
    assert "holds a run of stage07_full_cnn" in message and "python -m stage07_full_cnn.train" in message


def test_stage_8_offers_no_threads_option_it_would_ignore(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        train(["--help"])
    assert info.value.code == 0 and "--threads" not in capsys.readouterr().out
    with pytest.raises(SystemExit) as info:
        train([*TINY, "--threads", "2", "--out", str(tmp_path / "run")])
    assert info.value.code == 2 and "unrecognized arguments: --threads 2" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_the_ablation_refuses_to_replace_runs_before_training_any(tmp_path, tiny_run8, monkeypatch):
    out = tmp_path / "ablation"
    shutil.copytree(tiny_run8, out / "all")
    (out / "base").mkdir()
    shutil.copy(tiny_run8 / "summary.json", out / "base")
    before = {name: folder_snapshot(out / name) for name in ("all", "base")}
    monkeypatch.setattr(ablation, "train", lambda argv: pytest.fail(f"trained {argv} before refusing"))
    message = refused_by(ablation.main, ["--epochs", "2", "--out", str(out)])
    assert "already holds the runs base, all" in message and "--resume" in message and "--overwrite" in message
    assert {name: folder_snapshot(out / name) for name in ("all", "base")} == before


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--rounds", "0"], "--rounds 0: time at least 1 step per side"),
        (["--rounds", "-5"], "--rounds -5: time at least 1 step per side"),
        (["--out", "FILE"], "this is a file, not a folder"),
        (["--out", "/proc/cnn-from-scratch-test"], "cannot write there"),
    ],
)
def test_the_benchmark_checks_its_options_before_measuring(tmp_path, monkeypatch, options, expected):
    (tmp_path / "FILE").write_text("mine")
    options = [str(tmp_path / "FILE") if o == "FILE" else o for o in options]
    monkeypatch.setattr(benchmark, "benchmark_images", lambda n: pytest.fail("measured before checking its options"))
    assert expected in refused_by(benchmark.main, options)
    assert (tmp_path / "FILE").read_text() == "mine"


def test_the_stage_8_recipe_checks_dropout_before_the_out_folder_is_made(tmp_path):
    message = refused_by(train, [*TINY, "--dropout", "1.5", "--out", str(tmp_path / "run")])
    assert message == "error: --dropout 1.5: drop a share of at least 0 and below 1 (0.5 is usual)"
    assert not (tmp_path / "run").exists() and train_module.RECIPE.check is not None


def test_the_ablation_resume_reuses_finished_runs_and_finishes_the_others(tmp_path, tiny_run8, monkeypatch):
    out = tmp_path / "ablation"
    shutil.copytree(tiny_run8, out / "all")  # finished: reused as it is
    shutil.copytree(tiny_run8, out / "base")
    rewrite(out / "base" / "last.npz", lambda arrays, meta: meta.update(epoch=1))  # stopped after epoch 1
    calls = []

    def fake_train(argv):
        calls.append(argv)
        folder = argv[argv.index("--out") + 1]
        shutil.copytree(tiny_run8, folder, dirs_exist_ok=True)
        return json.loads((tiny_run8 / "summary.json").read_text())

    monkeypatch.setattr(ablation, "train", fake_train)
    before = folder_snapshot(out / "all")
    ablation.main(["--epochs", "2", "--out", str(out), "--resume"])
    trained = {argv[argv.index("--out") + 1].rsplit("/", 1)[1]: argv for argv in calls}
    assert sorted(trained) == ["augment", "base", "batch-norm", "dropout"]
    assert "--resume" in trained["base"] and "--overwrite" not in trained["base"]
    assert all("--overwrite" in trained[name] for name in ("augment", "batch-norm", "dropout"))
    assert folder_snapshot(out / "all") == before and (out / "ablation.md").exists()
