"""The epoch benchmark's yardstick lists every matrix product of a training step, and no other."""

import numpy as np
import pytest

from stage01_fc.functional import softmax_cross_entropy
from stage07_full_cnn.measure.products import flops, operands, products_seconds, step_products
from stage07_full_cnn.model import build_cnn


def test_the_plan_has_the_networks_multiply_adds():
    """2 x multiply-adds of forward, dW and dx (conv1 has no dx), counted from the architecture."""
    n = 5  # not a multiple of the blocks of images: the last block is smaller
    conv1, fc1, fc2 = 784 * 32 * 25, 3136 * 128, 128 * 10
    # conv2 by Winograd's F(4x4, 5x5): 16 tiles of 8 x 8 per image, 32 channels in, 64 out
    P, C, F = 16 * n, 32, 64
    tiles = 3 * 64 * P * C * F  # M = V U forward, dU = V^T dM and dV = dM U^T backward
    kernels = 2 * (8 * 5 * 5 + 8 * 8 * 5) * C * F  # U = G g G^T and dW = G^T dU G, one axis at a time
    inputs = 2 * P * C * (8 * 8 * 8 + 8 * 8 * 8)  # V = B^T d B and dd = B dV B^T
    outputs = 2 * P * F * (4 * 8 * 8 + 4 * 4 * 8)  # Y = A^T M A and dM = A dY A^T
    conv2 = tiles + kernels + inputs + outputs
    expected = 2 * (n * (2 * conv1 + 3 * fc1 + 3 * fc2) + conv2)
    assert flops(step_products(build_cnn(np.random.default_rng(0)), n)) == expected


def test_the_plan_of_an_im2col_conv2_has_its_multiply_adds():
    n, model = 5, build_cnn(np.random.default_rng(0))
    model.layers[3].algorithm = "im2col"
    conv1, conv2, fc1, fc2 = 784 * 32 * 25, 196 * 64 * 800, 3136 * 128, 128 * 10
    assert flops(step_products(model, n)) == 2 * n * (2 * conv1 + 3 * conv2 + 3 * fc1 + 3 * fc2)


SEEN = []  # (m, k, n, a transposed, b transposed, count) of every product call a Recorded array took part in


class Recorded(np.ndarray):
    """An array that notes the shapes and layouts of every matrix product it takes part in."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul:  # a stack of matrices: one call, `count` products
            a, b = inputs[:2]
            count = int(np.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2])))
            one_a, one_b = a[(0,) * (a.ndim - 2)], b[(0,) * (b.ndim - 2)]
            SEEN.append((*a.shape[-2:], b.shape[-1], transposed(one_a), transposed(one_b), count))
        inputs = [plain(i) for i in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(plain(o) for o in kwargs["out"])
        result = getattr(ufunc, method)(*inputs, **kwargs)
        return result.view(Recorded) if isinstance(result, np.ndarray) else result


def plain(a):
    return a.view(np.ndarray) if isinstance(a, Recorded) else a


def transposed(a):
    return a.flags.f_contiguous and not a.flags.c_contiguous


@pytest.mark.parametrize("algorithm", ["winograd", "im2col"])
def test_the_plan_is_the_products_a_real_step_makes(algorithm):
    """Run a real training step on arrays that record their products; compare with the plan."""
    n, model = 9, build_cnn(np.random.default_rng(0))
    model.layers[3].algorithm = algorithm
    expected = sorted(p[2:] for p in step_products(model, n))
    for layer in model.layers:
        layer.params = {k: v.view(Recorded) for k, v in layer.params.items()}
    h = np.random.default_rng(1).standard_normal((n, 28, 28, 1), dtype=np.float32)
    SEEN.clear()
    for layer in model.layers:
        h = layer.forward(h.view(Recorded))
    _, d = softmax_cross_entropy(plain(h), np.zeros(n, int))
    for layer in reversed(model.layers):
        d = layer.backward(d.view(Recorded))
        d = d if d is not None else np.zeros(1)
    assert sorted(SEEN) == expected


def test_operands_have_the_steps_layouts():
    plan = step_products(build_cnn(np.random.default_rng(0)), 3)
    pairs = operands(plan)
    assert len(pairs) == len(plan)
    for (_, _, m, k, n, a_t, b_t, count), (a, b) in zip(plan, pairs):
        stack = () if count == 1 else (count,)
        assert a.shape == (*stack, m, k) and b.shape == (*stack, k, n) and a.dtype == np.float32
        one_a, one_b = a[(0,) * len(stack)], b[(0,) * len(stack)]
        assert transposed(one_a) == a_t and transposed(one_b) == b_t  # a transposed view is Fortran order
    assert products_seconds([pairs[:2], pairs[2:4]], repeats=1) > 0
