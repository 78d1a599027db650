"""The tools serve any stage's checkpoint: the loader builds the network the checkpoint's own stage describes."""

import pytest

from tools.visualize import main as visualize


@pytest.mark.parametrize("stage", [7, 8])
def test_visualize_draws_either_stages_checkpoint(stage, tiny_run, tiny_run8, tmp_path):
    visualize([str((tiny_run if stage == 7 else tiny_run8) / "best.npz"), "--out", str(tmp_path)])
    assert (tmp_path / "filters.png").stat().st_size > 0 and (tmp_path / "feature_maps.png").stat().st_size > 0
