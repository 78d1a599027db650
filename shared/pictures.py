"""Drawing helpers for the docs' explanatory pictures (each stage's `pictures.py`).

Small arrays are drawn as grids of labelled cells, row 0 at the top, as NumPy
prints them; each picture module computes what it shows with the stage's own
functions, so a picture cannot disagree with the code.

    ax = canvas(fig_width, fig_height)
    grid(ax, values, colors, x0=0, y0=0, title="x")
    frame(ax, top=0, left=0, height=2, width=2, color="C1")   # a window
    note(ax, y, "what the picture shows")
    save(ax, out, "name.png")                # or save_figure(fig, path) for plain plots
    save_json({"value": 5}, out / "name.json")  # the numbers a page quotes, beside the picture
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, Rectangle

from shared.files import replacing, write_text

PADDING = "0.88"  # light grey: cells that are not part of the data
LIGHT = ["#cfe2f3", "#fce5cd", "#d9ead3", "#ead1dc", "#fff2cc", "#d0e0e3"]  # fills, one per window
STRONG = ["#1f77b4", "#e69138", "#38761d", "#a64d79", "#bf9000", "#45818e"]  # their outlines


def out_folder(description, default, argv=None):
    """The --out folder a picture command was given (default: somewhere under runs/)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=Path(default), help=f"where to write (default {default})")
    return parser.parse_args(argv).out


def canvas(width, height):
    """One blank axes, y growing downwards, equal scales, no frame."""
    _, ax = plt.subplots(figsize=(width, height))
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def grid(ax, values, colors=None, x0=0.0, y0=0.0, title=None, fmt="{:g}", fontsize=12, bold=None, width=1.0):
    """A 2-D array (numbers or strings) as cells 1 high and `width` wide, its top-left corner at
    (x0, y0). colors, bold: per cell, optional."""
    rows, cols = len(values), len(values[0])
    for i in range(rows):
        for j in range(cols):
            face = colors[i][j] if colors is not None else "white"
            ax.add_patch(Rectangle((x0 + j * width, y0 + i), width, 1, facecolor=face, edgecolor="0.45", lw=0.8))
            weight = "bold" if bold is not None and bold[i][j] else "normal"
            text = values[i][j] if isinstance(values[i][j], str) else fmt.format(values[i][j])
            centre = (x0 + (j + 0.5) * width, y0 + i + 0.53)
            ax.text(*centre, text, ha="center", va="center", fontsize=fontsize, weight=weight)
    if title:
        ax.text(x0 + cols * width / 2, y0 - 0.3, title, ha="center", va="bottom", fontsize=fontsize + 1)


def frame(ax, top, left, height, width, color, x0=0.0, y0=0.0, lw=2.5):
    """An outline around cells [top, top + height) x [left, left + width) of a grid drawn at (x0, y0)."""
    ax.add_patch(Rectangle((x0 + left, y0 + top), width, height, fill=False, edgecolor=color, lw=lw))


def arrow(ax, start, end, color="0.3", text=None):
    """An arrow from start to end (x, y), with an optional label above its middle."""
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=14, color=color, lw=1.5))
    if text:
        middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 - 0.25)
        ax.text(*middle, text, ha="center", va="bottom", fontsize=11, color=color)


def note(ax, y, text):
    """A few lines of explanation under a picture, starting at the left edge, at height y."""
    ax.text(0, y, text, fontsize=11, va="top")


def save(ax, out, name):
    """Fit the view to what was drawn (y growing downwards), write out/name and close the figure."""
    ax.autoscale_view()
    if not ax.yaxis_inverted():
        ax.invert_yaxis()
    return save_figure(ax.figure, out / name, dpi=150, bbox_inches="tight")


def save_figure(fig, path, **savefig_options):
    """Write a figure as PNG on white, atomically (shared.files: never through a symbolic link),
    close it, say where it went."""
    path = Path(path)
    try:
        with replacing(path) as fh:
            fig.savefig(fh, format="png", facecolor="white", **{"dpi": 150, **savefig_options})
    finally:
        plt.close(fig)
    print(f"wrote {path}")
    return path


def save_json(data, path):
    """Write the numbers behind a picture as JSON, atomically (shared.files: never through a link)."""
    write_text(path, json.dumps(data, indent=2, default=float) + "\n")
    print(f"wrote {path}")
    return path
