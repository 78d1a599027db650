"""Shared pytest fixtures. Tests marked `torch` compare against PyTorch (`nox -s parity`); tests marked
`browser` drive Debian's chromium through Playwright (`nox -s browser`)."""

import pytest


@pytest.fixture(scope="session")
def torch():
    """PyTorch, imported on demand: a missing torch fails the parity tests loudly, never skips them."""
    import torch

    torch.set_num_threads(1)  # idle OpenMP threads would spin against NumPy's BLAS threads
    return torch


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium, driven by Playwright. Missing: a failure in CI (CI=true), a skip that says how locally."""
    import os
    import shutil

    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        path = None
    if path is None:
        how = "apt-get install -y chromium, and pip install playwright (or run: nox -s browser)"
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests need chromium and Playwright: {how}")
        pytest.skip(f"no chromium or Playwright here: {how}")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield chromium
        chromium.close()


TINY_RUN = ["--dataset", "mnist-sample", "--limit", "640", "--epochs", "2", "--no-progress"]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A 2-epoch stage 7 run on 640 sample digits: its output folder, shared by the tests that only read it."""
    from stage07_full_cnn.train import main as train

    out = tmp_path_factory.mktemp("run")
    train([*TINY_RUN, "--out", str(out)])
    return out


@pytest.fixture(scope="session")
def tiny_run8(tmp_path_factory):
    """The same for stage 8 (batch norm, dropout and augmentation on): its output folder."""
    from stage08_regularization.train import main as train

    out = tmp_path_factory.mktemp("run8")
    train([*TINY_RUN, "--out", str(out)])
    return out
