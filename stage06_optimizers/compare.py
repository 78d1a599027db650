"""Five optimizers, one network, the same start and the same batches.

    python -m stage06_optimizers.compare [--epochs 3] [--out runs/stage06]

Trains a small CNN (conv 1->8 5x5 + 2x2 max pool + ReLU + linear 1568->10) on
the embedded MNIST sample with SGD, momentum, Nesterov, Adam and AdamW. Every run
starts from the same initial weights and sees the same mini-batches in the same
order, so the curves differ only by the optimizer. Prints a table (final
training loss, test accuracy, time per training step and per optimizer update)
and plots the loss curves.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from shared.benchmark import MachineWatch, machine_info, machine_line
from shared.datasets import load_sample
from shared.files import write_text
from shared.preprocess import minibatches, to_float
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import Flatten, Linear, ReLU, Sequential, evaluate
from stage04_im2col.layers import Conv2D
from stage05_strided_pool.layers import MaxPool2D
from stage06_optimizers.optimizers import OPTIMIZERS, make_optimizer

LEARNING_RATES = {"sgd": 0.05, "momentum": 0.005, "nesterov": 0.005, "adam": 1e-3, "adamw": 1e-3}


def small_cnn(rng):
    return Sequential(
        Conv2D(1, 8, 5, rng, pad=2, need_dx=False), MaxPool2D(2), ReLU(), Flatten(), Linear(8 * 14 * 14, 10, rng)
    )


def run(name, x, y, x_test, y_test, epochs, seed):
    model = small_cnn(np.random.default_rng(seed))  # the same initial weights for every optimizer
    batch_rng = np.random.default_rng(seed + 1)  # the same batches, in the same order
    opt = make_optimizer(name, LEARNING_RATES[name])  # AdamW decays weights by 0.01, the others not at all
    losses, step_times, update_times = [], [], []
    for _ in range(epochs):
        for xb, yb in minibatches(x, y, 64, batch_rng):
            start = time.perf_counter()
            loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
            model.backward(dlogits)
            before_update = time.perf_counter()
            opt.step(model.params(), model.grads())
            end = time.perf_counter()
            losses.append(loss)
            step_times.append(end - start)
            update_times.append(end - before_update)
    _, acc = evaluate(model, x_test, y_test)
    return {
        "losses": losses,
        "final_loss": float(np.mean(losses[-len(x) // 64 :])),
        "test_accuracy": acc,
        "ms_per_step": 1e3 * float(np.median(step_times)),
        "ms_per_update": 1e3 * float(np.median(update_times)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/stage06"))
    args = parser.parse_args(argv)
    watch = MachineWatch()
    data = load_sample()
    x, y = to_float(data.train_images).transpose(0, 2, 3, 1), data.train_labels  # NHWC; a view for C = 1
    x_test, y_test = to_float(data.test_images).transpose(0, 2, 3, 1), data.test_labels
    results = {name: run(name, x, y, x_test, y_test, args.epochs, args.seed) for name in OPTIMIZERS}

    lines = [
        f"Small CNN on mnist-sample, {args.epochs} epochs, batch 64, same initial weights and batches",
        "",
        "| optimizer | lr | final train loss | test accuracy | ms per step | ms per update |",
        "|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {LEARNING_RATES[name]:g} | {r['final_loss']:.4f} | {r['test_accuracy']:.2%} "
            f"| {r['ms_per_step']:.2f} | {r['ms_per_update']:.3f} |"
        )
    best = min(results, key=lambda name: results[name]["final_loss"])
    lines += ["", f"Lowest final training loss in this run: {best} ({results[best]['final_loss']:.4f})."]
    table = "\n".join(lines)
    print(table)
    state = watch.finish()
    args.out.mkdir(parents=True, exist_ok=True)
    machine = machine_line()
    write_text(args.out / "optimizers.md", "\n\n".join([table, f"Measured on: {machine}.", *watch.lines()]) + "\n")
    summary = {name: {k: v for k, v in r.items() if k != "losses"} for name, r in results.items()}
    payload = {"machine": machine_info(), "machine_state": state, "results": summary}
    write_text(args.out / "optimizers.json", json.dumps(payload, indent=2))
    plot(results, args.out / "loss_curves.png")
    print(f"saved {args.out}/optimizers.md, optimizers.json and loss_curves.png")


def plot(results, path):
    import matplotlib.pyplot as plt

    from shared.pictures import save_figure

    fig, ax = plt.subplots(figsize=(7, 5))
    window = 20
    for name, r in results.items():
        smooth = np.convolve(r["losses"], np.ones(window) / window, mode="valid")
        style = {"ls": "--", "lw": 1.2} if name == "adamw" else {"lw": 2.4 if name == "adam" else 1.5}
        label = f"{name} (lr {LEARNING_RATES[name]:g})"
        ax.plot(np.arange(window - 1, len(r["losses"])), smooth, label=label, **style)
    ax.set(yscale="log", xlabel="optimizer step", ylabel=f"training loss (mean of {window} steps)")
    ax.set_title("Same network, same start, same batches: only the optimizer differs")
    ax.grid(True, which="both", alpha=0.3)
    # below the plot, so that it hides no curve; adamw (dashed) runs on top of adam
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


if __name__ == "__main__":
    main()
