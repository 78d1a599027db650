"""The backward pass of one image, as the explorer shows it, and the sums behind single gradient values.

Every gradient here is of a chosen class's *score*: its logit z(target), or its
log-probability log p(target), the negative of the training loss for that label (so
its gradient is softmax_cross_entropy's, sign flipped). A positive value means "more
of this raises the score". Once the network is sure, p(target) is near 1 and the
gradient of log p vanishes (training has nothing left to learn from the image); the
logit's does not, which is why saliency maps usually show the logit's.

Both are computed by the project's own layers, forward then backward, on a *gradient
network*: replicas of the model's layers (parallel.py's `replica`: the same
weight arrays, their own caches, so concurrent requests do not collide) in which
batch norm is frozen to its inference form and dropout is the identity, so the
backward pass is the derivative of exactly the function that predicts.

The `*_sum` functions redo one value of that backward pass as an explicit sum with
indices, the way the docs write it, for the page to show term by term; the tests
check that each equals the vectorized backward.
"""

from __future__ import annotations

import numpy as np

from stage01_fc.functional import softmax, softmax_cross_entropy
from stage01_fc.layers import Layer
from stage07_full_cnn.parallel import replica
from stage08_regularization.batchnorm import batchnorm_eval_forward


class FrozenBatchNorm(Layer):
    """Batch norm at inference: out = x * scale + shift per channel, so dx = dout * scale."""

    def __init__(self, batchnorm):
        super().__init__()
        self.source = batchnorm

    def forward(self, x, train=True):
        bn = self.source
        self.scale = (bn.params["gamma"] / np.sqrt(bn.buffers["running_var"] + bn.eps)).astype(x.dtype)
        return batchnorm_eval_forward(x, **bn.params, **bn.buffers, eps=bn.eps)

    def backward(self, dout):
        return dout * self.scale


class Identity(Layer):
    """Dropout at inference."""

    def forward(self, x, train=True):
        return x

    def backward(self, dout):
        return dout


def gradient_network(model):
    """A network computing what `model` computes at inference, whose backward gives the input's gradients too."""
    net = replica(model)
    for i, layer in enumerate(net.layers):
        kind = type(layer).__name__
        if kind == "Conv2D":
            layer.need_dx = True  # conv1's input is the image, and its gradient is the saliency map
        elif kind == "BatchNorm":
            net.layers[i] = FrozenBatchNorm(layer)
        elif kind == "Dropout":
            net.layers[i] = Identity()
    return net


SCORES = ("logit", "log_p")


def backward_pass(model, x, target, score="log_p"):
    """One image x (1, H, W, 1) through `model` and back, for the score ("logit" or "log_p") of class `target`.

    Returns (net, outputs, grads, dx, probs): the gradient network, whose layers keep
    their caches and parameter gradients (layer.grads); each layer's output; the
    gradient of the score at each layer's output; at the input; and the ten
    probabilities.
    """
    net = gradient_network(model)
    outputs, out = [], x
    for layer in net.layers:  # Sequential.forward, keeping each layer's output
        out = layer.forward(out, train=True)  # train=True only keeps the caches: the layers are inference's
        outputs.append(out)
    _, dloss = softmax_cross_entropy(out, np.array([target]))
    dout = -dloss  # d log p(target) / d logits = onehot(target) - p
    if score == "logit":
        dout = np.eye(out.shape[1], dtype=out.dtype)[[target]]  # d z(target) / d logits = onehot(target)
    grads = [None] * len(net.layers)
    for i in reversed(range(len(net.layers))):  # Sequential.backward, keeping each layer's incoming gradient
        grads[i] = dout
        dout = net.layers[i].backward(dout)
    return net, outputs, grads, dout, softmax(out.astype(np.float64))[0]


def padded(x, pad):
    """x: (H, W, C) with `pad` zeros around its height and width."""
    return np.pad(x, ((pad, pad), (pad, pad), (0, 0)))


# --8<-- [start:sums]
def dw_sum(x, dout, f, c, p, q, pad):
    """dW[f, c, p, q] of a stride-1 conv as its sum over output pixels (i, j):

        dW[f, c, p, q] = sum_ij dout[i, j, f] * xpad[i + p, j + q, c]

    x: the conv's input (H, W, C), dout: the gradient at its output (H', W', F).
    Returns the two (H', W') maps multiplied and their products (whose sum is dW).
    """
    Ho, Wo, _ = dout.shape
    seen = padded(x, pad)[p : p + Ho, q : q + Wo, c]  # what each window met at offset (p, q)
    return {"dout": dout[:, :, f], "input": seen, "products": dout[:, :, f] * seen}


def dx_sum(dout, w, y, x, c, pad):
    """dx[y, x, c] of a stride-1 conv as the sum over the windows that covered input pixel (y, x):

        dx[y, x, c] = sum_f sum_pq dout[y + pad - p, x + pad - q, f] * W[f, c, p, q]

    Output pixel (y + pad - p, x + pad - q) saw (y, x) at kernel offset (p, q). Laid out
    by output pixel, a KHxKW block of dout around (y, x) meets the kernel flipped in both
    directions. dout: (H', W', F), w: (F, C, KH, KW). Returns per filter f the block of
    dout (F, KH, KW, zeros outside the map), the flipped kernel, their products.
    """
    F, _, KH, KW = w.shape
    Ho, Wo, _ = dout.shape
    block = np.zeros((F, KH, KW), dout.dtype)
    for a in range(KH):
        for b in range(KW):
            i, j = y + pad - (KH - 1) + a, x + pad - (KW - 1) + b  # offset (KH-1-a, KW-1-b)
            if 0 <= i < Ho and 0 <= j < Wo:
                block[:, a, b] = dout[i, j]
    flipped = w[:, c, ::-1, ::-1]
    return {"dout": block, "kernel": flipped, "products": block * flipped}


def pool_route(x, dout, i, j, c, size):
    """The gradient a non-overlapping max pool routes to its input pixel (i, j, c):

        dx[i, j, c] = dout[i // size, j // size, c]  if (i, j) is its window's FIRST maximum,
                      0                             otherwise

    x: the pool's input (H, W, C), dout: the gradient at its output. Ties go to the
    first maximum in row-major order, as stage 5's pool (and PyTorch) route them.
    """
    top, left = i // size * size, j // size * size
    window = x[top : top + size, left : left + size, c]
    first = int(np.argmax(window))  # argmax returns the first of tied maxima
    tied = np.flatnonzero(window == window.max()).tolist()
    mine = (i - top) * size + (j - left)
    upstream = dout[i // size, j // size, c]
    return {"window": window, "winner": first, "tied": tied, "offset": mine,
            "upstream": upstream, "routed": upstream if mine == first else 0.0}  # fmt: skip


def logit_contributions(net, outputs, first_linear, k):
    """How each feature f entering the fully connected layers pushed logit k.

    With the ReLUs' on/off pattern fixed by this image the fully connected part is
    linear, so logit_k = sum_d f_d * g_d + constant with g = d logit_k / d f: each
    feature's push is activation x the weight of its path, f_d * g_d, and the constant
    is what the biases give. g comes from the layers' backward with dlogits = onehot(k).
    """
    dout = np.zeros_like(outputs[-1])
    dout[0, k] = 1
    for layer in reversed(net.layers[first_linear:]):
        dout = layer.backward(dout)
    features = outputs[first_linear - 1]
    push = (features * dout)[0]
    return push, float(outputs[-1][0, k]) - float(push.astype(np.float64).sum())


# --8<-- [end:sums]
