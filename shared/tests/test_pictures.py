"""Every picture command draws its pictures (what they show is computed by the stages'
own functions, which their own tests check)."""

import importlib
import json

import pytest

PICTURES = {
    "shared.data_pictures": ["digits.png", "datasets.json"],
    "stage01_fc.pictures": ["init_scales.png", "init_scales.json"],
    "stage01_fc.graph_picture": ["graph.png"],
    "stage02_naive_conv.pictures": ["sliding_window.png", "input_gradient.png"],
    "stage02_naive_conv.core_pictures": ["hand_kernels.png", "equivariance.png", "channels.png", "receptive_field.png"],
    "stage03_pooling.pictures": ["pool_routing.png"],
    "stage04_im2col.pictures": ["im2col.png", "col2im.png", "input_grad.png"],
    "stage05_strided_pool.pictures": ["strided_view.png"],
    "stage06_optimizers.pictures": ["trajectories.png", "schedules.png"],
    "stage07_full_cnn.pictures": ["network.png", "network.json", "start.json"],
    "stage08_regularization.pictures": ["augmented.png", "batchnorm.png", "dropout.png"],
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


def test_the_figures_numbers_say_what_the_pages_say(tmp_path):
    """The claims the pages draw from these JSON files: exact equivariance, the CNN's receptive
    fields, and the start of training well above a uniform guess."""
    import json

    for module in ("stage02_naive_conv.core_pictures", "stage07_full_cnn.pictures"):
        importlib.import_module(module).main(["--out", str(tmp_path)])
    equivariance = json.loads((tmp_path / "equivariance.json").read_text())
    assert equivariance["max_abs_difference"] == 0.0 < equivariance["max_abs_response"]
    fields = json.loads((tmp_path / "receptive_field.json").read_text())["layers"]
    assert [layer["field"] for layer in fields] == [5, 6, 14, 16]
    start = json.loads((tmp_path / "start.json").read_text())
    assert start["receptive_field_of_the_flattened_features"] == 16
    assert start["untrained"]["loss"] > start["untrained"]["uniform_guess_loss"]


def test_pooling_makes_features_less_sensitive_to_a_shift(tmp_path):
    """Stage 3's measured claim, and the bug its tie experiment plants differs from the rule only on ties."""
    import json

    import numpy as np

    from stage03_pooling.experiments import maxpool_backward_every_tie, shift_experiment
    from stage03_pooling.pool import maxpool_backward_naive, maxpool_forward_naive

    shift_experiment(tmp_path)
    change = json.loads((tmp_path / "shift.json").read_text())["mean_relative_change"]
    assert change["2x2 max pool"] < change["2x2 average pool"] < change["no pooling"]
    rng = np.random.default_rng(0)
    x, dout = rng.standard_normal((2, 3, 4, 6)), rng.standard_normal((2, 3, 2, 3))
    _, cache = maxpool_forward_naive(x)
    np.testing.assert_array_equal(maxpool_backward_every_tie(dout, cache), maxpool_backward_naive(dout, cache))
    _, cache = maxpool_forward_naive(np.zeros((1, 1, 2, 2)))
    assert maxpool_backward_every_tie(np.ones((1, 1, 1, 1)), cache).sum() == 4  # the bug: all four zeros
