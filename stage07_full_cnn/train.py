"""Train the full CNN: python -m stage07_full_cnn.train [options]   (or: nox -s stage07 -- [options])

    --dataset auto           MNIST if on disk or downloadable, else the embedded sample (says so)
    --dataset mnist          MNIST, or a clear error; also fashion-mnist, mnist-sample, or a folder
    --epochs 20 --batch-size 64 --lr 1e-3 --optimizer adam --seed 0 --out runs/stage07
    --resume                 continue the run in --out from its last.npz (options: options.py)
    --overwrite              start anew in an --out that holds a run (otherwise refused)

Writes into --out: best.npz (best validation accuracy), last.npz (end of the
latest epoch, for --resume), metrics.csv, summary.json and curves.png.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from shared.datasets import DatasetNotFound, load_dataset, load_default
from shared.idx import IDXError
from shared.memory import reuse_freed_memory
from shared.preprocess import mean_std, minibatches, to_float, train_val_split
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.train import evaluate
from stage06_optimizers.optimizers import make_optimizer
from stage06_optimizers.schedules import constant, cosine, step_decay
from stage07_full_cnn.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_resumable,
    restore_model,
    restore_optimizer,
    save_checkpoint,
)
from stage07_full_cnn.model import build_cnn, count_parameters, to_model_input
from stage07_full_cnn.options import OptionError, build_parser, check_program_options, fresh_config, resumed_config
from stage07_full_cnn.parallel import DataParallel

DIVERGED = 1e3  # a mean loss above this means the weights are blowing up (a uniform guess scores ln 10 = 2.3)


@dataclass(frozen=True)
class Recipe:
    """What `main` trains. Stage 7's is the plain CNN; stage 8 passes its own.

    build(config, init_rng, noise_rng) makes the model; noise_rng is for randomness
    inside a training step (dropout). augment(x_batch, config, noise_rng), if given,
    transforms every training batch. extra_options: more run options, as
    (flag, type, help, default), saved in the config like the others. parallel:
    train data-parallel (parallel.py); a model whose images interact within a batch
    (batch norm) or that draws random numbers in its layers must not.
    """

    build: Callable = lambda config, init_rng, noise_rng: build_cnn(init_rng)
    augment: Callable | None = None
    extra_options: tuple = ()
    defaults: tuple = ()  # (option, value) pairs that replace stage 7's defaults
    parallel: bool = True
    out: str = "runs/stage07"


def load_data(config):
    """Train/val/test arrays ready for the model, plus the dataset's class names."""
    if config["dataset"] == "auto":
        data, banner = load_default(config["data_dir"])
        if banner:
            print(banner, flush=True)
    else:
        data = load_dataset(config["dataset"], config["data_dir"])
    images, labels = data.train_images[: config["limit"]], data.train_labels[: config["limit"]]
    train, val = train_val_split(len(images), config["val_fraction"], np.random.default_rng([config["seed"], 0]))
    if len(data.test_images) == 0:
        raise OptionError(f"{data.name} ({data.source}) has no test images; a run needs some to report its accuracy")
    if len(train) == 0 or len(val) == 0:
        raise OptionError(
            f"{len(images)} training images split into {len(train)} for training and {len(val)} for validation "
            f"(--val-fraction {config['val_fraction']}); both need at least one: use more images (--limit)"
        )
    mean, std = mean_std(images)  # the training images' own statistics (MNIST: 0.1307, 0.3081)

    def prepare(x):
        return np.ascontiguousarray(to_model_input(to_float(x, mean, std)))

    arrays = {
        "x_train": prepare(images[train]),
        "y_train": labels[train],
        "x_val": prepare(images[val]),
        "y_val": labels[val],
        "x_test": prepare(data.test_images),
        "y_test": data.test_labels,
    }
    fingerprint = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()  # what resume must find again
    info = {
        "dataset_name": data.name,
        "source": data.source,
        "mean": mean,
        "std": std,
        "classes": data.class_names,
        "fingerprint": fingerprint,
    }
    return arrays, info


def make_schedule(config, steps_per_epoch):
    lr, total = config["lr"], config["epochs"] * steps_per_epoch
    if config["schedule"] == "step":
        return step_decay(lr, config["step_epochs"] * steps_per_epoch, config["gamma"])
    if config["schedule"] == "cosine":
        return cosine(lr, total, warmup=round(config["warmup_epochs"] * steps_per_epoch))
    return constant(lr)


class DivergedError(RuntimeError):
    pass


# --8<-- [start:epoch]
def train_epoch(model, opt, schedule, x, y, batch_size, rng, desc="", progress=True, augment=None):
    """One pass over the training set -> (mean loss, images per second).
    augment(xb), if given, varies each batch."""
    losses, start = [], time.perf_counter()
    params = model.params()
    show = {"desc": desc, "unit": "img", "leave": False, "dynamic_ncols": True, "disable": not progress}
    bar = tqdm(total=len(x), **show)
    for xb, yb in minibatches(x, y, batch_size, rng):
        if augment:
            xb = augment(xb)
        opt.lr = schedule(opt.step_count)
        loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
        if not loss <= DIVERGED:  # also true for nan
            bar.close()
            raise DivergedError(f"the loss became {loss:.3g} at optimizer step {opt.step_count + 1}")
        model.backward(dlogits)
        opt.step(params, model.grads())
        losses.append(loss)
        bar.update(len(xb))
        if len(losses) % 10 == 0:  # the bar redraws at most 10 times a second anyway
            img_s = bar.n / (time.perf_counter() - start)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", img_s=f"{img_s:.0f}", refresh=False)
    bar.close()
    return float(np.mean(losses)), len(x) / (time.perf_counter() - start)


# --8<-- [end:epoch]


def start(args, recipe):
    """A fresh run from args, or the run saved in OUT/last.npz with --resume.

    Returns (config, model, optimizer, generators, data, data info, run state).
    Weight initialization, the validation split, the batch order and the noise of a
    step (dropout, augmentation) each draw from their own generator seeded by
    [seed, k], so a resumed run only needs the last two generators' states to
    continue exactly where it stopped.
    Raises OptionError, CheckpointError or a dataset error, each with a clear message.
    """
    config = None if args.resume else fresh_config(args)  # bad values are refused before anything is touched
    check_program_options(args)
    state = {"history": [], "best_val_acc": -1.0, "epoch": 0}
    resumed = load_resumable(args.out / "last.npz") if args.resume else None
    if resumed:
        config = resumed_config(args, resumed.meta["config"], resumed.meta["epoch"])
        state = {k: resumed.meta[k] for k in state}
        saved = resumed.meta["data"]
        data, info = load_data(config | {"dataset": saved["dataset_name"]} if config["dataset"] == "auto" else config)
        if info["fingerprint"] != saved["fingerprint"]:
            raise OptionError(
                f"cannot resume {args.out}: its training data were {saved['dataset_name']} from {saved['source']}, "
                f"and the files found now ({info['source']}) differ; restore them, or start a new run"
            )
        print(f"resuming {args.out} after epoch {state['epoch']}")
    else:
        data, info = load_data(config)
    rngs = {name: np.random.default_rng([config["seed"], k]) for name, k in (("batch_rng", 2), ("noise_rng", 3))}
    model = recipe.build(config, np.random.default_rng([config["seed"], 1]), rngs["noise_rng"])
    opt = make_optimizer(config["optimizer"], config["lr"], config["weight_decay"])
    if resumed:
        restore_model(args.out / "last.npz", model, resumed)
        restore_optimizer(args.out / "last.npz", opt, resumed.optimizer, model.params())
        for name, rng in rngs.items():
            rng.bit_generator.state = resumed.meta.get(name, rng.bit_generator.state)
    return config, model, opt, rngs, data, info, state


def main(argv=None, recipe=Recipe(), description=__doc__):
    args = build_parser(description, recipe.extra_options, dict(recipe.defaults), recipe.out).parse_args(argv)
    reuse_freed_memory()  # shared/memory.py: reuse big buffers between batches (speed only)
    try:
        config, model, opt, rngs, data, info, state = start(args, recipe)
    except CheckpointError as err:
        sys.exit(f"cannot resume: {err}")
    except (OptionError, DatasetNotFound, IDXError, ValueError) as err:
        sys.exit(f"error: {err}")
    out = args.out
    schedule = make_schedule(config, steps_per_epoch=-(-len(data["x_train"]) // config["batch_size"]))
    print(
        f"CNN with {count_parameters(model):,} parameters on {info['dataset_name']} ({info['source']}): "
        f"{len(data['x_train'])} train, {len(data['x_val'])} validation, {len(data['x_test'])} test images"
    )
    augment = recipe.augment and (lambda xb: recipe.augment(xb, config, rngs["noise_rng"]))
    # parallel.py: every core on its share of each batch; otherwise one thread of ours (BLAS still uses every core)
    with DataParallel(model, args.threads) if recipe.parallel else nullcontext(model) as net:
        run_epochs(net, opt, schedule, data, info, config, rngs, state, out, not args.no_progress, augment)
        return finish(out, net, data, info, state["history"])


def run_epochs(model, opt, schedule, data, info, config, rngs, state, out, progress, augment):
    """Train from state["epoch"] + 1 to config["epochs"], saving checkpoints and metrics after each epoch."""
    epochs = config["epochs"]
    for epoch in range(state["epoch"] + 1, epochs + 1):
        start_time = time.perf_counter()
        try:
            train_loss, img_s = train_epoch(
                model, opt, schedule, data["x_train"], data["y_train"], config["batch_size"], rngs["batch_rng"],
                desc=f"epoch {epoch}/{epochs}", progress=progress, augment=augment,
            )  # fmt: skip
        except DivergedError as err:
            kept = out / "best.npz" if (out / "best.npz").exists() else "none saved yet"
            sys.exit(f"Training stopped: {err}. Try a lower learning rate (--lr, now {opt.lr:g}). Last good: {kept}")
        val_loss, val_acc = evaluate(model, data["x_val"], data["y_val"])
        seconds = time.perf_counter() - start_time
        improved = val_acc > state["best_val_acc"]
        print(
            f"epoch {epoch:2d}/{epochs}  train loss {train_loss:.4f}  val loss {val_loss:.4f}  val acc {val_acc:.2%}"
            f"  {seconds:.1f} s ({img_s:.0f} img/s){'  *best*' if improved else ''}",
            flush=True,
        )
        state["history"].append(
            {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc, "lr": opt.lr,
             "seconds": seconds, "train_img_s": img_s}
        )  # fmt: skip
        state.update(epoch=epoch, best_val_acc=max(val_acc, state["best_val_acc"]))
        meta = {**state, "config": config, "data": info} | {k: r.bit_generator.state for k, r in rngs.items()}
        try:
            for name in ("best.npz", "last.npz") if improved else ("last.npz",):
                save_checkpoint(out / name, model.params(), opt.state_dict(), meta, model.buffers())
        except OSError as err:
            sys.exit(f"error: cannot save a checkpoint in {out} ({err}); the ones saved before are kept")
        write_metrics(out, state["history"])


def finish(out, model, data, info, history):
    """Test the best checkpoint, write summary.json and curves.png; return the summary."""
    best = load_checkpoint(out / "best.npz")
    restore_model(out / "best.npz", model, best)
    test_loss, test_acc = evaluate(model, data["x_test"], data["y_test"])
    summary = {
        "dataset": info["dataset_name"],
        "best_epoch": best.meta["epoch"],
        "best_val_acc": best.meta["best_val_acc"],
        "test_loss": test_loss,
        "test_acc": test_acc,
        "train_seconds": sum(h["seconds"] for h in history),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    plot_curves(history, out / "curves.png")
    print(f"best checkpoint: epoch {summary['best_epoch']}, validation accuracy {summary['best_val_acc']:.2%}")
    print(f"test accuracy of the best checkpoint: {test_acc:.2%} (test loss {test_loss:.4f})")
    print(f"wrote {out}/best.npz, last.npz, metrics.csv, summary.json, curves.png")
    return summary


def write_metrics(out, history):
    with (out / "metrics.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def plot_curves(history, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [h["train_loss"] for h in history], "o-", label="train")
    ax1.plot(epochs, [h["val_loss"] for h in history], "s-", label="validation")
    ax1.set(xlabel="epoch", ylabel="cross-entropy loss", yscale="log", title="Loss")
    ax1.legend()
    ax2.plot(epochs, [100 * h["val_acc"] for h in history], "s-", color="C1")
    ax2.set(xlabel="epoch", ylabel="accuracy (%)", title="Validation accuracy")
    for ax in (ax1, ax2):
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    main()
