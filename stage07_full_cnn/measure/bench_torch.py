"""Our NumPy CNN against the same network in PyTorch on the CPU, each epoch in a fresh process.

    python -m stage07_full_cnn.measure.bench_torch [--rounds 2] [--images 60000] [--out runs/bench-torch]

Both sides train one epoch at batch 64 on the same data (Fashion-MNIST's 60,000
training images where installed, else random images of that shape, said so), from
the same initial weights, each with every core: PyTorch with torch.set_num_threads,
ours data-parallel (parallel.py). Then each measures inference images per second
on 10,000 images: PyTorch at batch 1000, ours as evaluate runs it.

Every timed epoch runs in its own new Python process, and the sides alternate
(numpy, torch, torch, numpy, ...). Why: in one process, the side that ran last
leaves worker threads behind (OpenBLAS's and OpenMP's busy-wait after each call)
that compete with the next side for the same two cores; an earlier version of this
benchmark timed PyTorch at about twice its undisturbed time that way. A fresh
process starts with no such threads. Prints a table with the CPU model and both
sides' thread settings, and saves it with a bar chart.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from shared.benchmark import MachineWatch, against_target, benchmark_images, machine_info, machine_line
from shared.files import write_text
from shared.memory import reuse_freed_memory
from shared.preprocess import minibatches
from stage06_optimizers.optimizers import Adam
from stage06_optimizers.schedules import constant
from stage07_full_cnn.measure.torch_reference import nchw, torch_cnn
from stage07_full_cnn.measure.torch_reference import train_epoch as torch_train_epoch
from stage07_full_cnn.model import build_cnn
from stage07_full_cnn.parallel import DataParallel, available_cores
from stage07_full_cnn.train import train_step

TARGET_TRAIN, TARGET_INFER = 1.5, 1.2  # epoch within 1.5x torch's time; inference at least 1.2x torch's speed


def numpy_side(x, y, x_test, seed):
    """One epoch and inference of our network; (epoch seconds, inference seconds, thread settings)."""
    from threadpoolctl import threadpool_info

    model = build_cnn(np.random.default_rng(0))
    with DataParallel(model) as net:
        blas = [f"{lib['internal_api']} {lib.get('version')}, {lib['num_threads']} thread(s) per call"
                for lib in threadpool_info() if lib["user_api"] == "blas"]  # fmt: skip
        start = time.perf_counter()
        opt, rng = Adam(1e-3), np.random.default_rng(seed)
        for xb, yb in minibatches(x, y, 64, rng):
            train_step(net, opt, constant(1e-3), xb, yb)
        epoch = time.perf_counter() - start
        start = time.perf_counter()
        net.predict(x_test)
        infer = time.perf_counter() - start
        threads = f"NumPy {np.__version__}, data-parallel on {net.threads} threads, BLAS: {'; '.join(blas)}"
    return epoch, infer, threads


def torch_side(x, y, x_test, seed):
    """One epoch and inference of the same network in PyTorch; the same three values."""
    import torch

    torch.set_num_threads(available_cores())
    net = torch_cnn(torch, build_cnn(np.random.default_rng(0)))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    start = time.perf_counter()
    torch_train_epoch(torch, net, opt, x, y, 64, np.random.default_rng(seed))
    epoch = time.perf_counter() - start
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(x_test), 1000):
            net(nchw(torch, x_test[i : i + 1000]))
    infer = time.perf_counter() - start
    parallel = torch.__config__.parallel_info().splitlines()
    backend = next((line for line in parallel if "parallel backend" in line), "").strip()
    return epoch, infer, f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {backend}"


def worker(side, images, seed):
    """Run one side in this (fresh) process and print its result as one JSON line."""
    reuse_freed_memory()
    x, y, note = benchmark_images(images)
    epoch, infer, threads = (numpy_side if side == "numpy" else torch_side)(x, y, x[:10000], seed)
    print(json.dumps({"epoch_s": epoch, "infer_s": infer, "infer_images": min(10000, len(x)), "threads": threads,
                      "data": note}))  # fmt: skip


def run_side(side, images, seed):
    cmd = [sys.executable, "-m", "stage07_full_cnn.measure.bench_torch", "--worker", side, "--images", str(images)]
    done = subprocess.run([*cmd, "--seed", str(seed)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"the {side} side failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--images", type=int, default=60000)
    parser.add_argument("--out", type=Path, default=Path("runs/bench-torch"))
    parser.add_argument("--worker", choices=["numpy", "torch"], help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.images, args.seed)

    info, watch = machine_info(), MachineWatch()  # prints the CPU and the machine's state
    print("Each epoch in a fresh process, sides alternating", flush=True)
    runs = {"numpy": [], "torch": []}
    for r in range(args.rounds):
        for side in ("numpy", "torch") if r % 2 == 0 else ("torch", "numpy"):
            runs[side].append(run_side(side, args.images, r))
            print(f"round {r + 1}: {side} epoch {runs[side][-1]['epoch_s']:.1f} s", flush=True)
    state = watch.finish()
    note = runs["numpy"][0]["data"]
    epochs = {k: [run["epoch_s"] for run in v] for k, v in runs.items()}
    epoch_s = {k: float(np.median(v)) for k, v in epochs.items()}
    infer_ips = {k: float(np.median([run["infer_images"] / run["infer_s"] for run in v])) for k, v in runs.items()}
    ratio_train, ratio_infer = epoch_s["numpy"] / epoch_s["torch"], infer_ips["numpy"] / infer_ips["torch"]
    lines = [
        f"One training epoch at batch 64 on {args.images:,} images: {note}.",
        f"CPU: {info['cpu']} ({info['cores']} cores). Each epoch in a fresh process, sides alternating; "
        f"median of {args.rounds} rounds. Inference on {min(10000, args.images):,} images after each epoch.",
        f"Ours: {runs['numpy'][0]['threads']}.",
        f"PyTorch: {runs['torch'][0]['threads']}.",
        "",
        "| | NumPy (this repo) | PyTorch CPU | ratio | target |",
        "|---|---|---|---|---|",
        f"| seconds per training epoch | {epoch_s['numpy']:.1f} | {epoch_s['torch']:.1f} | "
        f"{ratio_train:.2f}x the time | {against_target(ratio_train, TARGET_TRAIN)} |",
        f"| training images/s | {args.images / epoch_s['numpy']:.0f} | {args.images / epoch_s['torch']:.0f} | | |",
        f"| inference images/s | {infer_ips['numpy']:.0f} | {infer_ips['torch']:.0f} | "
        f"{ratio_infer:.2f}x the speed | {against_target(ratio_infer, TARGET_INFER, at_most=False)} |",
        "",
        "Epoch time ratio in each round (NumPy / PyTorch, run one after the other): "
        + ", ".join(f"{a / b:.2f}x" for a, b in zip(epochs["numpy"], epochs["torch"])),
    ]
    table = "\n".join(lines)
    print("\n" + table)
    args.out.mkdir(parents=True, exist_ok=True)
    tail = "\n\n".join([f"Measured on: {machine_line()}.", *watch.lines()])
    write_text(args.out / "bench_torch.md", f"{table}\n\n{tail}\n")
    payload = {
        "data": note,
        "runs": runs,
        "epoch_s": epoch_s,
        "inference_ips": infer_ips,
        "train_ratio": ratio_train,
        "inference_ratio": ratio_infer,
        "machine": info,
        "machine_state": state,
    }
    write_text(args.out / "bench_torch.json", json.dumps(payload, indent=2) + "\n")
    plot(epoch_s, infer_ips, args.out / "bench_torch.png")


def plot(epoch_s, infer_ips, path):
    import matplotlib.pyplot as plt

    from shared.pictures import save_figure

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(8, 3.5))
    names, colors = ["NumPy (this repo)", "PyTorch CPU"], ["C0", "C1"]
    ax1.bar(names, [epoch_s["numpy"], epoch_s["torch"]], color=colors)
    ax1.set(ylabel="seconds", title="One training epoch (lower is better)")
    ax2.bar(names, [infer_ips["numpy"], infer_ips["torch"]], color=colors)
    ax2.set(ylabel="images / s", title="Inference (higher is better)")
    for ax in (ax1, ax2):
        for p in ax.patches:
            ax.annotate(
                f"{p.get_height():.0f}", (p.get_x() + p.get_width() / 2, p.get_height()), ha="center", va="bottom"
            )
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


if __name__ == "__main__":
    main()
