"""Classify your own digit images with a trained checkpoint.

    python -m tools.predict CHECKPOINT IMAGE [IMAGE ...]

PNG or JPEG, any size, dark ink on light paper or light on dark, 8 or 16 bits,
upright as the camera's orientation tag says, ink in colour or in transparency.
Each image is prepared the way MNIST's digits were made:
  1. grayscale, scaled to [0, 1];
  2. ink bright on a dark background (inverted if the border is light), the
     background level subtracted;
  3. cropped to the digit's bounding box;
  4. scaled so its longer side is 20 pixels, keeping the aspect ratio;
  5. placed in a 28x28 image with its centre of mass at pixel (14, 14), where
     MNIST's digits have theirs (measured on the embedded sample: 13.99, 14.00).
An image without a digit-like mark (blank, a speck, a smooth gradient) is reported
as such instead of being classified.
Prints the predicted digit and the top-3 probabilities for each file. A file that
cannot be read as an image gets a clear error; the others are still classified,
and the exit status is 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from shared.files import FileProblem, check_input
from shared.preprocess import to_float
from stage01_fc.functional import softmax
from stage07_full_cnn.model import to_model_input
from tools.loader import load_model_or_exit

CENTRE = 14.0  # where MNIST's digits have their centre of mass (row and column)


class ImageError(ValueError):
    """An input that cannot be turned into a digit image."""


def open_grayscale(source) -> np.ndarray:
    """A file path or binary file object -> float grayscale in [0, 1], (H, W), turned upright.

    Pillow's own exceptions pass through: each caller reports them its own way.
    """
    with Image.open(source) as img:
        img.load()
        return to_grayscale(ImageOps.exif_transpose(img))  # a phone photo's orientation tag


def read_grayscale(path) -> np.ndarray:
    """The image at `path` as float grayscale in [0, 1], (H, W), turned upright."""
    try:
        check_input(path, "image")  # before opening: a FIFO would block forever
        return open_grayscale(path)
    except FileProblem as err:
        raise ImageError(str(err)) from None
    except FileNotFoundError:
        raise ImageError(f"{path}: no such file") from None
    except Image.DecompressionBombError as err:
        raise ImageError(f"{path}: too large to open safely ({err}); scale it down first") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise ImageError(f"{path}: cannot be read as an image ({type(err).__name__}: {err})") from None


def to_grayscale(img) -> np.ndarray:
    """A Pillow image as float grayscale in [0, 1]: 16-bit images keep their levels, and
    ink drawn in the alpha channel is laid on a background that contrasts with it."""
    if img.mode.startswith("I"):  # 16- or 32-bit integer grayscale: convert("L") would clip it at 255
        return np.clip(np.asarray(img, dtype=np.float64) / 65535.0, 0.0, 1.0)
    if img.mode == "F":
        gray = np.asarray(img, dtype=np.float64)
        if not np.isfinite(gray).all():
            return gray  # NaN or infinity: mnistify refuses it, naming the file
        return (gray - gray.min()) / max(gray.max() - gray.min(), 1e-12)
    has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    rgba = img.convert("RGBA") if has_alpha else None
    gray = np.asarray(img.convert("L"), dtype=np.float64) / 255.0
    if rgba is None:
        return gray
    alpha = np.asarray(rgba, dtype=np.float64)[:, :, 3] / 255.0
    if alpha.min() == alpha.max():
        return gray
    ink_level = (gray * alpha).sum() / alpha.sum()  # the opaque part's mean grey
    background = 1.0 if ink_level < 0.5 else 0.0
    return alpha * gray + (1.0 - alpha) * background


# --8<-- [start:mnistify]
def mnistify(gray: np.ndarray, name="image") -> np.ndarray:
    """Grayscale (H, W) in [0, 1] -> a uint8 (28, 28) digit, bright on black, MNIST style."""
    if not np.isfinite(gray).all():  # a float image (TIFF mode F) can hold NaN or infinity
        raise ImageError(f"{name}: some pixels are NaN or infinite; save the image with finite values")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:  # light paper: make the ink the bright part
        gray, border = 1.0 - gray, 1.0 - border
    ink = np.clip(gray - np.median(border), 0, None)
    if ink.max() < 0.1:
        raise ImageError(f"{name}: no digit found (the image is blank or has no contrast)")
    ink /= ink.max()
    covered = (ink > 0.2).mean()
    edge = np.concatenate([ink[0], ink[-1], ink[:, 0], ink[:, -1]])
    if covered > 0.5 or (edge > 0.5).mean() > 0.25:  # a digit is strokes on a plain background
        raise ImageError(
            f"{name}: no digit found (ink covers {covered:.0%} of the image and "
            f"{(edge > 0.5).mean():.0%} of its border: a shade, not strokes on a plain background)"
        )
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.2), np.flatnonzero(ink.max(axis=0) > 0.2)
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    if max(ink.shape) < max(3, 0.05 * min(gray.shape)):
        speck = f"{ink.shape[0]}x{ink.shape[1]} pixels"
        raise ImageError(f"{name}: no digit found (the only mark is a speck of {speck})")

    h, w = ink.shape
    scale = 20.0 / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    ink_image = Image.fromarray((ink * 255).astype(np.uint8))
    small = np.asarray(ink_image.resize(size, Image.Resampling.LANCZOS))

    canvas = np.zeros((28, 28), np.float64)
    top, left = (28 - small.shape[0]) // 2, (28 - small.shape[1]) // 2
    canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
    ys, xs = np.indices(canvas.shape)
    total = canvas.sum()
    shift_y = round(CENTRE - (ys * canvas).sum() / total)  # move the centre of mass to MNIST's
    shift_x = round(CENTRE - (xs * canvas).sum() / total)
    shifted = np.zeros_like(canvas)
    src = canvas[max(0, -shift_y) : 28 - max(0, shift_y), max(0, -shift_x) : 28 - max(0, shift_x)]
    top, left = max(0, shift_y), max(0, shift_x)
    shifted[top : top + src.shape[0], left : left + src.shape[1]] = src
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
