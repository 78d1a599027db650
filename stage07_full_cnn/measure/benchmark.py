"""How fast is the full CNN, against this machine's own arithmetic limit?

    python -m stage07_full_cnn.measure.benchmark [--images 60000] [--out runs/bench]

1. The arithmetic: the matmul FLOPs of one training epoch (forward, weight
   gradients, input gradients; conv1 needs none), divided by this machine's float32
   matmul throughput on a 2048x2048 product, measured in the same run.
2. One training epoch at batch 64 on Fashion-MNIST's 60,000 training images
   (Debian's dataset-fashion-mnist package), or on random data of the same shape
   where it is not installed (said so), trained as `train` does: data-parallel on
   every core (parallel.py). The budget is 2.5 times the arithmetic.
3. Data parallelism against one thread (whose matmuls still use every core):
   training steps and inference, alternating sides, in the same run.
4. Inference images per second, and a per-layer table of forward and backward
   time for one batch of 64 (one thread).
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from shared.benchmark import benchmark_images, machine_info, machine_line, matmul_gflops, median_time
from shared.files import write_text
from shared.memory import reuse_freed_memory
from shared.preprocess import minibatches
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import Linear
from stage04_im2col.layers import Conv2D
from stage06_optimizers.optimizers import Adam
from stage06_optimizers.schedules import constant
from stage07_full_cnn.model import build_cnn
from stage07_full_cnn.parallel import DataParallel, available_cores
from stage07_full_cnn.train import train_step

BUDGET = 2.5  # the epoch may take at most this many times the pure arithmetic


def training_flops_per_image(model):
    """Matmul FLOPs of one training step, per image: forward + dW + dx (2 per multiply-add)."""
    x, total = np.zeros((1, 28, 28, 1), np.float32), 0
    for layer in model.layers:
        out = layer.forward(x, train=False)
        if isinstance(layer, (Conv2D, Linear)):
            forward = 2 * out.size * (layer.params["W"].size // out.shape[-1])  # outputs x fan-in
            total += forward * (3 if getattr(layer, "need_dx", True) else 2)
        x = out
    return total


def one_epoch(model, x, y, seed):
    """One training epoch of Adam 1e-3 in batches of 64, as train.py runs it."""
    opt, schedule = Adam(1e-3), constant(1e-3)
    for xb, yb in minibatches(x, y, 64, np.random.default_rng(seed)):
        train_step(model, opt, schedule, xb, yb)


def per_layer_times(model, x, y, repeats=10):
    """Median forward and backward seconds of each layer for one batch."""
    fwd, bwd = [[] for _ in model.layers], [[] for _ in model.layers]
    for _ in range(repeats):
        h = x
        for i, layer in enumerate(model.layers):
            start = time.perf_counter()
            h = layer.forward(h)
            fwd[i].append(time.perf_counter() - start)
        _, d = softmax_cross_entropy(h, y)
        for i in reversed(range(len(model.layers))):
            start = time.perf_counter()
            d = model.layers[i].backward(d)
            bwd[i].append(time.perf_counter() - start)
    return [(type(layer).__name__, np.median(f), np.median(b)) for layer, f, b in zip(model.layers, fwd, bwd)]


def steps_seconds(net, x, y, steps=40):
    """Seconds per training step (forward, backward, gradients) at batch 64, over `steps` steps."""
    steps = max(1, min(steps, len(x) // 64))
    start = time.perf_counter()
    for i in range(steps):
        xb, yb = x[i * 64 : (i + 1) * 64], y[i * 64 : (i + 1) * 64]
        _, dlogits = softmax_cross_entropy(net.forward(xb), yb)
        net.backward(dlogits)
        net.grads()
    return (time.perf_counter() - start) / steps


def parallel_against_one_thread(model, x, y, rounds=3):
    """Median step seconds and inference images/s, one thread against data-parallel, alternating.

    Each side waits a second before it starts, so that the other side's idle BLAS
    threads have stopped spinning (OpenBLAS's workers busy-wait a while after a call).
    """
    x_infer = x[:2000]
    times = {"one thread": {"step": [], "infer": []}, "data-parallel": {"step": [], "infer": []}}
    for _ in range(rounds):
        for side in times:
            time.sleep(1)
            with nullcontext(model) if side == "one thread" else DataParallel(model) as net:
                times[side]["step"].append(steps_seconds(net, x, y))
                times[side]["infer"].append(median_time(lambda: net.predict(x_infer), repeats=1, warmup=0))
    return {
        side: {"step_s": float(np.median(t["step"])), "infer_ips": len(x_infer) / float(np.median(t["infer"]))}
        for side, t in times.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=60000, help="images in the timed epoch")
    parser.add_argument("--out", type=Path, default=Path("runs/bench"))
    args = parser.parse_args(argv)
    reuse_freed_memory()
    x, y, note = benchmark_images(args.images)
    model = build_cnn(np.random.default_rng(0))
    flops = training_flops_per_image(model) * len(x)

    threads = available_cores()
    matmul_before = matmul_gflops()
    with DataParallel(model) as net:
        epoch_seconds = median_time(
            lambda: one_epoch(net, x, y, seed=1),
            repeats=1,
            warmup=0,
        )
        x_test = x[:10000]
        infer = median_time(lambda: net.predict(x_test), repeats=3)
    matmul = (matmul_before + matmul_gflops()) / 2
    arithmetic = flops / (matmul * 1e9)
    versus = parallel_against_one_thread(model, x, y)
    one, par = versus["one thread"], versus["data-parallel"]
    layers = per_layer_times(model, x[:64], y[:64])

    results = {
        "data": note,
        "epoch_images": len(x),
        "epoch_tflop": flops / 1e12,
        "matmul_gflops": matmul,
        "arithmetic_seconds": arithmetic,
        "budget_seconds": BUDGET * arithmetic,
        "epoch_seconds": epoch_seconds,
        "epoch_over_arithmetic": epoch_seconds / arithmetic,
        "train_images_per_s": len(x) / epoch_seconds,
        "inference_images_per_s": len(x_test) / infer,
        "threads": threads,
        "parallel_against_one_thread": versus,
        "layers_ms": [{"layer": n, "forward": 1e3 * f, "backward": 1e3 * b} for n, f, b in layers],
        "machine": machine_info(),
    }
    lines = [
        f"Training epoch at batch 64 on {note}, data-parallel on {threads} threads",
        "",
        "| figure | value |",
        "|---|---|",
        f"| matmul work in the epoch | {flops / 1e12:.2f} TFLOP |",
        f"| float32 matmul, 2048x2048 (same run) | {matmul:.0f} GFLOP/s |",
        f"| arithmetic alone | {arithmetic:.1f} s |",
        f"| budget ({BUDGET} x arithmetic) | {BUDGET * arithmetic:.1f} s |",
        f"| measured epoch | {epoch_seconds:.1f} s ({epoch_seconds / arithmetic:.2f} x arithmetic) |",
        f"| training throughput | {len(x) / epoch_seconds:.0f} images/s |",
        f"| inference throughput (16 images at a time per thread) | {len(x_test) / infer:.0f} images/s |",
        "",
        "Data parallelism against one thread (whose matmuls use every core), alternating, median of 3:",
        "",
        "| | one thread | data-parallel | speedup |",
        "|---|---|---|---|",
        f"| training step, batch 64 | {1e3 * one['step_s']:.1f} ms | {1e3 * par['step_s']:.1f} ms | "
        f"{one['step_s'] / par['step_s']:.2f}x |",
        f"| inference | {one['infer_ips']:.0f} images/s | {par['infer_ips']:.0f} images/s | "
        f"{par['infer_ips'] / one['infer_ips']:.2f}x |",
        "",
        "Per layer, one batch of 64, one thread (median ms):",
        "",
        "| # | layer | forward | backward |",
        "|---|---|---|---|",
    ]
    lines += [f"| {i} | {n} | {1e3 * f:.2f} | {1e3 * b:.2f} |" for i, (n, f, b) in enumerate(layers)]
    lines.append(f"| | total | {1e3 * sum(f for _, f, _ in layers):.1f} | {1e3 * sum(b for _, _, b in layers):.1f} |")
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    machine = machine_line()
    write_text(args.out / "speed.md", table + f"\n\nMeasured on: {machine}.\n")
    write_text(args.out / "speed.json", json.dumps(results, indent=2) + "\n")
    print(f"\nsaved {args.out}/speed.md and speed.json")


if __name__ == "__main__":
    main()
