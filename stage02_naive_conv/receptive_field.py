"""How many input pixels one output value can see: the receptive field of a stack of layers.

    receptive_fields([("conv1", 5, 1), ("pool1", 2, 2)])
    -> [("conv1", 5, 1), ("pool1", 6, 2)]      # (name, field in pixels, jump in pixels)

A layer with kernel k and stride s, on a grid whose neighbouring values are `jump` input
pixels apart, widens the field by (k - 1) * jump, and multiplies the jump by s.
"""

from __future__ import annotations


# --8<-- [start:receptive_field]
def receptive_fields(layers):
    """layers: (name, kernel, stride) from the input on -> (name, field, jump) after each layer."""
    field, jump, out = 1, 1, []
    for name, kernel, stride in layers:
        field += (kernel - 1) * jump  # k neighbouring values, jump pixels apart, see k - 1 more jumps
        jump *= stride  # the next layer's neighbours are stride values apart here
        out.append((name, field, jump))
    return out


# --8<-- [end:receptive_field]
