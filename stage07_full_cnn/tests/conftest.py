import pytest

from stage07_full_cnn.train import main as train


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A 2-epoch run on 640 sample digits: its output folder, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("run")
    train(["--dataset", "mnist-sample", "--limit", "640", "--epochs", "2", "--out", str(out), "--no-progress"])
    return out
