"""Stage 8's bookkeeping: validation images are never augmented, and resume refuses the other stage's runs,
naming the command that resumes them."""

import shutil

import pytest

from stage01_fc.layers import evaluate
from stage07_full_cnn.checkpoint import load_checkpoint
from stage07_full_cnn.data import load_data
from stage07_full_cnn.train import main as train
from stage08_regularization.train import main as train8
from tools.loader import load_model


def test_validation_never_passes_through_augmentation(tiny_run8):
    """Stage 8 augments every training batch; the recorded validation loss is that of the clean validation images."""
    last = load_checkpoint(tiny_run8 / "last.npz")
    assert last.meta["config"]["augment"] is True
    data, _ = load_data(last.meta["config"])
    model, _ = load_model(tiny_run8 / "last.npz")
    val_loss, val_acc = evaluate(model, data["x_val"], data["y_val"])
    assert val_loss == pytest.approx(last.meta["history"][-1]["val_loss"], rel=1e-5)
    assert val_acc == last.meta["history"][-1]["val_acc"]


@pytest.mark.parametrize("stage", [7, 8])
def test_resume_refuses_a_run_of_the_other_stage_and_names_the_command(stage, tiny_run, tiny_run8, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(tiny_run if stage == 7 else tiny_run8, run)
    other = train8 if stage == 7 else train
    with pytest.raises(SystemExit) as info:
        other(["--out", str(run), "--resume", "--no-progress"])
    message = str(info.value.code)
    right = "stage07_full_cnn" if stage == 7 else "stage08_regularization"
    assert f"holds a run of {right}" in message and f"python -m {right}.train --out {run} --resume" in message
