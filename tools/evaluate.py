"""Evaluate a checkpoint on its dataset's test set.

    python -m tools.evaluate CHECKPOINT [--dataset NAME] [--out FOLDER]

Prints the test accuracy, a per-class accuracy table, the confusion matrix and
the most-confused pairs; writes confusion.png and misclassified.png (a grid of
wrongly classified test images, true and predicted labels) into --out (default:
the checkpoint's folder). Inference runs data-parallel (stage 7's parallel.py), in batches of 64 images per
thread, with nothing cached.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from shared.files import write_text
from shared.preprocess import to_float
from stage07_full_cnn.model import to_model_input
from stage07_full_cnn.parallel import DataParallel
from tools.loader import load_model_or_exit, load_test_set_or_exit, out_folder_or_exit


def confusion_matrix(y_true, y_pred, k):
    """counts[i, j] = how many images of class i were predicted as j."""
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def report(cm, names):
    """The per-class table, the matrix and the most-confused pairs, as markdown."""
    k = len(names)
    per_class = cm.diagonal() / np.maximum(cm.sum(axis=1), 1)
    lines = ["| class | images | accuracy |", "|---|---|---|"]
    lines += [f"| {names[i]} | {cm[i].sum()} | {per_class[i]:.2%} |" for i in range(k)]
    lines += ["", "Confusion matrix (rows: true class, columns: predicted):", "", "```text"]
    lines += ["      " + "".join(f"{i:>6}" for i in range(k))]
    lines += [f"{i:>6}" + "".join(f"{c:>6}" for c in cm[i]) for i in range(k)] + ["```"]
    off = cm.copy()
    np.fill_diagonal(off, 0)
    pairs = sorted(((off[i, j], i, j) for i in range(k) for j in range(k) if off[i, j]), reverse=True)[:5]
    lines += ["", "Most confused (true -> predicted):", ""]
    lines += [f"- {names[i]} -> {names[j]}: {n} images" for n, i, j in pairs]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--dataset", help="default: the dataset the checkpoint was trained on")
    parser.add_argument("--data-dir")
    parser.add_argument("--out", type=Path, help="default: the checkpoint's folder")
    args = parser.parse_args(argv)
    model, meta = load_model_or_exit(args.checkpoint)
    out = out_folder_or_exit(args.out or args.checkpoint.parent)  # before the work, not after it
    info = meta["data"]
    data = load_test_set_or_exit(meta, args.dataset, args.data_dir)
    x = to_model_input(to_float(data.test_images, info["mean"], info["std"]))
    with DataParallel(model) as net:
        logits = net.predict(x)
    pred, y = logits.argmax(axis=1), data.test_labels
    cm = confusion_matrix(y, pred, len(data.class_names))
    print(f"{args.checkpoint} (epoch {meta['epoch']}) on {data.name} test set: {len(y)} images")
    text = f"test accuracy: {(pred == y).mean():.2%}\n\n{report(cm, data.class_names)}"
    print(text)
    print(f"\nwrote {write_text(out / 'evaluation.md', text + chr(10))}")
    plot_confusion(cm, data.class_names, out / "confusion.png")
    wrong = np.flatnonzero(pred != y)
    plot_misclassified(data.test_images, y, pred, wrong[:40], data.class_names, out / "misclassified.png")
    return cm


def plot_confusion(cm, names, path):
    import matplotlib.pyplot as plt

    from shared.pictures import save_figure

    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(np.log1p(cm), cmap="Blues")
    for i in range(len(names)):
        for j in range(len(names)):
            color = "white" if cm[i, j] > cm.max() / 3 else "black"
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=9, color=color)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=10)
    ax.set_yticks(range(len(names)), names, fontsize=10)
    ax.set(xlabel="predicted", ylabel="true", title="Confusion matrix (test set; colour: log count)")
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def plot_misclassified(images, y, pred, idx, names, path):
    import matplotlib.pyplot as plt

    from shared.pictures import save_figure

    cols = 8
    rows = max(1, -(-len(idx) // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.3, rows * 1.75 + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    arrow = "\n→ " if max(map(len, names)) > 3 else " → "  # long class names: one line each
    for ax, i in zip(axes.flat, idx):
        ax.imshow(images[i], cmap="gray_r")
        ax.set_title(f"{names[y[i]]}{arrow}{names[pred[i]]}", fontsize=10)
    fig.suptitle("Misclassified test images (true → predicted)", fontsize=12)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


if __name__ == "__main__":
    main()
