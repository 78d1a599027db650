"""RMSProp (a workbook exercise): by hand, its first step's size, convergence, state and dtype."""

import math

import numpy as np
import pytest

from workbook.solutions.rmsprop import RMSProp


def test_two_steps_by_hand():
    opt, params = RMSProp(lr=0.01, alpha=0.9, eps=1e-8), {"p": np.array([1.0])}
    opt.step(params, {"p": np.array([2.0])})
    v1 = 0.1 * 4.0
    p1 = 1.0 - 0.01 * 2.0 / (math.sqrt(v1) + 1e-8)
    assert params["p"][0] == pytest.approx(p1, abs=1e-15)
    opt.step(params, {"p": np.array([-1.0])})
    v2 = 0.9 * v1 + 0.1 * 1.0
    assert params["p"][0] == pytest.approx(p1 + 0.01 / (math.sqrt(v2) + 1e-8), abs=1e-15)


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_first_step_is_lr_over_sqrt_one_minus_alpha_whatever_the_scale(scale):
    g = np.random.default_rng(0).standard_normal(50) * scale
    params = {"p": np.zeros(50)}
    RMSProp(lr=1e-3, alpha=0.99, eps=1e-12).step(params, {"p": g})
    np.testing.assert_allclose(np.abs(params["p"]), 1e-3 / math.sqrt(0.01), rtol=1e-6)


def test_converges_on_a_convex_quadratic():
    rng = np.random.default_rng(0)
    q = rng.standard_normal((5, 5))
    A, c = q @ q.T / 5 + np.eye(5), rng.standard_normal(5)
    opt, params = RMSProp(lr=1e-2), {"p": np.zeros(5)}
    for _ in range(3000):
        opt.step(params, {"p": A @ (params["p"] - c)})
    np.testing.assert_allclose(params["p"], c, atol=2e-2)  # RMSProp's steps stay near lr: it hovers close to c


def test_state_round_trip_and_dtype():
    rng = np.random.default_rng(1)
    grads = [{"w": rng.standard_normal(3).astype(np.float32)} for _ in range(4)]
    a, pa = RMSProp(0.01), {"w": np.ones(3, np.float32)}
    for g in grads[:2]:
        a.step(pa, g)
    b, pb = RMSProp(0.01), {"w": pa["w"].copy()}
    b.load_state_dict(a.state_dict())
    assert set(a.state_dict()) == {"step_count", "w/square_avg"}
    for g in grads[2:]:
        a.step(pa, g)
        b.step(pb, g)
    np.testing.assert_array_equal(pa["w"], pb["w"])
    assert pa["w"].dtype == np.float32 and a.state["w"]["square_avg"].dtype == np.float32
