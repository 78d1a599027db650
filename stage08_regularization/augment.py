"""Stage 8: data augmentation, a new random variant of every training image each time it is seen.

A digit rotated by a few degrees, a little larger or smaller, or shifted by two
pixels is still the same digit. Training on such variants instead of the same
3,600 images over and over teaches the network that these changes do not matter,
which is most of what a small training set fails to teach.

Each image gets its own random affine map: rotation by up to `degrees`, scaling by
a factor in `scale`, a shift of up to `shift` pixels in each direction, and for
datasets where it is meaningless (Fashion-MNIST's clothes, not digits) a left-right
mirror with probability 1/2. The whole batch is transformed at once, with no Python
loop over images: every output pixel asks where it comes from in its source image
(the inverse map) and reads it there by bilinear interpolation, with `fill` (the
background) outside the source.
"""

from __future__ import annotations

import numpy as np


# --8<-- [start:affine]
def affine_transform(images, angles, scales, shifts, mirror, fill=0.0):
    """Rotate (radians), scale and shift (pixels, (dy, dx)) each image about its centre;
    mirror first where asked.

    images: (N, H, W) or (N, H, W, C), uint8 or float; angles, scales: (N,); shifts: (N, 2);
    mirror: (N,) bool -> the same shape and dtype.

    Output pixel p comes from source point q = R(-angle) (p - c - shift) / scale + c,
    with c the centre, mirrored across the vertical axis where `mirror` is set.
    """
    x = images if images.ndim == 4 else images[..., None]
    H, W = x.shape[1:3]
    cy, cx = (H - 1) / 2, (W - 1) / 2
    ys, xs = np.meshgrid(np.arange(H, dtype=np.float32), np.arange(W, dtype=np.float32), indexing="ij")
    py = ys - cy - shifts[:, 0, None, None].astype(np.float32)  # (N, H, W), relative to the centre
    px = xs - cx - shifts[:, 1, None, None].astype(np.float32)
    cos = (np.cos(angles) / scales).astype(np.float32)[:, None, None]
    sin = (np.sin(angles) / scales).astype(np.float32)[:, None, None]
    sy = cos * py + sin * px + cy  # the inverse rotation, then the inverse scaling
    sx = -sin * py + cos * px + cx
    sx = np.where(mirror[:, None, None], W - 1 - sx, sx)
    out = bilinear(x, sy, sx, fill)
    if np.issubdtype(images.dtype, np.integer):
        out = np.clip(np.rint(out), np.iinfo(images.dtype).min, np.iinfo(images.dtype).max)
    return out.astype(images.dtype).reshape(images.shape)


def bilinear(x, sy, sx, fill):
    """x: (N, H, W, C); sy, sx: (N, H', W') source coordinates -> (N, H', W', C) float32,
    `fill` outside."""
    N, H, W, C = x.shape
    padded = np.full((N, H + 2, W + 2, C), fill, np.float32)  # a border of background around each image
    padded[:, 1:-1, 1:-1] = x
    sy = np.clip(sy + 1, 0, H + 1)  # beyond the border: the border itself, i.e. background
    sx = np.clip(sx + 1, 0, W + 1)
    y0 = np.minimum(sy.astype(np.intp), H)  # floor (sy >= 0), keeping y0 + 1 inside the padded image
    x0 = np.minimum(sx.astype(np.intp), W)
    wy, wx = (sy - y0)[..., None], (sx - x0)[..., None]
    # one flat index per source pixel, so each corner is a single fast take
    corner = (np.arange(N) * ((H + 2) * (W + 2)))[:, None, None] + y0 * (W + 2) + x0
    flat = padded.reshape(-1, C)
    top = flat[corner] * (1 - wx) + flat[corner + 1] * wx
    bottom = flat[corner + (W + 2)] * (1 - wx) + flat[corner + (W + 3)] * wx
    return top * (1 - wy) + bottom * wy


# --8<-- [end:affine]


def random_affine(images, rng, degrees=12.0, scale=(0.9, 1.1), shift=2.5, flip=False, fill=0.0):
    """Each image transformed by its own random rotation, scaling, shift (and mirror, with flip), drawn from rng."""
    N = len(images)
    angles = np.deg2rad(rng.uniform(-degrees, degrees, N))
    scales = rng.uniform(scale[0], scale[1], N)
    shifts = rng.uniform(-shift, shift, (N, 2))
    mirror = rng.random(N) < 0.5 if flip else np.zeros(N, bool)
    return affine_transform(images, angles, scales, shifts, mirror, fill)
