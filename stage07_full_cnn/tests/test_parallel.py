"""Data parallelism on threads gives the same numbers as one thread, up to rounding."""

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from stage01_fc.functional import softmax_cross_entropy
from stage07_full_cnn.model import build_cnn
from stage07_full_cnn.parallel import DataParallel, shares


def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def step(net, x, y):
    loss, dlogits = softmax_cross_entropy(net.forward(x), y)
    net.backward(dlogits)
    return loss, net.grads()


@pytest.mark.parametrize("threads", [2, 3])
def test_parallel_step_equals_one_thread(threads):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((7, 28, 28, 1)), rng.integers(0, 10, 7)  # 7 images: unequal shares
    model = build_cnn(np.random.default_rng(1), np.float64)
    loss, grads = step(model, x, y)
    with DataParallel(model, threads) as net:
        par_loss, par_grads = step(net, x, y)
        assert set(par_grads) == set(grads)
        np.testing.assert_allclose(net.predict(x, batch_size=2), model.predict(x), rtol=1e-12, atol=1e-12)
    assert par_loss == pytest.approx(loss, rel=1e-12)
    for name, g in grads.items():
        np.testing.assert_allclose(par_grads[name], g, rtol=1e-10, atol=1e-12, err_msg=name)


def test_replicas_share_the_parameters_and_keep_their_own_caches():
    model = build_cnn(np.random.default_rng(1))
    with DataParallel(model, 2) as net:
        a, b = net.replicas
        assert all(a.params()[k] is v and b.params()[k] is v for k, v in model.params().items())
        a.forward(np.zeros((1, 28, 28, 1), np.float32))
        assert a.layers[0].cache is not None and b.layers[0].cache is None and model.layers[0].cache is None


def test_blas_is_held_to_one_thread_only_while_open():
    before = blas_threads()
    with DataParallel(build_cnn(np.random.default_rng(1)), 2):
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before


def test_shares_cover_the_batch_in_order_without_empty_ones():
    assert shares(7, 2) == [slice(0, 4), slice(4, 7)]
    assert shares(64, 2) == [slice(0, 32), slice(32, 64)]
    assert shares(1, 2) == [slice(0, 1)]


def test_a_batch_smaller_than_the_thread_count_uses_only_fresh_gradients():
    rng = np.random.default_rng(0)
    model = build_cnn(np.random.default_rng(1), np.float64)
    x, y = rng.standard_normal((4, 28, 28, 1)), rng.integers(0, 10, 4)
    with DataParallel(model, 2) as net:
        step(net, x, y)  # both replicas hold gradients now
        _, grads = step(net, x[:1], y[:1])  # a last batch of one image: one replica
    _, expected = step(model, x[:1], y[:1])
    for name, g in expected.items():
        np.testing.assert_allclose(grads[name], g, rtol=1e-10, atol=1e-12, err_msg=name)
