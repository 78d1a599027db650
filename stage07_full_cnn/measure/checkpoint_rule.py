"""Which checkpoint should a run ship? Three rules compared over seeds, on the test digits.

    python -m stage07_full_cnn.measure.checkpoint_rule [--seeds 0 1 2] [--out runs/checkpoint-rule]

Trains stage 7's default run (Adam 1e-3, constant rate, batch 64, 20 epochs) on the
embedded sample once per seed and, after every epoch, tests three candidates on the
sample's 1,000 test digits:
  - "first best validation accuracy": the rule train.py used before, the first epoch whose
    accuracy on the 400 validation digits was the highest so far (one digit is 0.25 points,
    so ties are common and the earliest wins);
  - the last epoch's weights;
  - the mean of the weights at the end of the last 5 epochs (Polyak averaging).
train.py ships the last epoch (best.npz); docs/stage07.md, "Which checkpoint to ship", says why.
Writes checkpoint_rule.json (every epoch's accuracies) and checkpoint_rule.md (the table).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from shared.benchmark import machine_line
from shared.files import write_text
from stage01_fc.layers import evaluate
from stage07_full_cnn.options import build_parser
from stage07_full_cnn.parallel import DataParallel
from stage07_full_cnn.train import Recipe, Run

AVERAGED = 5  # the mean of the weights at the end of the last 5 epochs


def one_seed(seed, out):
    """Train one seed; return every epoch's validation and test accuracy and the averaged model's."""
    args = build_parser("", out="runs").parse_args(
        ["--dataset", "mnist-sample", "--seed", str(seed), "--out", str(out), "--overwrite", "--no-progress"]
    )
    run = Run(args, Recipe())
    data, epochs, total = run.data, [], {}
    with DataParallel(run.model) as net:
        for epoch in range(1, run.config["epochs"] + 1):
            run.train_epoch(net, desc="")
            run.epoch = epoch
            _, val_acc = evaluate(net, data["x_val"], data["y_val"])
            _, test_acc = evaluate(net, data["x_test"], data["y_test"])
            row = {"epoch": epoch, "val_acc": val_acc, "test_acc": test_acc}
            if epoch > run.config["epochs"] - AVERAGED:
                params = run.model.params()
                total = {k: total.get(k, 0.0) + v.astype(np.float64) for k, v in params.items()}
                kept = {k: v.copy() for k, v in params.items()}
                for name, value in params.items():
                    value[...] = total[name] / (epoch - run.config["epochs"] + AVERAGED)
                row["averaged_test_acc"] = evaluate(net, data["x_test"], data["y_test"])[1]
                for name, value in params.items():
                    value[...] = kept[name]
            epochs.append(row)
            print(f"seed {seed} epoch {epoch:2d}: val {val_acc:.2%}  test {test_acc:.2%}", flush=True)
    return epochs


def summarize(epochs):
    val = [e["val_acc"] for e in epochs]
    first_best = epochs[int(np.argmax(val))]  # argmax: the first of tied maxima, as the old rule
    return {
        "first_best_val_epoch": first_best["epoch"],
        "first_best_val_test_acc": first_best["test_acc"],
        "last_test_acc": epochs[-1]["test_acc"],
        "averaged_test_acc": epochs[-1]["averaged_test_acc"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("runs/checkpoint-rule"))
    args = parser.parse_args(argv)
    machine = machine_line()
    print(machine)
    results = {}
    for seed in args.seeds:
        epochs = one_seed(seed, args.out / f"seed{seed}")
        results[str(seed)] = {"epochs": epochs, **summarize(epochs)}
    rules = ["first_best_val_test_acc", "last_test_acc", "averaged_test_acc"]
    spread = {rule: max(r[rule] for r in results.values()) - min(r[rule] for r in results.values()) for rule in rules}
    lines = [
        f"Stage 7 on mnist-sample, 20 epochs, seeds {' '.join(map(str, args.seeds))}: test accuracy of the shipped "
        f"checkpoint by each rule (`python -m stage07_full_cnn.measure.checkpoint_rule`; {machine}).",
        "",
        "| seed | first best validation accuracy (epoch) | last epoch | mean of the last 5 epochs |",
        "|---|---|---|---|",
    ]
    for seed, r in results.items():
        lines.append(
            f"| {seed} | {r['first_best_val_test_acc']:.2%} ({r['first_best_val_epoch']}) | {r['last_test_acc']:.2%} "
            f"| {r['averaged_test_acc']:.2%} |"
        )
    lines.append("| spread | " + " | ".join(f"{100 * spread[rule]:.2f} points" for rule in rules) + " |")
    table = "\n".join(lines)
    print("\n" + table)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(
        args.out / "checkpoint_rule.json",
        json.dumps({"machine": machine, "seeds": results, "spread": spread}, indent=2) + "\n",
    )
    write_text(args.out / "checkpoint_rule.md", table + "\n")
    print(f"\nwrote {args.out}/checkpoint_rule.json and checkpoint_rule.md")


if __name__ == "__main__":
    main()
