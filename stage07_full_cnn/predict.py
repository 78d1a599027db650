"""Classify your own digit images with a trained checkpoint.

    python -m stage07_full_cnn.predict CHECKPOINT IMAGE [IMAGE ...]

PNG or JPEG, any size, dark ink on light paper or light on dark. Each image is
prepared the way MNIST's digits were made:
  1. grayscale, scaled to [0, 1];
  2. ink bright on a dark background (inverted if the border is light), the
     background level subtracted;
  3. cropped to the digit's bounding box;
  4. scaled so its longer side is 20 pixels, keeping the aspect ratio;
  5. placed in a 28x28 image with its centre of mass at the centre.
Prints the predicted digit and the top-3 probabilities for each file. A file that
cannot be read as an image gets a clear error; the others are still classified,
and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from shared.preprocess import to_float
from stage01_fc.functional import softmax
from stage07_full_cnn.model import load_model_or_exit, to_model_input


class ImageError(ValueError):
    """An input that cannot be turned into a digit image."""


def read_grayscale(path) -> np.ndarray:
    """The image at `path` as float grayscale in [0, 1], (H, W)."""
    try:
        with Image.open(path) as img:
            img.load()
            gray = img.convert("L")
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{path}: cannot be read as an image ({type(err).__name__}: {err})") from None
    return np.asarray(gray, dtype=np.float64) / 255.0


# --8<-- [start:mnistify]
def mnistify(gray: np.ndarray, name="image") -> np.ndarray:
    """Grayscale (H, W) in [0, 1] -> a uint8 (28, 28) digit, bright on black, MNIST style."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:  # light paper: make the ink the bright part
        gray, border = 1.0 - gray, 1.0 - border
    ink = np.clip(gray - np.median(border), 0, None)
    if ink.max() < 0.1:
        raise ImageError(f"{name}: no digit found (the image is blank or has no contrast)")
    ink /= ink.max()
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.2), np.flatnonzero(ink.max(axis=0) > 0.2)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    h, w = ink.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = np.asarray(Image.fromarray((ink * 255).astype(np.uint8)).resize(size, Image.Resampling.LANCZOS))

    canvas = np.zeros((28, 28), np.float64)
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
    ys, xs = np.indices(canvas.shape)
    total = canvas.sum()
    shift_y = round(13.5 - (ys * canvas).sum() / total)  # move the centre of mass to the centre
    shift_x = round(13.5 - (xs * canvas).sum() / total)
    shifted = np.zeros_like(canvas)
    src = canvas[max(0, -shift_y) : 28 - max(0, shift_y), max(0, -shift_x) : 28 - max(0, shift_x)]
    shifted[max(0, shift_y) : max(0, shift_y) + src.shape[0], max(0, shift_x) : max(0, shift_x) + src.shape[1]] = src
    return np.clip(shifted, 0, 255).astype(np.uint8)


# --8<-- [end:mnistify]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("images", nargs="+", type=Path)
    args = parser.parse_args(argv)
    model, meta = load_model_or_exit(args.checkpoint)
    info = meta["data"]
    names = info["classes"]
    failed = 0
    for path in args.images:
        try:
            digit = mnistify(read_grayscale(path), str(path))
        except ImageError as err:
            print(f"error: {err}", file=sys.stderr)
            failed += 1
            continue
        x = to_model_input(to_float(digit[None], info["mean"], info["std"]))
        probs = softmax(model.predict(x).astype(np.float64))[0]
        top = np.argsort(probs)[::-1][:3]
        ranked = ", ".join(f"{names[k]}: {probs[k]:.1%}" for k in top)
        print(f"{path}: {names[top[0]]}  ({ranked})")
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
