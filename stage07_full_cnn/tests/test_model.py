import numpy as np

from shared.datasets import load_sample
from shared.gradcheck import assert_gradients_close, check_layer
from shared.preprocess import to_float
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import ReLU, Sequential
from stage07_full_cnn.model import build_cnn, count_parameters, to_model_input


def test_reference_parameter_count_and_shapes():
    model = build_cnn(np.random.default_rng(0))
    assert count_parameters(model) == 454_922
    out = model.forward(np.zeros((3, 28, 28, 1), np.float32))
    assert out.shape == (3, 10) and out.dtype == np.float32


def test_pool_then_relu_equals_the_reference_relu_then_pool():
    rng = np.random.default_rng(0)
    ours = build_cnn(rng, np.float64)
    layers = list(ours.layers)
    # the reference order: conv, ReLU, pool (swap our pool and ReLU in both blocks)
    layers[1], layers[2] = ReLU(), layers[1]
    layers[4], layers[5] = ReLU(), layers[4]
    reference = Sequential(*layers)
    x = rng.standard_normal((4, 28, 28, 1))
    y = rng.integers(0, 10, 4)
    loss_a, d_a = softmax_cross_entropy(ours.forward(x), y)
    ours.backward(d_a)
    grads_a = {k: v.copy() for k, v in ours.grads().items()}
    loss_b, d_b = softmax_cross_entropy(reference.forward(x), y)
    reference.backward(d_b)
    assert loss_a == loss_b
    for name, g in reference.grads().items():
        np.testing.assert_allclose(grads_a[name], g, rtol=1e-12, atol=1e-15)


def test_whole_network_gradients_in_float64():
    rng = np.random.default_rng(1)
    model = build_cnn(rng, np.float64)
    model.layers[0].need_dx = True  # check the input gradient too
    y = rng.integers(0, 10, 2)

    class WithLoss:
        params, grads = model.params(), {}

        def forward(self, x, train=True):
            return np.array(softmax_cross_entropy(model.forward(x), y)[0])

        def backward(self, dout):
            dx = model.backward(dout * softmax_cross_entropy(model.forward(x), y)[1])
            self.grads.update(model.grads())
            return dx

    x = rng.standard_normal((2, 28, 28, 1))
    assert_gradients_close(check_layer(WithLoss(), x, rng, max_coords=15))


def test_ties_are_common_in_the_first_pool_on_real_digits():
    # the premise of stage 3's tie rule: identical background windows give exactly tied maxima
    data = load_sample()
    x = np.ascontiguousarray(to_model_input(to_float(data.train_images[:64])))
    conv1 = build_cnn(np.random.default_rng(0)).layers[0].forward(x)
    windows = conv1.reshape(64, 14, 2, 14, 2, 32)
    top = windows.max(axis=(2, 4), keepdims=True)
    tied = (windows == top).sum(axis=(2, 4)) > 1
    positive = top[:, :, 0, :, 0, :] > 0
    assert (tied & positive).sum() > 0.2 * positive.sum()
