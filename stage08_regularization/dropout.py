"""Stage 8: inverted dropout (Srivastava et al., 2014).

In training, each value is kept with probability 1 - p and zeroed otherwise; the
kept ones are divided by 1 - p, so the expected output equals the input:

    mask = (u >= p) / (1 - p),  u ~ Uniform[0, 1)      out = x * mask

At inference nothing is dropped and nothing is scaled: the layer is the identity
(which is why the scaling happens in training: "inverted" dropout). The mask is
drawn from a Generator passed in, so a seed fixes every mask.
"""

from __future__ import annotations

import numpy as np


# --8<-- [start:dropout]
def dropout_forward(x, p, rng):
    """x: any shape, p: drop probability in [0, 1), rng: a numpy Generator
    -> out: x's shape, cache (the mask)"""
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    mask = (rng.random(x.shape, dtype=np.float32) >= p).astype(x.dtype) / x.dtype.type(1.0 - p)
    return x * mask, mask


def dropout_backward(dout, mask):
    """dout: the output's shape -> dx: the same shape (each value's gradient goes through its mask)"""
    return dout * mask


# --8<-- [end:dropout]
