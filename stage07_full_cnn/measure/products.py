"""The matrix products of one training step, at their own shapes: the epoch benchmark's yardstick.

A training step is matrix products (BLAS) and everything else (copies, pooling,
ReLU, Adam: NumPy on one core each). To say how much of a step is overhead, time the
step's own products alone, with the same operands' shapes and memory layouts and the
same threads, and divide. A 2048x2048 matmul is a poor yardstick: on a shared
machine its speed moved by 1.9x within minutes, and the step's products are far
smaller (800 to 25,088 rows), so they run at their own, lower, rate.

    plan = step_products(model, 32)            # one data-parallel share of a batch of 64
    seconds = products_seconds([operands(plan), operands(plan)], repeats=20)   # on two threads

Each product is (layer index, phase, m, k, n, a_transposed, b_transposed, count): an
(m, k) times (k, n) product whose left operand is a transposed view when a_transposed
(as dout_mat.T @ cols is in conv_backward), likewise the right one (dout @ w.T); count
> 1 is a stack of that many such products in one call, as `V @ U` with 3-D operands is
in winograd.py (NumPy runs the stack as one call, BLAS once per matrix).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from shared.benchmark import median_time
from shared.shapes import conv_output_size
from stage01_fc.layers import Linear
from stage04_im2col import conv, winograd
from stage04_im2col.layers import Conv2D


def conv_products(i, layer, x_shape):
    """The products of Conv2D `layer` (index i) on input (N, H, W, C) in one training step."""
    if layer.algorithm == "winograd":
        return winograd_products(i, layer, x_shape)
    n, h, w, c = x_shape
    f, _, kh, kw = layer.params["W"].shape
    ho, wo = (conv_output_size(s, kh, layer.stride, layer.pad) for s in (h, w))
    blocks = [n] if c == 1 else [min(conv.CHUNK, n - start) for start in range(0, n, conv.CHUNK)]
    w_transposed = not conv.weights_as_matrix(layer.params["W"]).flags.c_contiguous  # a view for one channel
    plan = [(i, "forward", b * ho * wo, kh * kw * c, f, c == 1, w_transposed, 1) for b in blocks]
    plan.append((i, "backward", f, n * ho * wo, kh * kw * c, True, c == 1, 1))  # dW = dout_mat.T @ cols
    if layer.need_dx:  # conv_input_grad: per block, one product for all kernel rows
        plan += [(i, "backward", b * ho * w, kw * f, kh * c, False, False, 1) for b in blocks]
    return plan


def along_both_axes(i, phase, jh, kh, jw, kw, rest, transposed=False):
    """The products of winograd.along_both_axes on a (kh, kw, rest) array."""
    return [(i, phase, jh, kh, kw * rest, transposed, False, 1), (i, phase, jw, kw, rest, transposed, False, jh)]


def winograd_products(i, layer, x_shape):
    """The products of a Winograd Conv2D `layer` in one training step: transforms and tile products."""
    n, h, w, c = x_shape
    f, _, kh, kw = layer.params["W"].shape
    m = winograd.TILE
    th, tw = winograd.tiles(*(conv_output_size(s, kh, 1, layer.pad) for s in (h, w)), m)
    nh, nw = m + kh - 1, m + kw - 1
    plan = along_both_axes(i, "forward", nh, kh, nw, kw, c * f)  # U = G g G^T
    for start in range(0, n, winograd.CHUNK):
        p = min(winograd.CHUNK, n - start) * th * tw  # this block's tiles
        plan += along_both_axes(i, "forward", nh, nh, nw, nw, p * c)  # V = B^T d B
        plan.append((i, "forward", p, c, f, False, False, nh * nw))  # M = V U
        plan += along_both_axes(i, "forward", m, nh, m, nw, p * f)  # Y = A^T M A
    for start in range(0, n, winograd.CHUNK):
        p = min(winograd.CHUNK, n - start) * th * tw
        plan += along_both_axes(i, "backward", nh, m, nw, m, p * f, transposed=True)  # dM = A dY A^T
        plan.append((i, "backward", c, p, f, True, False, nh * nw))  # dU = V^T dM
        if layer.need_dx:
            plan.append((i, "backward", p, f, c, False, True, nh * nw))  # dV = dM U^T
            plan += along_both_axes(i, "backward", nh, nh, nw, nw, p * c, transposed=True)  # dd = B dV B^T
    return plan + along_both_axes(i, "backward", kh, nh, kw, nw, c * f, transposed=True)  # dW = G^T dU G


def step_products(model, n):
    """Every matrix product of a training step of `model` on n images (28x28x1 inputs), in order."""
    x, plan = np.zeros((n, 28, 28, 1), np.float32), []
    for i, layer in enumerate(model.layers):
        if isinstance(layer, Conv2D):
            plan += conv_products(i, layer, x.shape)
        elif isinstance(layer, Linear):
            d, m = layer.params["W"].shape
            plan += [(i, "forward", n, d, m, False, False, 1)]
            plan += [(i, "backward", d, n, m, True, False, 1), (i, "backward", n, m, d, False, True, 1)]  # dW, dx
        x = layer.forward(x, train=False)
    return plan


def flops(plan):
    return sum(2 * m * k * n * count for _, _, m, k, n, _, _, count in plan)


def operands(plan, dtype=np.float32):
    """Random operands for every product of `plan`, in the layouts the step uses."""
    rng = np.random.default_rng(0)

    def matrix(rows, cols, transposed, count):
        stack = () if count == 1 else (count,)
        if transposed:  # each matrix in Fortran order, as a transposed view is
            return np.swapaxes(rng.standard_normal((*stack, cols, rows), dtype=dtype), -1, -2)
        return rng.standard_normal((*stack, rows, cols), dtype=dtype)

    return [(matrix(m, k, at, count), matrix(k, n, bt, count)) for _, _, m, k, n, at, bt, count in plan]


def run_products(pairs):
    for a, b in pairs:
        a @ b


def products_seconds(per_thread, repeats):
    """Seconds of `repeats` runs of the products on each thread at once: per_thread[t] is thread t's
    operands (operands(plan) of its share), BLAS held to one thread per call, as DataParallel trains."""
    with threadpool_limits(1, user_api="blas"), ThreadPoolExecutor(len(per_thread)) as pool:
        list(pool.map(run_products, per_thread))  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            list(pool.map(run_products, per_thread))
        return time.perf_counter() - start


def layer_products_seconds(plan, repeats=10):
    """{(layer index, phase): median seconds of its products}, on this thread with BLAS as it is."""
    pairs = operands(plan)
    result = {}
    for key in dict.fromkeys((i, phase) for i, phase, *_ in plan):
        mine = [pair for pair, p in zip(pairs, plan) if p[:2] == key]
        result[key] = median_time(lambda: run_products(mine), repeats)
    return result
