"""How fast is the full CNN, against the time of its own matrix products?

    python -m stage07_full_cnn.measure.benchmark [--images 60000] [--out runs/bench]

1. One training epoch at batch 64 on Fashion-MNIST's 60,000 training images
   (Debian's dataset-fashion-mnist package), or on random data of the same shape
   where it is not installed (said so), trained as `train` does: data-parallel on
   every core (parallel.py). In ten segments, each followed by the epoch's own
   matrix products for the same number of steps, alone, at their own shapes and
   on the same threads (products.py): the epoch against its products, alternating,
   so that a machine that speeds up or slows down moves both. Target: the epoch
   at most 2.0 times its products' time.
2. Data parallelism against one thread (whose matmuls still use every core):
   training steps and inference, alternating sides, in the same run.
3. Inference images per second, and a per-layer table of forward and backward
   time for one batch of 64 (one thread), beside each layer's products alone.
"""

from __future__ import annotations

import argparse
import json
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np

from shared.benchmark import (
    MachineWatch,
    against_target,
    benchmark_images,
    compare,
    machine_info,
    machine_line,
    median_time,
)
from shared.files import write_text
from shared.memory import reuse_freed_memory
from shared.preprocess import minibatches
from stage01_fc.functional import softmax_cross_entropy
from stage06_optimizers.optimizers import Adam
from stage06_optimizers.schedules import constant
from stage07_full_cnn.measure.products import flops, layer_products_seconds, operands, products_seconds, step_products
from stage07_full_cnn.model import build_cnn
from stage07_full_cnn.parallel import DataParallel, available_cores, shares
from stage07_full_cnn.train import train_step

TARGET = 2.0  # the epoch may take at most this many times its own products' time
SEGMENTS = 10


def epoch_against_products(model, x, y, seed, threads):
    """One data-parallel training epoch (Adam 1e-3, batches of 64, as train.py runs it) in SEGMENTS
    parts, each followed by the same number of steps' products alone: (epoch s, products s, TFLOP)."""
    plans = [step_products(model, part.stop - part.start) for part in shares(64, threads)]
    per_thread = [operands(plan) for plan in plans]
    steps = -(-len(x) // 64)
    ends = set(np.linspace(0, steps, SEGMENTS + 1).round().astype(int)[1:])
    opt, schedule, epoch, products, done, last = Adam(1e-3), constant(1e-3), 0.0, 0.0, 0, 0
    with DataParallel(model, threads) as net:
        start = time.perf_counter()
        for xb, yb in minibatches(x, y, 64, np.random.default_rng(seed)):
            train_step(net, opt, schedule, xb, yb)
            done += 1
            if done in ends:
                epoch += time.perf_counter() - start
                products += products_seconds(per_thread, done - last)
                start, last = time.perf_counter(), done
    return epoch, products, steps * sum(flops(plan) for plan in plans) / 1e12


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


def cached_bytes(layer):
    """Bytes of the arrays `layer` keeps for its backward, its own parameters not counted."""
    params = [id(p) for p in layer.params.values()]

    def walk(item):
        if isinstance(item, np.ndarray):
            return 0 if id(item) in params else item.nbytes
        return sum(walk(i) for i in item) if isinstance(item, tuple) else 0

    return walk(layer.cache)


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
    watch = MachineWatch()
    reuse_freed_memory()
    x, y, note = benchmark_images(args.images)
    model = build_cnn(np.random.default_rng(0))
    threads = available_cores()
    epoch, products, tflop = epoch_against_products(model, x, y, seed=1, threads=threads)
    x_test = x[:10000]
    with DataParallel(model) as net:
        infer = median_time(lambda: net.predict(x_test), repeats=3)
    versus = parallel_against_one_thread(model, x, y)
    one, par = versus["one thread"], versus["data-parallel"]
    layers = per_layer_times(model, x[:64], y[:64])
    cached = [cached_bytes(layer) / 1e6 for layer in model.layers]  # after a training forward on 64
    layer_products = layer_products_seconds(step_products(model, 64))
    state = watch.finish()

    results = {
        "data": note,
        "epoch_images": len(x),
        "epoch_tflop": tflop,
        "epoch_seconds": epoch,
        "products_seconds": products,
        "epoch_over_products": epoch / products,
        "products_gflops": 1e3 * tflop / products,
        "train_images_per_s": len(x) / epoch,
        "inference_images_per_s": len(x_test) / infer,
        "threads": threads,
        "parallel_against_one_thread": versus,
        "layers_ms": [
            {
                "layer": n,
                "forward": 1e3 * f,
                "backward": 1e3 * b,
                "cached_mb": cached[i],
                **product_ms(layer_products, i),
            }
            for i, (n, f, b) in enumerate(layers)
        ],
        "machine": machine_info(),
        "machine_state": state,
    }
    speedup = compare("data-parallel", par["step_s"], "one thread", one["step_s"])
    lines = [
        f"Training epoch at batch 64 on {note}, data-parallel on {threads} threads; CPU: {machine_info()['cpu']}",
        "",
        "| figure | value |",
        "|---|---|",
        f"| measured epoch | {epoch:.1f} s |",
        f"| the epoch's own matrix products alone, in turn with it | {products:.1f} s "
        f"({tflop:.2f} TFLOP at {1e3 * tflop / products:.0f} GFLOP/s) |",
        f"| epoch / its own products' time | {against_target(epoch / products, TARGET)} |",
        f"| training throughput | {len(x) / epoch:.0f} images/s |",
        f"| inference throughput (64 images at a time per thread) | {len(x_test) / infer:.0f} images/s |",
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
        f"In training steps, {speedup}.",
        "",
        "Per layer, one batch of 64, one thread (median ms), and the layer's matrix products alone:",
        "",
        "| # | layer | forward | its products | backward | its products | cached for backward |",
        "|---|---|---|---|---|---|---|",
    ]
    for i, (row, (n, f, b)) in enumerate(zip(results["layers_ms"], layers)):
        pf, pb = (f"{row[k]:.2f}" if k in row else "" for k in ("forward products", "backward products"))
        lines.append(f"| {i} | {n} | {1e3 * f:.2f} | {pf} | {1e3 * b:.2f} | {pb} | {row['cached_mb']:.2f} MB |")
    total = [1e3 * sum(t[k] for t in layers) for k in (1, 2)]
    total_products = [
        1e3 * sum(v for (_, phase), v in layer_products.items() if phase == p) for p in ("forward", "backward")
    ]
    lines.append(
        f"| | total | {total[0]:.1f} | {total_products[0]:.1f} | {total[1]:.1f} | {total_products[1]:.1f} "
        f"| {sum(cached):.1f} MB |"
    )
    table = "\n".join(lines)
    print(table)
    args.out.mkdir(parents=True, exist_ok=True)
    tail = "\n\n".join([f"Measured on: {machine_line()}.", *watch.lines()])
    write_text(args.out / "speed.md", f"{table}\n\n{tail}\n")
    write_text(args.out / "speed.json", json.dumps(results, indent=2) + "\n")
    print(f"\nsaved {args.out}/speed.md and speed.json")


def product_ms(layer_products, i):
    """{"forward products": ms, "backward products": ms} for the layer's phases that have products."""
    return {f"{phase} products": 1e3 * s for (j, phase), s in layer_products.items() if j == i}


if __name__ == "__main__":
    main()
