"""The epoch benchmark's yardstick lists every matrix product of a training step, and no other."""

import numpy as np

from stage07_full_cnn.measure.products import flops, operands, products_seconds, step_products
from stage07_full_cnn.model import build_cnn


def test_the_plan_has_the_networks_multiply_adds():
    """2 x multiply-adds of forward, dW and dx (conv1 has no dx), counted from the architecture."""
    n = 5  # not a multiple of conv.CHUNK: the last block is smaller
    conv1, conv2 = 784 * 32 * 25, 196 * 64 * 800
    fc1, fc2 = 3136 * 128, 128 * 10
    expected = 2 * n * (2 * conv1 + 3 * conv2 + 3 * fc1 + 3 * fc2)
    assert flops(step_products(build_cnn(np.random.default_rng(0)), n)) == expected


def test_operands_have_the_steps_layouts():
    plan = step_products(build_cnn(np.random.default_rng(0)), 3)
    pairs = operands(plan)
    assert len(pairs) == len(plan)
    for (_, _, m, k, n, a_t, b_t), (a, b) in zip(plan, pairs):
        assert a.shape == (m, k) and b.shape == (k, n) and a.dtype == np.float32
        assert a.flags.f_contiguous == a_t and b.flags.f_contiguous == b_t  # a transposed view is Fortran order
    assert products_seconds([pairs[:2], pairs[2:4]], repeats=1) > 0
