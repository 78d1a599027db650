"""Every picture command draws its pictures (what they show is computed by the stages'
own functions, which their own tests check)."""

import importlib
import json

import pytest

PICTURES = {
    "shared.data_pictures": ["digits.png", "datasets.json"],
    "stage01_fc.pictures": ["init_scales.png", "init_scales.json"],
    "stage02_naive_conv.pictures": ["sliding_window.png"],
    "stage03_pooling.pictures": ["pool_routing.png"],
    "stage04_im2col.pictures": ["im2col.png", "input_grad.png"],
    "stage05_strided_pool.pictures": ["strided_view.png"],
    "stage06_optimizers.pictures": ["trajectories.png", "schedules.png"],
    "stage07_full_cnn.pictures": ["network.png", "network.json"],
}


@pytest.mark.parametrize("module", PICTURES)
def test_picture_command_writes_its_pictures(module, tmp_path):
    importlib.import_module(module).main(["--out", str(tmp_path)])
    for name in PICTURES[module]:
        if name.endswith(".json"):  # the numbers behind the picture, which the pages quote
            assert json.loads((tmp_path / name).read_text()), f"{module} wrote an empty {name}"
        else:
            assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{module} did not write {name}"


def test_the_optimizer_trajectories_reach_the_valley():
    """The picture's claim: with its learning rates, each optimizer gets close to the minimum."""
    from stage06_optimizers.pictures import CURVATURE, RUNS, START, trajectory

    start_loss = (CURVATURE * START**2).sum() / 2
    for name, make in RUNS.items():
        final = trajectory(make())[-1]
        assert (CURVATURE * final**2).sum() / 2 < 0.01 * start_loss, name
