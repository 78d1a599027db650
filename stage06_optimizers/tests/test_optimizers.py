import math

import numpy as np
import pytest

from stage06_optimizers.optimizers import SGD, Adam, AdamW
from stage06_optimizers.schedules import constant, cosine, step_decay


def one_step(opt, p, g):
    params = {"p": np.array(p, dtype=np.float64)}
    opt.step(params, {"p": np.array(g, dtype=np.float64)})
    return params["p"]


def test_sgd_by_hand():
    np.testing.assert_allclose(one_step(SGD(0.1), [1.0, -2.0], [0.5, 1.0]), [0.95, -2.1])


@pytest.mark.parametrize(("nesterov", "updates"), [(False, [1.0, 1.9]), (True, [1.9, 2.71])])
def test_momentum_and_nesterov_by_hand(nesterov, updates):
    # gradient 1 twice, mu = 0.9: velocity 1 then 0.9 * 1 + 1 = 1.9
    # classical steps by v: 1, 1.9; Nesterov by g + mu v: 1 + 0.9 = 1.9, 1 + 0.9 * 1.9 = 2.71
    opt, params = SGD(0.1, momentum=0.9, nesterov=nesterov), {"p": np.array([1.0])}
    expected = 1.0
    for update in updates:
        opt.step(params, {"p": np.array([1.0])})
        expected -= 0.1 * update
        assert params["p"][0] == pytest.approx(expected, abs=1e-15)


def test_adam_by_hand_two_steps():
    opt = Adam(lr=0.1, betas=(0.9, 0.999), eps=1e-8)
    params = {"p": np.array([1.0])}
    opt.step(params, {"p": np.array([2.0])})
    # t=1: m = 0.2, v = 0.004; m_hat = 2, v_hat = 4: p = 1 - 0.1 * 2 / (2 + 1e-8)
    p1 = 1 - 0.1 * 2 / (2 + 1e-8)
    assert params["p"][0] == pytest.approx(p1, abs=1e-15)
    opt.step(params, {"p": np.array([-1.0])})
    m = 0.9 * 0.2 + 0.1 * -1.0  # 0.08
    v = 0.999 * 0.004 + 0.001 * 1.0  # 0.004996
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    assert params["p"][0] == pytest.approx(p1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8), abs=1e-15)


def test_adamw_decay_is_decoupled():
    # with a zero gradient Adam's step is 0, so only the decay acts: p *= 1 - lr * wd
    opt = AdamW(lr=0.1, weight_decay=0.5)
    assert one_step(opt, [2.0], [0.0])[0] == pytest.approx(2.0 * (1 - 0.05))


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e6])
def test_adam_first_update_has_size_lr_whatever_the_gradient_scale(scale):
    rng = np.random.default_rng(0)
    g = rng.standard_normal(100) * scale
    p = one_step(Adam(lr=1e-3, eps=1e-12), np.zeros(100), g)
    np.testing.assert_allclose(np.abs(p), 1e-3, rtol=1e-3)


def test_adam_counts_steps_once_per_step_not_per_parameter():
    opt = Adam(lr=0.1)
    params = {name: np.array([1.0]) for name in ("a", "b", "c")}
    for _ in range(3):
        opt.step(params, {name: np.array([0.5]) for name in params})
    assert opt.step_count == 3
    # same gradient history -> same value, whatever the parameter's position in the dict
    assert params["a"][0] == params["b"][0] == params["c"][0]


@pytest.mark.parametrize(
    "make", [lambda: SGD(0.1), lambda: SGD(0.05, momentum=0.9), lambda: SGD(0.05, 0.9, True), lambda: Adam(0.1)]
)
def test_converges_on_a_convex_quadratic(make):
    # f(p) = 1/2 (p - c)^T A (p - c) with A positive definite: minimum at c
    rng = np.random.default_rng(0)
    q = rng.standard_normal((5, 5))
    A, c = q @ q.T / 5 + np.eye(5), rng.standard_normal(5)
    opt, params = make(), {"p": np.zeros(5)}
    for _ in range(2000):
        opt.step(params, {"p": A @ (params["p"] - c)})
    np.testing.assert_allclose(params["p"], c, atol=1e-3)


def test_state_dict_round_trip_continues_identically():
    rng = np.random.default_rng(0)
    grads = [{"w": rng.standard_normal(3), "b": rng.standard_normal(2)} for _ in range(6)]
    a, pa = Adam(0.01, weight_decay=0.1), {"w": np.ones(3), "b": np.zeros(2)}
    for g in grads[:3]:
        a.step(pa, g)
    b, pb = Adam(0.01, weight_decay=0.1), {k: v.copy() for k, v in pa.items()}
    b.load_state_dict({k: v.copy() for k, v in a.state_dict().items()})
    assert set(a.state_dict()) == {"step_count", "w/m", "w/v", "b/m", "b/v"}
    for g in grads[3:]:
        a.step(pa, g)
        b.step(pb, g)
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k])


def test_keeps_dtype():
    params = {"p": np.ones(3, np.float32)}
    opt = Adam()
    opt.step(params, {"p": np.ones(3, np.float32)})
    assert params["p"].dtype == np.float32 and opt.state["p"]["m"].dtype == np.float32


def test_bad_arguments():
    with pytest.raises(ValueError, match="lr > 0"):
        SGD(0)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(0.1, nesterov=True)


def test_schedules_at_chosen_steps():
    assert constant(0.1)(1000) == 0.1
    s = step_decay(1.0, step_size=10, gamma=0.5)
    assert [s(0), s(9), s(10), s(25)] == [1.0, 1.0, 0.5, 0.25]
    c = cosine(1.0, total=100, min_lr=0.1)
    assert (
        c(0) == 1.0 and c(50) == pytest.approx(0.55) and c(100) == pytest.approx(0.1) and c(200) == pytest.approx(0.1)
    )
    w = cosine(1.0, total=110, warmup=10)
    assert [w(0), w(4), w(9)] == [pytest.approx(0.1), pytest.approx(0.5), pytest.approx(1.0)]
    assert w(10) == 1.0 and w(60) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        cosine(1.0, total=10, warmup=10)


def test_sgd_weight_decay_is_an_l2_term_in_the_gradient():
    # PyTorch's convention: g + wd * p. With momentum the decay enters the velocity too.
    p = {"w": np.array([2.0, -4.0])}
    SGD(lr=0.1, weight_decay=0.5).step(p, {"w": np.array([1.0, 1.0])})
    np.testing.assert_allclose(p["w"], [2.0 - 0.1 * (1.0 + 1.0), -4.0 - 0.1 * (1.0 - 2.0)])
    opt, q = SGD(lr=0.1, momentum=0.9, weight_decay=0.5), {"w": np.array([2.0])}
    for _ in range(2):
        opt.step(q, {"w": np.zeros(1)})
    v1 = 0.5 * 2.0  # first velocity: the decay term alone
    p1 = 2.0 - 0.1 * v1
    np.testing.assert_allclose(q["w"], [p1 - 0.1 * (0.9 * v1 + 0.5 * p1)])


def test_adam_weight_decay_is_coupled_and_adamw_decoupled():
    # With a zero gradient, Adam's first step sees only wd * p and moves by lr * sign(p);
    # AdamW only shrinks p by lr * wd * p.
    zero = {"w": np.zeros(2)}
    a, b = {"w": np.array([3.0, -3.0])}, {"w": np.array([3.0, -3.0])}
    Adam(lr=0.1, weight_decay=0.5, eps=1e-12).step(a, zero)
    AdamW(lr=0.1, weight_decay=0.5).step(b, zero)
    np.testing.assert_allclose(a["w"], [2.9, -2.9])
    np.testing.assert_allclose(b["w"], [3.0 * (1 - 0.05), -3.0 * (1 - 0.05)])
