"""Output sizes of a sliding window, and the argument checks every conv and pool shares.

Every stage's convolution and pooling, naive or fast, calls these first, so a
configuration that cannot be computed gets the same clear message everywhere.
"""

from __future__ import annotations


def conv_output_size(size, kernel, stride, pad):
    """Output length along one axis: floor((size + 2 pad - kernel) / stride) + 1."""
    return (size + 2 * pad - kernel) // stride + 1


def check_conv_args(x_shape, w_shape, stride, pad, channel_axis=1):
    """Raise a clear ValueError for a configuration that cannot be computed.

    x_shape: the input's shape, channels at `channel_axis`; w_shape: (F, C, KH, KW).
    Returns the output's spatial size (H', W').
    """
    if len(x_shape) != 4 or len(w_shape) != 4:
        raise ValueError(f"conv needs a 4-D input and 4-D weights (F, C, KH, KW); got {x_shape} and {w_shape}")
    if stride < 1 or pad < 0:
        raise ValueError(f"stride must be >= 1 and pad >= 0; got stride={stride}, pad={pad}")
    _, c, kh, kw = w_shape
    if x_shape[channel_axis] != c:
        raise ValueError(f"input has {x_shape[channel_axis]} channels but the weights expect {c}")
    h, w = (x_shape[2], x_shape[3]) if channel_axis == 1 else (x_shape[1], x_shape[2])
    if kh > h + 2 * pad or kw > w + 2 * pad:
        raise ValueError(f"kernel {kh}x{kw} is larger than the padded input {h + 2 * pad}x{w + 2 * pad}")
    return conv_output_size(h, kh, stride, pad), conv_output_size(w, kw, stride, pad)


def check_pool_args(x_shape, size, stride, spatial_axes=(2, 3)):
    """Raise a clear ValueError for a window that does not fit; return (H', W')."""
    if len(x_shape) != 4:
        raise ValueError(f"max pooling needs a 4-D input; got shape {x_shape}")
    if size < 1 or stride < 1:
        raise ValueError(f"pool size and stride must be >= 1; got size={size}, stride={stride}")
    h, w = (x_shape[a] for a in spatial_axes)
    if size > h or size > w:
        raise ValueError(f"pool window {size}x{size} is larger than the input {h}x{w}")
    return conv_output_size(h, size, stride, 0), conv_output_size(w, size, stride, 0)
