"""Our NumPy CNN against the same network in PyTorch on the CPU, measured in one run.

    python -m stage07_full_cnn.bench_torch [--rounds 2] [--images 60000] [--out runs/bench-torch]

Both train one epoch at batch 64 on the same data (Fashion-MNIST's 60,000 training
images where installed, else random images of that shape, said so), from the same
initial weights, with PyTorch limited to 2 threads. The two alternate, round after
round, so that drift on a shared machine hits both. Then inference images per second
at batch 1000. Prints a table and saves it with a bar chart.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from shared.benchmark import machine_info, machine_line, median_time
from shared.memory import reuse_freed_memory
from stage06_optimizers.optimizers import Adam
from stage06_optimizers.schedules import constant
from stage07_full_cnn.benchmark import load_images
from stage07_full_cnn.model import build_cnn
from stage07_full_cnn.torch_reference import nchw, torch_cnn
from stage07_full_cnn.torch_reference import train_epoch as torch_train_epoch
from stage07_full_cnn.train import train_epoch

TARGET_TRAIN, TARGET_INFER = 1.5, 1.0  # epoch within 1.5x torch's time; inference at least torch's speed


def main(argv=None):
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--images", type=int, default=60000)
    parser.add_argument("--out", type=Path, default=Path("runs/bench-torch"))
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    reuse_freed_memory()
    x, y, note = load_images(args.images)
    ours = build_cnn(np.random.default_rng(0))
    theirs = torch_cnn(torch, ours)
    opt, topt = Adam(1e-3), torch.optim.Adam(theirs.parameters(), lr=1e-3)

    epochs = {"numpy": [], "torch": []}
    for r in range(args.rounds):
        start = time.perf_counter()
        train_epoch(ours, opt, constant(1e-3), x, y, 64, np.random.default_rng(r), progress=False)
        epochs["numpy"].append(time.perf_counter() - start)
        start = time.perf_counter()
        torch_train_epoch(torch, theirs, topt, x, y, 64, np.random.default_rng(r))
        epochs["torch"].append(time.perf_counter() - start)
        print(f"round {r + 1}: numpy {epochs['numpy'][-1]:.1f} s, torch {epochs['torch'][-1]:.1f} s", flush=True)

    x_test = x[:10000]

    def torch_infer():
        with torch.no_grad():
            for i in range(0, len(x_test), 1000):
                theirs(nchw(torch, x_test[i : i + 1000]))

    infer = {"numpy": [], "torch": []}
    for _ in range(3):  # alternate here too
        infer["numpy"].append(median_time(lambda: ours.predict(x_test, 1000), repeats=1))
        infer["torch"].append(median_time(torch_infer, repeats=1))
    epoch_s = {k: float(np.median(v)) for k, v in epochs.items()}
    infer_ips = {k: len(x_test) / float(np.median(v)) for k, v in infer.items()}
    ratio_train, ratio_infer = epoch_s["numpy"] / epoch_s["torch"], infer_ips["numpy"] / infer_ips["torch"]
    lines = [
        f"One training epoch at batch 64 on {len(x):,} images: {note}. PyTorch {torch.__version__}, 2 threads.",
        f"Median of {args.rounds} alternating rounds; inference on 10,000 images at batch 1000, median of 3.",
        "",
        "| | NumPy (this repo) | PyTorch CPU | ratio | target |",
        "|---|---|---|---|---|",
        f"| seconds per training epoch | {epoch_s['numpy']:.1f} | {epoch_s['torch']:.1f} | "
        f"{ratio_train:.2f}x the time | at most {TARGET_TRAIN}x |",
        f"| training images/s | {len(x) / epoch_s['numpy']:.0f} | {len(x) / epoch_s['torch']:.0f} | | |",
        f"| inference images/s | {infer_ips['numpy']:.0f} | {infer_ips['torch']:.0f} | "
        f"{ratio_infer:.2f}x the speed | at least {TARGET_INFER}x |",
    ]
    table = "\n".join(lines)
    print("\n" + table)
    args.out.mkdir(parents=True, exist_ok=True)
    info, machine = machine_info(), machine_line()
    (args.out / "bench_torch.md").write_text(table + f"\n\nMeasured on: {machine}.\n")
    payload = {
        "data": note,
        "epochs_s": epochs,
        "inference_s": infer,
        "epoch_s": epoch_s,
        "inference_ips": infer_ips,
        "train_ratio": ratio_train,
        "inference_ratio": ratio_infer,
        "machine": info,
    }
    (args.out / "bench_torch.json").write_text(json.dumps(payload, indent=2) + "\n")
    plot(epoch_s, infer_ips, args.out / "bench_torch.png")


def plot(epoch_s, infer_ips, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.5))
    names, colors = ["NumPy (this repo)", "PyTorch CPU"], ["C0", "C1"]
    ax1.bar(names, [epoch_s["numpy"], epoch_s["torch"]], color=colors)
    ax1.set(ylabel="seconds", title="One training epoch (lower is better)")
    ax2.bar(names, [infer_ips["numpy"], infer_ips["torch"]], color=colors)
    ax2.set(ylabel="images / s", title="Inference, batch 1000 (higher is better)")
    for ax in (ax1, ax2):
        for p in ax.patches:
            ax.annotate(
                f"{p.get_height():.0f}", (p.get_x() + p.get_width() / 2, p.get_height()), ha="center", va="bottom"
            )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
