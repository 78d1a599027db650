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
