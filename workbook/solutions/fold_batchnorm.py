"""Workbook exercise (stage 8): folding an inference-mode batch norm into the convolution before it.

At inference batch norm is a fixed per-channel affine map (batchnorm_eval_forward):

    bn(y) = y * scale + shift,   scale = gamma / sqrt(running_var + eps),   shift = beta - running_mean * scale

and a convolution is linear in its weights, so bn(conv(x, w, b)) is itself one
convolution: filter f scaled by scale[f], its bias mapped through the same affine map.

    w' = w * scale[f]      b' = b * scale + shift

The folded network computes the same outputs with one layer fewer. (This needs the
batch norm directly after the conv; stage 8's network pools in between, which max
pooling allows only where every scale is positive.) Graded by
workbook/tests/test_fold_batchnorm.py.
"""

from __future__ import annotations

import numpy as np


def fold_batchnorm(w, b, gamma, beta, running_mean, running_var, eps=1e-5):
    """w: (F, C, KH, KW), b: (F,); gamma, beta, running_mean, running_var: (F,) -> w': w's shape, b': (F,)"""
    scale = gamma / np.sqrt(running_var + eps)
    return w * scale[:, None, None, None], b * scale + (beta - running_mean * scale)
