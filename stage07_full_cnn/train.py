"""Train the full CNN: python -m stage07_full_cnn.train [options]   (or: nox -s stage07 -- [options])

    --dataset auto           MNIST if on disk or downloadable, else the embedded sample (says so)
    --dataset mnist          MNIST, or a clear error; also fashion-mnist, mnist-sample, or a folder
    --epochs 20 --batch-size 64 --lr 1e-3 --optimizer adam --seed 0 --out runs/stage07
    --resume                 continue the run in --out from its last.npz (options: options.py)
    --overwrite              start anew in an --out that holds a run (otherwise refused)

Writes into --out: best.npz (the model the run ships: its latest epoch's weights, see
docs/stage07.md "Which checkpoint to ship"), last.npz (the same epoch with the
optimizer's state, for --resume), metrics.csv, summary.json, curves.png and
snapshots/ (snapshots.py: a few small weight files for the explorer's replay).
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from tqdm import tqdm

from shared.datasets import DatasetNotFound
from shared.files import replacing, write_text
from shared.idx import IDXError
from shared.memory import reuse_freed_memory
from shared.preprocess import minibatches
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import evaluate
from stage06_optimizers.optimizers import make_optimizer
from stage06_optimizers.schedules import constant, cosine, step_decay
from stage07_full_cnn.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_resumable,
    restore_model,
    restore_optimizer,
    save_checkpoint,
    stage_of,
)
from stage07_full_cnn.data import load_data
from stage07_full_cnn.model import build_cnn, count_parameters
from stage07_full_cnn.options import (
    BadValue,
    OptionError,
    build_parser,
    check_program_options,
    check_saved,
    fresh_config,
    resumed_config,
)
from stage07_full_cnn.parallel import DataParallel
from stage07_full_cnn.snapshots import Snapshots

# a run's outputs, and those the tools write beside its checkpoints (--overwrite removes them first)
OUTPUTS = ["best.npz", "last.npz", "metrics.csv", "summary.json", "curves.png", "evaluation.md", "confusion.png",
           "misclassified.png", "filters.png", "feature_maps.png"]  # fmt: skip
DIVERGED = 1e3  # a mean loss above this means the weights are blowing up (a uniform guess scores ln 10 = 2.3)


@dataclass(frozen=True)
class Recipe:
    """What `main` trains. Stage 7's is the plain CNN; stage 8 passes its own.

    stage: the package that trains it, saved in every checkpoint so the tools can
    rebuild the network. build(config, init_rng, noise_rng) makes the model; noise_rng
    is for randomness inside a training step (dropout). augment(x_batch, config,
    noise_rng), if given, transforms every training batch. extra_options: more run
    options, as (flag, type, help, default), saved in the config like the others.
    parallel: train data-parallel (parallel.py); a model whose images interact within
    a batch (batch norm) or that draws random numbers in its layers must not (and then
    has no --threads option). check(config) raises BadValue for a value of an extra
    option that cannot work.
    """

    stage: str = "stage07_full_cnn"
    build: Callable = lambda config, init_rng, noise_rng: build_cnn(init_rng)
    augment: Callable | None = None
    extra_options: tuple = ()
    defaults: tuple = ()  # (option, value) pairs that replace stage 7's defaults
    parallel: bool = True
    out: str = "runs/stage07"
    check: Callable | None = None


def make_schedule(config, steps_per_epoch):
    lr, total = config["lr"], config["epochs"] * steps_per_epoch
    if config["schedule"] == "step":
        return step_decay(lr, config["step_epochs"] * steps_per_epoch, config["gamma"])
    if config["schedule"] == "cosine":
        return cosine(lr, total, warmup=round(config["warmup_epochs"] * steps_per_epoch))
    return constant(lr)


class DivergedError(RuntimeError):
    pass


# --8<-- [start:step]
def train_step(model, opt, schedule, xb, yb):
    """One optimizer step on the batch (xb, yb) -> its loss."""
    opt.lr = schedule(opt.step_count)  # the rate for THIS step: step_count steps are done
    loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
    if not loss <= DIVERGED:  # also true for nan
        raise DivergedError(f"the loss became {loss:.3g} at optimizer step {opt.step_count + 1}")
    model.backward(dlogits)
    opt.step(model.params(), model.grads())
    return loss


# --8<-- [end:step]


class Run:
    """One training run's state, as CS231n's Solver keeps it: the config, the model and its
    optimizer, the data, the generators and the history.

    Weight initialization, the validation split, the batch order and the noise of a
    step (dropout, augmentation) each draw from their own generator seeded by
    [seed, k], so a resumed run only needs the last two generators' states to continue
    exactly where it stopped. Raises OptionError, CheckpointError or a dataset error,
    each with a clear message.
    """

    def __init__(self, args, recipe):
        self.out, self.recipe, self.progress = args.out, recipe, not args.no_progress
        resumed = None
        if args.resume:
            check_program_options(args)
            resumed = load_resumable(args.out / "last.npz")
            self.check_stage(resumed.meta)
            try:
                check_saved(resumed.meta["config"], args, recipe.check)
            except BadValue as err:
                raise CheckpointError(
                    f"{args.out / 'last.npz'}: its saved config has {err.option} = {json.dumps(err.value)}, which "
                    f"cannot work ({err.fix}); the file was edited or damaged: start a new run"
                ) from None
            self.config = resumed_config(args, resumed.meta["config"], resumed.meta["epoch"])
        else:
            self.config = fresh_config(args)  # bad values are refused before anything is touched
            if recipe.check:
                recipe.check(self.config)
            check_program_options(args)
        config = self.config
        self.epoch, self.history = 0, []
        self.data, self.info = load_data(config)
        if resumed:
            self.check_same_data(resumed.meta["data"])
            self.epoch, self.history = resumed.meta["epoch"], resumed.meta["history"]
            print(f"resuming {args.out} after epoch {self.epoch}")
        self.rngs = {
            name: np.random.default_rng([config["seed"], k]) for name, k in (("batch_rng", 2), ("noise_rng", 3))
        }
        self.model = recipe.build(config, np.random.default_rng([config["seed"], 1]), self.rngs["noise_rng"])
        self.opt = make_optimizer(config["optimizer"], config["lr"], config["weight_decay"])
        if resumed:
            path = args.out / "last.npz"
            restore_model(path, self.model, resumed)
            restore_optimizer(path, self.opt, resumed.optimizer, self.model.params())
            for name, rng in self.rngs.items():
                rng.bit_generator.state = resumed.meta[name]
        steps = -(-len(self.data["x_train"]) // config["batch_size"])
        self.schedule = make_schedule(config, steps_per_epoch=steps)
        self.snapshots = Snapshots(self.out, recipe.stage, steps, fresh=not resumed)  # for the explorer

    def check_stage(self, meta):
        stage = stage_of(self.out / "last.npz", meta)
        if stage != self.recipe.stage:
            raise OptionError(
                f"{self.out} holds a run of {stage}, not {self.recipe.stage}; resume it with "
                f"python -m {stage}.train --out {self.out} --resume"
            )

    def check_same_data(self, saved):
        if self.info["fingerprint"] != saved["fingerprint"]:
            raise OptionError(
                f"cannot resume {self.out}: its training data were {saved['dataset_name']} from {saved['source']}, "
                f"and the files found now ({self.info['source']}) differ; restore them, or start a new run"
            )

    # --8<-- [start:epoch]
    def train_epoch(self, model, desc):
        """One pass over the training set -> (mean loss, images per second)."""
        x, y, losses, start = self.data["x_train"], self.data["y_train"], [], time.perf_counter()
        # disable=None: no bar off a terminal (a log or CI gets the one line per epoch that fit prints)
        quiet = None if self.progress else True
        show = {"desc": desc, "unit": "img", "leave": False, "dynamic_ncols": True, "disable": quiet}
        with tqdm(total=len(x), **show) as bar:
            for xb, yb in minibatches(x, y, self.config["batch_size"], self.rngs["batch_rng"]):
                if self.recipe.augment:  # varies each batch; never the validation or test images
                    xb = self.recipe.augment(xb, self.config, self.rngs["noise_rng"])
                self.snapshots.before_step(self.model, self.opt.step_count, self.epoch)
                losses.append(train_step(model, self.opt, self.schedule, xb, yb))
                bar.update(len(xb))
                if len(losses) % 10 == 0:  # the bar redraws at most 10 times a second anyway
                    img_s = bar.n / (time.perf_counter() - start)
                    bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}", img_s=f"{img_s:.0f}", refresh=False)
        return float(np.mean(losses)), len(x) / (time.perf_counter() - start)

    # --8<-- [end:epoch]

    def fit(self, net):
        """Train from the epoch after self.epoch to config["epochs"], saving after each epoch."""
        epochs = self.config["epochs"]
        for epoch in range(self.epoch + 1, epochs + 1):
            start_time = time.perf_counter()
            try:
                train_loss, img_s = self.train_epoch(net, desc=f"epoch {epoch}/{epochs}")
            except DivergedError as err:
                lr, kept = self.opt.lr, self.kept()
                sys.exit(f"Training stopped: {err}. Try a lower learning rate (--lr, now {lr:g}). Last good: {kept}")
            val_loss, val_acc = evaluate(net, self.data["x_val"], self.data["y_val"])
            if not val_loss <= DIVERGED:  # also true for nan: the weights (or batch norm's statistics) blew up
                sys.exit(
                    f"Training stopped: the validation loss became {val_loss:.3g} after epoch {epoch} (training loss "
                    f"{train_loss:.3g}). Try a lower learning rate (--lr, now {self.opt.lr:g}). "
                    f"Last good: {self.kept()}"
                )
            seconds = time.perf_counter() - start_time
            print(
                f"epoch {epoch:2d}/{epochs}  train loss {train_loss:.4f}  val loss {val_loss:.4f}  "
                f"val acc {val_acc:.2%}  {seconds:.1f} s ({img_s:.0f} img/s)",
                flush=True,
            )
            self.history.append(
                {"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc,
                 "lr": self.opt.lr, "seconds": seconds, "train_img_s": img_s}
            )  # fmt: skip
            self.epoch = epoch
            self.save()
            self.snapshots.after_epoch(self.model, self.opt.step_count, epoch)
            write_metrics(self.out, self.history)

    def kept(self):
        return self.out / "best.npz" if (self.out / "best.npz").exists() else "none saved yet"

    def clear(self):
        """--overwrite: remove the old run's outputs before the new run saves anything, so a
        killed run never leaves its best.npz beside the old run's summary and curves."""
        for name in OUTPUTS:
            (self.out / name).unlink(missing_ok=True)

    def meta(self):
        rngs = {k: r.bit_generator.state for k, r in self.rngs.items()}
        run = {"stage": self.recipe.stage, "epoch": self.epoch, "history": self.history}
        return run | {"config": self.config, "data": self.info} | rngs

    def save(self):
        model, meta = self.model, self.meta()
        try:  # best.npz, the shipped model, needs no optimizer state
            save_checkpoint(self.out / "best.npz", model.params(), {}, meta, model.buffers())
            save_checkpoint(self.out / "last.npz", model.params(), self.opt.state_dict(), meta, model.buffers())
        except OSError as err:
            sys.exit(f"error: cannot save a checkpoint in {self.out} ({err}); the ones saved before are kept")

    def finish(self, net):
        """Test best.npz, write summary.json and curves.png; return the summary."""
        best = load_checkpoint(self.out / "best.npz")
        restore_model(self.out / "best.npz", self.model, best)  # net shares its arrays
        _, val_acc = evaluate(net, self.data["x_val"], self.data["y_val"])
        test_loss, test_acc = evaluate(net, self.data["x_test"], self.data["y_test"])
        summary = {
            "dataset": self.info["dataset_name"],
            "epoch": best.meta["epoch"],
            "val_acc": val_acc,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "train_seconds": sum(h["seconds"] for h in self.history),
        }
        write_text(self.out / "summary.json", json.dumps(summary, indent=2) + "\n")
        plot_curves(self.history, self.out / "curves.png")
        print(f"best.npz (epoch {best.meta['epoch']}): validation accuracy {val_acc:.2%}")
        print(f"test accuracy of best.npz: {test_acc:.2%} (test loss {test_loss:.4f})")
        print(f"wrote {self.out}/best.npz, last.npz, metrics.csv, summary.json, curves.png")
        return summary


def main(argv=None, recipe=Recipe(), description=__doc__):
    parser = build_parser(description, recipe.extra_options, dict(recipe.defaults), recipe.out, recipe.parallel)
    args = parser.parse_args(argv)
    reuse_freed_memory()  # shared/memory.py: reuse big buffers between batches (speed only)
    try:
        run = Run(args, recipe)
    except CheckpointError as err:
        sys.exit(f"cannot resume: {err}")
    except (OptionError, DatasetNotFound, IDXError, ValueError) as err:
        sys.exit(f"error: {err}")
    if args.overwrite:
        run.clear()
    data = run.data
    print(
        f"CNN with {count_parameters(run.model):,} parameters on {run.info['dataset_name']} ({run.info['source']}): "
        f"{len(data['x_train'])} train, {len(data['x_val'])} validation, {len(data['x_test'])} test images"
    )
    # parallel.py: every core on its share of each batch; otherwise one thread of ours (BLAS still uses every core)
    with DataParallel(run.model, args.threads) if recipe.parallel else nullcontext(run.model) as net:
        run.fit(net)
        return run.finish(net)


def write_metrics(out, history):
    with replacing(out / "metrics.csv", "w") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def plot_curves(history, path):
    import matplotlib.pyplot as plt

    from shared.pictures import save_figure

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
    save_figure(fig, path)


if __name__ == "__main__":
    main()
