"""The classic bugs, planted into the reference solutions: each function is a reference
function with one mistake, named after the function it replaces (plus a suffix after
a double underscore). test_diagnoses.py writes each into a solved workbook and checks
that the grader names the bug."""

from __future__ import annotations

import numpy as np

from shared.shapes import check_conv_args, conv_output_size
from stage04_im2col.conv import conv_input_grad
from stage04_im2col.im2col import windows


def col2im__assigns(dcols, x_shape, KH, KW, stride=1, pad=0):
    N, H, W, C = x_shape
    Ho, Wo = conv_output_size(H, KH, stride, pad), conv_output_size(W, KW, stride, pad)
    d = dcols.reshape(N, Ho, Wo, KH, KW, C)
    dx_pad = np.zeros((N, H + 2 * pad, W + 2 * pad, C), dcols.dtype)
    for p in range(KH):
        for q in range(KW):
            rows, cols = slice(p, p + stride * Ho, stride), slice(q, q + stride * Wo, stride)
            dx_pad[:, rows, cols, :] = d[:, :, :, p, q, :]  # the bug: = instead of +=
    return dx_pad[:, pad : pad + H, pad : pad + W, :]


def im2col__channel_first_columns(x, KH, KW, stride=1, pad=0):
    return windows(x, KH, KW, stride, pad).transpose(0, 1, 2, 5, 3, 4).reshape(-1, KH * KW * x.shape[3])  # (c, p, q)


def conv_forward_naive__height_width_swapped(x, w, b, stride=1, pad=0):
    Wo, Ho = check_conv_args(x.shape, w.shape, stride, pad)  # the bug: the two sizes swapped
    N, F, KH, KW = len(x), len(w), w.shape[2], w.shape[3]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo), dtype=np.result_type(x, w))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = x_pad[n, :, i * stride : i * stride + KH, j * stride : j * stride + KW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, stride, pad)


def conv_backward_naive__stride_ignored(dout, cache):
    x, w, _, pad = cache
    N, F, Ho, Wo = dout.shape
    KH, KW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    rows, cols = slice(i, i + KH), slice(j, j + KW)  # the bug: i, j instead of i*stride, j*stride
                    dx_pad[n, :, rows, cols] += dout[n, f, i, j] * w[f]
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, rows, cols]
    db = dout.sum(axis=(0, 2, 3))
    return dx_pad[:, :, pad : pad + x.shape[2], pad : pad + x.shape[3]], dw, db


def conv_backward__kernel_not_flipped(dout, cache, need_dx=True):
    cols, x_shape, w, stride, pad = cache
    F, C, KH, KW = w.shape
    dout_mat = dout.reshape(-1, F)
    dw = (dout_mat.T @ cols).reshape(F, KH, KW, C).transpose(0, 3, 1, 2)
    dx = conv_input_grad(dout, w[:, :, ::-1, ::-1], x_shape, stride, pad)  # the bug: conv_input_grad flips back
    return dx, dw, dout_mat.sum(axis=0)


def maxpool_backward_naive__every_tie(dout, cache):
    x, size, stride = cache
    _, _, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for i in range(Ho):
        for j in range(Wo):
            rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
            window = x[:, :, rows, cols]
            is_max = window == window.max(axis=(2, 3), keepdims=True)  # the bug: every tied maximum
            dx[:, :, rows, cols] += is_max * dout[:, :, i, j][:, :, None, None]
    return dx


def avgpool_backward_naive__stride_ignored(dout, cache):
    x_shape, size, _ = cache
    _, _, Ho, Wo = dout.shape
    dx = np.zeros(x_shape, dout.dtype)
    for i in range(Ho):
        for j in range(Wo):
            dx[:, :, i : i + size, j : j + size] += (dout[:, :, i, j] / size**2)[:, :, None, None]  # the bug
    return dx


def softmax_cross_entropy__no_row_max(logits, y):
    n = len(logits)
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))  # the bug: no max subtracted
    loss = -log_probs[np.arange(n), y].mean()
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    return float(loss), dlogits / n


def softmax_cross_entropy__no_1_over_n(logits, y):
    n = len(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dlogits = np.exp(log_probs)
    dlogits[np.arange(n), y] -= 1
    return float(-log_probs[np.arange(n), y].mean()), dlogits  # the bug: the gradient of the sum


def update__sgd_momentum_wrong_sign(self, name, p, g, state):
    if self.momentum == 0:
        p -= self.lr * g
        return
    if "velocity" not in state:
        state["velocity"] = g.copy()
    else:
        state["velocity"] *= -self.momentum  # the bug: v = g - mu v
        state["velocity"] += g
    v = state["velocity"]
    p -= self.lr * (g + self.momentum * v if self.nesterov else v)


def update__adam_counts_per_parameter(self, name, p, g, state):
    self.step_count += 1  # the bug: once per parameter, on top of step()'s count
    t = self.step_count
    if "m" not in state:
        state["m"], state["v"] = np.zeros_like(p), np.zeros_like(p)
    state["m"] = self.b1 * state["m"] + (1 - self.b1) * g
    state["v"] = self.b2 * state["v"] + (1 - self.b2) * g * g
    p -= self.lr * (state["m"] / (1 - self.b1**t)) / (np.sqrt(state["v"] / (1 - self.b2**t)) + self.eps)


def update__adam_bias_with_the_next_step(self, name, p, g, state):
    t = self.step_count + 1  # the bug: t + 1
    if "m" not in state:
        state["m"], state["v"] = np.zeros_like(p), np.zeros_like(p)
    state["m"] = self.b1 * state["m"] + (1 - self.b1) * g
    state["v"] = self.b2 * state["v"] + (1 - self.b2) * g * g
    p -= self.lr * (state["m"] / (1 - self.b1**t)) / (np.sqrt(state["v"] / (1 - self.b2**t)) + self.eps)


def batchnorm_backward__no_mean_term(dout, cache):
    xhat, inv_std, gamma, _, _ = cache
    M = dout.size // dout.shape[-1]
    dgamma = (dout * xhat).reshape(-1, dout.shape[-1]).sum(axis=0)
    dbeta = dout.reshape(-1, dout.shape[-1]).sum(axis=0)
    return (gamma * inv_std) * (dout - xhat * (dgamma / M)), dgamma, dbeta  # the bug: no - dbeta / M


def batchnorm_backward__no_variance_term(dout, cache):
    xhat, inv_std, gamma, _, _ = cache
    M = dout.size // dout.shape[-1]
    dgamma = (dout * xhat).reshape(-1, dout.shape[-1]).sum(axis=0)
    dbeta = dout.reshape(-1, dout.shape[-1]).sum(axis=0)
    return (gamma * inv_std) * (dout - dbeta / M), dgamma, dbeta  # the bug: no - xhat * dgamma / M


def dropout_forward__over_p(x, p, rng):
    mask = (rng.random(x.shape, dtype=np.float32) >= p).astype(x.dtype) / x.dtype.type(p)  # the bug: 1 / p
    return x * mask, mask


def dropout_forward__not_scaled(x, p, rng):
    mask = (rng.random(x.shape, dtype=np.float32) >= p).astype(x.dtype)  # the bug: not divided by 1 - p
    return x * mask, mask


def update__rmsprop_without_the_root(self, name, p, g, state):
    state.setdefault("square_avg", np.zeros_like(p))
    state["square_avg"] = self.alpha * state["square_avg"] + (1 - self.alpha) * g * g
    p -= self.lr * g / (state["square_avg"] + self.eps)  # the bug: no square root


def leaky_relu_backward__zero_below(dout, cache):
    return dout * (cache == 1)  # the bug: a plain ReLU's gradient, nothing through the slope


def avgpool_forward_naive__sum(x, size=2, stride=2):
    Ho, Wo = conv_output_size(x.shape[2], size, stride, 0), conv_output_size(x.shape[3], size, stride, 0)
    out = np.empty((*x.shape[:2], Ho, Wo), x.dtype)
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i * stride : i * stride + size, j * stride : j * stride + size].sum(axis=(2, 3))
    return out, (x.shape, size, stride)  # the bug: the sum, not the mean


def fold_batchnorm__no_shift(w, b, gamma, beta, running_mean, running_var, eps=1e-5):
    scale = gamma / np.sqrt(running_var + eps)
    return w * scale[:, None, None, None], b * scale  # the bug: beta - running_mean * scale forgotten


# (stage, exercise, planted function, the diagnosis key check must print, or None: only "failed")
PLANTED = [
    ("stage04", "col2im", col2im__assigns, "col2im-assigns"),
    ("stage04", "im2col", im2col__channel_first_columns, "im2col-order"),
    ("stage02", "conv_forward_naive", conv_forward_naive__height_width_swapped, "hw-swapped"),
    ("stage02", "conv_backward_naive", conv_backward_naive__stride_ignored, "stride-ignored"),
    ("stage04", "conv_backward", conv_backward__kernel_not_flipped, "kernel-not-flipped"),
    ("stage03", "maxpool_backward_naive", maxpool_backward_naive__every_tie, "every-tie"),
    ("stage03", "avgpool_backward_naive", avgpool_backward_naive__stride_ignored, "stride-ignored"),
    ("stage01", "softmax_cross_entropy", softmax_cross_entropy__no_row_max, "softmax-max"),
    ("stage01", "softmax_cross_entropy", softmax_cross_entropy__no_1_over_n, "missing-1/N"),
    ("stage06", "SGD.update", update__sgd_momentum_wrong_sign, "momentum-sign"),
    ("stage06", "Adam.update", update__adam_counts_per_parameter, "adam-step"),
    ("stage06", "Adam.update", update__adam_bias_with_the_next_step, "adam-step"),
    ("stage08", "batchnorm_backward", batchnorm_backward__no_mean_term, "bn-mean-term"),
    ("stage08", "batchnorm_backward", batchnorm_backward__no_variance_term, "bn-variance-term"),
    ("stage08", "dropout_forward", dropout_forward__over_p, "dropout-1/p"),
    ("stage08", "dropout_forward", dropout_forward__not_scaled, "dropout-unscaled"),
    ("stage06", "RMSProp.update", update__rmsprop_without_the_root, None),
    ("stage01", "leaky_relu_backward", leaky_relu_backward__zero_below, None),
    ("stage03", "avgpool_forward_naive", avgpool_forward_naive__sum, None),
    ("stage08", "fold_batchnorm", fold_batchnorm__no_shift, None),
]
