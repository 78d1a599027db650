"""The pictures of what a convolution is: kernels by hand, equivariance, channels, receptive fields.

    python -m stage02_naive_conv.core_pictures [--out runs/stage02]

writes hand_kernels.png, equivariance.png (+ .json), channels.png and receptive_field.png
(+ .json). Every map is conv_forward_naive's output on a digit of the embedded sample.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from shared.datasets import load_sample
from shared.pictures import LIGHT, STRONG, canvas, frame, grid, note, out_folder, save, save_figure, save_json
from stage02_naive_conv.conv import conv_forward_naive
from stage02_naive_conv.receptive_field import receptive_fields

# Hand-made 3x3 kernels: what a network could learn, written down instead.
KERNELS = {
    "vertical edges (Sobel x)": [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
    "horizontal edges (Sobel y)": [[-1, -2, -1], [0, 0, 0], [1, 2, 1]],
    "blur (box)": [[1 / 9] * 3] * 3,
}
SHIFT = (3, 4)  # rows down, columns right
CNN = [("conv1 5x5", 5, 1), ("pool1 2x2", 2, 2), ("conv2 5x5", 5, 1), ("pool2 2x2", 2, 2)]


def digit(index=1):
    """Sample test digit `index` as float64 in [0, 1], background exactly 0."""
    return load_sample().test_images[index].astype(np.float64) / 255.0


def correlate(image, kernel):
    """One kernel over one image, 'same' zero padding: conv_forward_naive on (1, 1, H, W)."""
    k = np.asarray(kernel, dtype=np.float64)
    out, _ = conv_forward_naive(image[None, None], k[None, None], np.zeros(1), 1, len(k) // 2)
    return out[0, 0]


def shifted(image, rows, cols):
    """The image moved down and right, zeros coming in (nothing may fall off the edge)."""
    H, W = image.shape
    assert not image[H - rows :].any() and not image[:, W - cols :].any(), "the shift would push ink off"
    out = np.zeros_like(image)
    out[rows:, cols:] = image[: H - rows, : W - cols]
    return out


def hand_kernels_picture(out):
    x = digit()
    maps = [correlate(x, k) for k in KERNELS.values()]
    scale = max(np.abs(m).max() for m in maps)
    fig, axes = plt.subplots(1, 4, figsize=(12, 3.4))
    axes[0].imshow(x, cmap="gray")
    axes[0].set_title("input digit")
    for ax, (name, kernel), m in zip(axes[1:], KERNELS.items(), maps):
        shown = ax.imshow(m, cmap="RdBu_r", vmin=-scale, vmax=scale)
        rows = "\n".join("  ".join(f"{v:5.2g}" for v in row) for row in np.asarray(kernel))
        ax.set_title(f"{name}\n{rows}", fontsize=9, family="monospace")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(shown, ax=axes[1:].tolist(), shrink=0.8, label="response (one scale for all three)")
    save_figure(fig, out / "hand_kernels.png", bbox_inches="tight")


def equivariance_picture(out):
    x = digit()
    kernel = KERNELS["vertical edges (Sobel x)"]
    y = correlate(x, kernel)
    moved_first = correlate(shifted(x, *SHIFT), kernel)  # shift the digit, then convolve
    moved_after = shifted(y, *SHIFT)  # convolve, then shift the map
    difference = np.abs(moved_first - moved_after).max()
    save_json(
        {
            "command": "python -m stage02_naive_conv.core_pictures",
            "digit": "sample test digit 1 (a 5)",
            "kernel": "vertical edges (Sobel x), 3x3, padding 1",
            "shift_rows_cols": list(SHIFT),
            "max_abs_response": float(np.abs(y).max()),
            "max_abs_difference": float(difference),
        },
        out / "equivariance.json",
    )
    scale = np.abs(y).max()
    panels = [
        (x, "digit", "gray"),
        (y, "its map", "RdBu_r"),
        (shifted(x, *SHIFT), f"digit shifted by {SHIFT}", "gray"),
        (moved_first, "map of the shifted digit", "RdBu_r"),
        (moved_first - moved_after, f"minus the shifted map\n(max |difference| = {difference:g})", "RdBu_r"),
    ]
    fig, axes = plt.subplots(1, 5, figsize=(13, 3.2))
    for ax, (image, title, cmap) in zip(axes, panels):
        limits = {} if cmap == "gray" else {"vmin": -scale, "vmax": scale}
        ax.imshow(image, cmap=cmap, **limits)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    save_figure(fig, out / "equivariance.png", bbox_inches="tight")


def channels_picture(out):
    """C = 3 input channels, F = 2 filters of shape (3, 2, 2): two maps; then a 1x1 convolution."""
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4, size=(1, 3, 4, 4)).astype(float)
    w = rng.integers(-1, 2, size=(2, 3, 2, 2)).astype(float)
    y, _ = conv_forward_naive(x, w, np.zeros(2))
    w1 = np.array([[[[1.0]], [[-1.0]], [[2.0]]]])  # one 1x1 filter: a weighted sum of the channels
    y1, _ = conv_forward_naive(x, w1, np.zeros(1))
    ax = canvas(13, 10)
    for c in range(3):
        grid(ax, x[0, c], x0=c * 5, title=f"input channel c = {c}", fontsize=10)
    for f in range(2):
        top = 6 + f * 4.6
        for c in range(3):
            grid(ax, w[f, c], colors=[[LIGHT[f]] * 2] * 2, x0=c * 5 + 1, y0=top, fontsize=10, title=f"w[{f}, {c}]")
        ax.text(15, top + 1, "sum over c  →", va="center", fontsize=11)
        grid(ax, y[0, f], x0=19, y0=top - 0.5, title=f"map f = {f}", fontsize=10)
        frame(ax, 0, 0, 3, 3, STRONG[f], x0=19, y0=top - 0.5)
    top = 16.5
    for c in range(3):
        grid(ax, w1[0, c], colors=[[LIGHT[2]]], x0=c * 5 + 1.5, y0=top, fontsize=10, title=f"1x1: w[0, {c}]")
    ax.text(15, top + 0.5, "sum over c  →", va="center", fontsize=11)
    grid(ax, y1[0, 0], x0=19, y0=top - 1, title="map of the 1x1 filter", fontsize=10)
    note(
        ax,
        top + 4.3,
        "A filter is C kernels deep: it correlates each input channel with its own slice and sums the C results,\n"
        "giving ONE map; F filters give F maps (here weights of shape (F, C, KH, KW) = (2, 3, 2, 2)).\n"
        f"Map 0's top-left value: the three 2x2 windows times w[0, c], summed = {y[0, 0, 0, 0]:g}.\n"
        "A 1x1 filter mixes channels pixel by pixel: map = 1·c0 - 1·c1 + 2·c2, no neighbours involved.",
    )
    save(ax, out, "channels.png")


def receptive_field_picture(out):
    fields = receptive_fields(CNN)
    save_json(
        {
            "command": "python -m stage02_naive_conv.core_pictures",
            "layers": [{"after": name, "field": field, "jump": jump} for name, field, jump in fields],
            "exercise_third_conv_3x3": receptive_fields([*CNN, ("conv3 3x3", 3, 1)])[-1][1],
        },
        out / "receptive_field.json",
    )
    x = digit()
    centre = (13, 13)  # the output is centred on this input pixel's window
    fig, ax = plt.subplots(figsize=(6.4, 6.4))
    ax.imshow(x, cmap="gray_r", vmin=0, vmax=3)
    for k, (name, field, jump) in enumerate(fields):
        top, left = centre[0] - (field - 1) // 2, centre[1] - (field - 1) // 2
        label = f"after {name}: {field}x{field} pixels (neighbours {jump} apart)"
        box = plt.Rectangle((left - 0.5, top - 0.5), field, field, fill=False, lw=2.5, color=STRONG[k], label=label)
        ax.add_patch(box)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), fontsize=10)
    ax.set_xticks(range(0, 28, 4))
    ax.set_yticks(range(0, 28, 4))
    ax.set_title("the input pixels one value can see, after each layer")
    save_figure(fig, out / "receptive_field.png", bbox_inches="tight")


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage02", argv)
    hand_kernels_picture(out)
    equivariance_picture(out)
    channels_picture(out)
    receptive_field_picture(out)


if __name__ == "__main__":
    main()
