"""The classic bugs the grader names: for each, what to tell the learner and which section of
which page explains it, and which functions are probed for it (the probes: probes.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbook import probes
from workbook.probes import (
    adam_steps,
    bn_no_mean_term,
    bn_no_variance_term,
    col2im_assigns,
    dropout_over_p,
    dropout_unscaled,
    feeds_every_tie,
    hw_swapped,
    im2col_order,
    kernel_not_flipped,
    momentum_sign,
    softmax_overflows,
    stride_ignored,
    sum_not_mean,
    wrong_tie,
)


@dataclass(frozen=True)
class Diagnosis:
    key: str
    message: str
    page: str  # docs/stageNN.md
    section: str  # a heading on that page


S1, S2, S3, S4 = "docs/stage01.md", "docs/stage02.md", "docs/stage03.md", "docs/stage04.md"
S6, S8 = "docs/stage06.md", "docs/stage08.md"
DIAGNOSES = {
    hw_swapped: Diagnosis(
        "hw-swapped",
        "height and width swapped: right on square inputs, wrong on an H x W one "
        "(check which of H', W' each loop and slice uses)",
        S2,
        "The math",
    ),
    stride_ignored: Diagnosis(
        "stride-ignored",
        "the stride ignored in the backward: right at stride 1, wrong at "
        "stride 2 (window (i, j) starts at i*stride, j*stride)",
        S2,
        "The math",
    ),
    col2im_assigns: Diagnosis(
        "col2im-assigns",
        "col2im with = instead of +=: overlapping windows must ADD their entries onto a pixel, not overwrite them",
        S4,
        "The math",
    ),
    kernel_not_flipped: Diagnosis(
        "kernel-not-flipped",
        "the kernel not flipped in the input gradient: dx is a "
        "convolution of dout with the kernel turned by 180 degrees",
        S4,
        "The input gradient without the big matrix",
    ),
    feeds_every_tie: Diagnosis(
        "every-tie",
        "the pool feeds every tied maximum: a window's gradient must go to "
        "its FIRST maximum only (a window of four zeros gets it once)",
        S3,
        "The tie rule",
    ),
    wrong_tie: Diagnosis(
        "wrong-tie",
        "ties go to another maximum than the first (row-major order, as np.argmax and PyTorch)",
        S3,
        "The tie rule",
    ),
    softmax_overflows: Diagnosis(
        "softmax-max",
        "softmax without subtracting the row maximum: exp overflows for large logits (inf, nan)",
        S1,
        "Softmax cross-entropy",
    ),
    sum_not_mean: Diagnosis(
        "missing-1/N",
        "the missing 1/N of the mean loss: the loss or its gradient is N times too large",
        S1,
        "Softmax cross-entropy",
    ),
    adam_steps: Diagnosis(
        "adam-step",
        "Adam counts steps per parameter or corrects its bias with the wrong "
        "step: use t = self.step_count, the same for every parameter",
        S6,
        "The math",
    ),
    momentum_sign: Diagnosis(
        "momentum-sign",
        "momentum with the wrong sign: with a constant gradient the steps "
        "must go downhill and grow (v = mu v + g, p -= lr v)",
        S6,
        "The math",
    ),
    bn_no_mean_term: Diagnosis(
        "bn-mean-term",
        "batch norm's backward misses the mean term: every x moves the "
        "mean, which subtracts mean(dout * gamma) from the gradient",
        S8,
        "Batch normalization",
    ),
    bn_no_variance_term: Diagnosis(
        "bn-variance-term",
        "batch norm's backward misses the variance term: every x "
        "moves the variance too (the xhat * mean(g * xhat) term)",
        S8,
        "Batch normalization",
    ),
    dropout_over_p: Diagnosis(
        "dropout-1/p",
        "dropout scaled by 1/p instead of 1/(1-p): kept values must be divided by the KEEP probability 1 - p",
        S8,
        "Dropout",
    ),
    dropout_unscaled: Diagnosis(
        "dropout-unscaled",
        "dropout not scaled: inverted dropout divides the kept values "
        "by 1 - p in training, so inference needs no change",
        S8,
        "Dropout",
    ),
    im2col_order: Diagnosis(
        "im2col-order",
        "im2col's column order does not match the weight matrix: both must be in (p, q, c) order",
        S4,
        "The math",
    ),
}
PROBES = {
    "conv_forward_naive": [hw_swapped],
    "maxpool_forward_naive": [hw_swapped],
    "avgpool_forward_naive": [hw_swapped],
    "maxpool_forward": [hw_swapped],
    "conv_forward": [hw_swapped],
    "im2col": [im2col_order, hw_swapped],
    "weights_as_matrix": [im2col_order],
    "col2im": [col2im_assigns, stride_ignored],
    "conv_backward_naive": [kernel_not_flipped, stride_ignored],
    "conv_backward": [kernel_not_flipped, stride_ignored],
    "maxpool_backward_naive": [feeds_every_tie, wrong_tie, stride_ignored],
    "maxpool_backward": [feeds_every_tie, wrong_tie, stride_ignored],
    "avgpool_backward_naive": [stride_ignored],
    "softmax_cross_entropy": [softmax_overflows, sum_not_mean],
    "Adam.update": [adam_steps],
    "SGD.update": [momentum_sign],
    "batchnorm_backward": [bn_no_mean_term, bn_no_variance_term],
    "dropout_forward": [dropout_over_p, dropout_unscaled],
}


def diagnose(name, mine, original) -> list[dict]:
    """Every diagnosis whose probe sees its bug in the learner's `mine`, as dicts for the report."""
    probes.ORIGINALS[name] = original
    found = []
    for probe in PROBES.get(name, []):
        try:
            with np.errstate(all="ignore"):
                seen = probe(name, mine, original)
        except Exception:  # a probe that cannot run saw nothing
            seen = False
        if seen:
            d = DIAGNOSES[probe]
            found.append({"key": d.key, "message": d.message, "page": d.page, "section": d.section})
    return found
