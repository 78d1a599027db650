"""What each regularizer buys: the same training five times, switching the techniques on one by one.

    python -m stage08_regularization.ablation [--dataset mnist-sample] [--epochs 20] [--out runs/stage08-ablation]
                                              [--resume | --overwrite]

Runs stage 8's training (same seed, epochs, schedule and everything else) as
    base          stage 7's network: no batch norm, no dropout, no augmentation
    +augment      random rotation, scaling and shift of the training images
    +dropout      dropout 0.5 before the last layer
    +batch norm   batch norm after each conv block
    all           the three together (stage 8's default)
and writes ablation.md (the table), ablation.json and ablation.png: training and
validation loss side by side, so the gap between them (overfitting) can be seen
closing. Each run's own folder (checkpoints, metrics) is kept under --out. As train does,
it refuses to replace runs already there: --resume finishes the runs that are not done
(and reuses the finished ones), --overwrite starts them all anew.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from shared.files import FileProblem, writable_folder, write_text
from shared.pictures import save_figure
from stage07_full_cnn.checkpoint import CheckpointError, load_checkpoint
from stage08_regularization.train import main as train

OFF = ["--no-batch-norm", "--dropout", "0", "--no-augment"]
RUNS = {
    "base": OFF,
    "+augment": ["--no-batch-norm", "--dropout", "0", "--augment"],
    "+dropout": ["--no-batch-norm", "--dropout", "0.5", "--no-augment"],
    "+batch norm": ["--batch-norm", "--dropout", "0", "--no-augment"],
    "all": ["--batch-norm", "--dropout", "0.5", "--augment"],
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="mnist-sample")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("runs/stage08-ablation"))
    again = parser.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="finish the runs under --out that are not done")
    again.add_argument("--overwrite", action="store_true", help="replace the runs under --out")
    args = parser.parse_args(argv)
    folders = {name: args.out / name.replace("+", "").replace(" ", "-") for name in RUNS}
    try:
        writable_folder(args.out, "--out")
    except FileProblem as err:
        sys.exit(f"error: {err}")
    held = [f.name for f in folders.values() if any((f / n).exists() for n in ("last.npz", "best.npz", "summary.json"))]
    if held and not (args.resume or args.overwrite):  # checked for all five before any training
        sys.exit(
            f"error: --out {args.out} already holds the runs {', '.join(held)}; finish them with --resume, "
            f"replace them with --overwrite, or choose another --out"
        )
    results = {}
    for name, switches in RUNS.items():
        folder = folders[name]
        print(f"\n=== {name} ===", flush=True)
        common = ["--epochs", str(args.epochs), "--no-progress", "--out", str(folder)]
        if args.resume and finished(folder, args.epochs):
            summary = json.loads((folder / "summary.json").read_text())
            print(f"{folder} is finished: its summary.json is reused")
        elif args.resume and (folder / "last.npz").exists():
            summary = train([*common, "--resume"])
        else:
            summary = train([*common, "--dataset", args.dataset, *switches, "--overwrite"])
        history = load_checkpoint(folder / "last.npz").meta["history"]
        results[name] = {"summary": summary, "history": history}
    write(results, args)


def finished(folder, epochs):
    """Whether the run in `folder` has trained all `epochs` epochs and written its summary."""
    try:
        return (folder / "summary.json").is_file() and load_checkpoint(folder / "last.npz").meta["epoch"] == epochs
    except CheckpointError:
        return False


def write(results, args):
    base = results["base"]["summary"]["test_acc"]
    lines = [
        f"{args.dataset}, {args.epochs} epochs each, seed 0, Adam 1e-3 with a cosine schedule "
        f"(`python -m stage08_regularization.ablation --dataset {args.dataset} --epochs {args.epochs}`).",
        "",
        "| run | test accuracy | vs base | final train loss | final val loss | seconds |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        s, last = r["summary"], r["history"][-1]
        lines.append(
            f"| {name} | {s['test_acc']:.2%} | {100 * (s['test_acc'] - base):+.2f} points | "
            f"{last['train_loss']:.4f} | {last['val_loss']:.4f} | {s['train_seconds']:.0f} |"
        )
    table = "\n".join(lines)
    print("\n" + table)
    print(f"\nwrote {write_text(args.out / 'ablation.md', table + chr(10))}")
    print(f"wrote {write_text(args.out / 'ablation.json', json.dumps(results, indent=2) + chr(10))}")
    plot(results, args.out / "ablation.png")


def plot(results, path):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.6), sharey=True)
    for i, (name, r) in enumerate(results.items()):
        epochs = [h["epoch"] for h in r["history"]]
        style = {"color": f"C{i}", "label": name, "linewidth": 2.2 if name in ("base", "all") else 1.3}
        axes[0].plot(epochs, [h["train_loss"] for h in r["history"]], **style)
        axes[1].plot(epochs, [h["val_loss"] for h in r["history"]], **style)
    axes[0].set(title="Training loss", xlabel="epoch", ylabel="cross-entropy loss", yscale="log")
    axes[1].set(title="Validation loss", xlabel="epoch")
    for ax in axes:
        ax.grid(True, alpha=0.3)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=5, fontsize=9)  # below: hides nothing
    fig.suptitle("Where the training loss falls far below the validation loss, the network overfits", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    save_figure(fig, path, dpi=110)


if __name__ == "__main__":
    main()
