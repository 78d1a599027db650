import numpy as np

from stage02_naive_conv.conv import conv_forward_naive
from stage02_naive_conv.receptive_field import receptive_fields


def support(field_of, size=31):
    """The input pixels (along one axis) that change the centre output of `field_of`."""
    x = np.zeros((1, 1, size, size))
    base = field_of(x)
    seen = []
    for u in range(size):
        poked = x.copy()
        poked[0, 0, size // 2, u] = 1.0
        if field_of(poked) != base:
            seen.append(u)
    return seen


def test_two_stacked_3x3_convs_see_5_pixels_measured_by_poking_the_input():
    w = np.ones((1, 1, 3, 3))

    def two_convs(x):
        y, _ = conv_forward_naive(x, w, np.zeros(1))
        z, _ = conv_forward_naive(y, w, np.zeros(1))
        return z[0, 0, z.shape[2] // 2, z.shape[3] // 2]

    seen = support(two_convs)
    assert len(seen) == receptive_fields([("a", 3, 1), ("b", 3, 1)])[-1][1] == 5


def test_a_strided_layer_multiplies_the_jump_of_every_layer_after_it():
    w = np.ones((1, 1, 3, 3))

    def strided_then_conv(x):
        y, _ = conv_forward_naive(x, w, np.zeros(1), stride=2)
        z, _ = conv_forward_naive(y, w, np.zeros(1))
        return z[0, 0, z.shape[2] // 2, z.shape[3] // 2]

    seen = support(strided_then_conv)
    assert len(seen) == receptive_fields([("a", 3, 2), ("b", 3, 1)])[-1][1] == 7


def test_the_cnn_of_stage_7():
    layers = [("conv1", 5, 1), ("pool1", 2, 2), ("conv2", 5, 1), ("pool2", 2, 2)]
    assert [f for _, f, _ in receptive_fields(layers)] == [5, 6, 14, 16]
