import numpy as np
import pytest

from stage01_fc.layers import Linear, ReLU, Sequential, he_normal, mlp


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_keep_their_dtype(dtype):
    rng = np.random.default_rng(0)
    model = mlp([8, 6, 3], rng, dtype)
    x = rng.standard_normal((5, 2, 4)).astype(dtype)
    out = model.forward(x)
    assert out.dtype == dtype
    dx = model.backward(np.ones_like(out))
    assert dx.dtype == dtype and dx.shape == x.shape
    assert all(g.dtype == dtype for g in model.grads().values())


def test_he_init_is_seeded_and_scaled():
    w1 = he_normal((400, 300), 400, np.random.default_rng(3))
    w2 = he_normal((400, 300), 400, np.random.default_rng(3))
    np.testing.assert_array_equal(w1, w2)
    assert w1.std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)


def test_parameter_names_and_inference_cache():
    rng = np.random.default_rng(0)
    model = Sequential(Linear(4, 3, rng), ReLU(), Linear(3, 2, rng))
    assert list(model.params()) == ["0.W", "0.b", "2.W", "2.b"]
    model.forward(np.ones((2, 4), np.float32), train=False)
    with pytest.raises(RuntimeError, match="needs a forward"):
        model.backward(np.ones((2, 2), np.float32))


def test_predict_matches_forward_in_batches():
    rng = np.random.default_rng(0)
    model = mlp([4, 5, 3], rng)
    x = rng.standard_normal((10, 4)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, batch_size=3), model.forward(x), rtol=1e-6)
