"""Shared pytest fixtures. Tests marked `torch` compare against PyTorch: `nox -s parity` runs them."""

import pytest


@pytest.fixture(scope="session")
def torch():
    """PyTorch, imported on demand: a missing torch fails the parity tests loudly, never skips them."""
    import torch

    torch.set_num_threads(1)  # idle OpenMP threads would spin against NumPy's BLAS threads
    return torch
