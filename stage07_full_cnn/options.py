"""The training program's options: parsed, checked, and reconciled with a run being resumed.

Every option that shapes a run (dataset, epochs, batch size, learning rate, ...) is
saved in its checkpoints as the run's config. A fresh run takes the defaults below
for whatever is not given. `--resume` continues THE run saved in --out: it takes the
saved config, and refuses an option that would change it, rather than silently
ignoring it or quietly starting a different run. The one thing resume may change is
--epochs, to train further, except under a cosine schedule, which was planned for
the original length.

Every bad value ends the program with one line that names the option and the fix.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from shared.files import FileProblem, lookup, writable_folder
from stage06_optimizers.optimizers import OPTIMIZERS
from stage07_full_cnn.parallel import available_cores

DEFAULTS = {
    "dataset": "auto",
    "data_dir": None,
    "epochs": 20,
    "batch_size": 64,
    "lr": 1e-3,
    "optimizer": "adam",
    "schedule": "constant",
    "warmup_epochs": 0.0,
    "step_epochs": 5,
    "gamma": 0.5,
    "weight_decay": None,
    "seed": 0,
    "val_fraction": 0.1,
    "limit": None,
}


class OptionError(ValueError):
    """An option value that cannot work; the message names the option and the fix."""


class BadValue(OptionError):
    """A run option's value that cannot work: --option value: fix. Kept apart so a value read
    from a checkpoint's saved config can be reported as the file's, not as an option given."""

    def __init__(self, option, value, fix):
        super().__init__(f"--{option.replace('_', '-')} {value}: {fix}")
        self.option, self.value, self.fix = option, value, fix


def build_parser(description, extra=(), changed=None, out="runs/stage07", threads=True):
    """The options. A later stage adds its run options as (flag, type, help, default) tuples
    in `extra`, changes defaults with `changed` ({option: value}), names its own --out, and
    leaves out --threads (threads=False) when it does not train data-parallel."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = p.add_argument
    defaults = DEFAULTS | (changed or {}) | {flag[2:].replace("-", "_"): default for flag, _, _, default in extra}
    kinds = {}

    def opt(flag, kind, text, **kw):  # default None: so we can tell a given option from a default
        key = flag[2:].replace("-", "_")
        kinds[key] = kind, kw.get("choices")
        if kind is bool:
            kw["action"] = argparse.BooleanOptionalAction
        else:
            kw["type"] = kind
        add(flag, default=None, help=f"{text} (default: {defaults[key]})", **kw)

    opt("--dataset", str, "auto, mnist, fashion-mnist, mnist-sample, or a folder of IDX files")
    opt("--data-dir", str, "where to look for and download datasets; the default is the user cache")
    opt("--epochs", int, "epochs to train; with --resume, the total to reach")
    opt("--batch-size", int, "images per step")
    opt("--lr", float, "learning rate")
    opt("--optimizer", str, "the optimizer", choices=list(OPTIMIZERS))
    opt("--schedule", str, "learning-rate schedule", choices=["constant", "step", "cosine"])
    opt("--warmup-epochs", float, "linear warm-up epochs (cosine schedule)")
    opt("--step-epochs", int, "step schedule: epochs between decays")
    opt("--gamma", float, "step schedule: the decay factor")
    opt("--weight-decay", float, "None means the optimizer's own (0; 0.01 for adamw)")
    opt("--seed", int, "seeds the weights, the validation split and the batch order")
    opt("--val-fraction", float, "share of the training images held out for validation")
    opt("--limit", int, "use only the first N training images (quick tries); None means all")
    for flag, kind, text, _ in extra:
        opt(flag, kind, text)
    p.set_defaults(run_defaults=defaults, run_kinds=kinds)
    add("--out", type=Path, default=Path(out), help=f"the run's folder (default: {out})")
    add("--resume", action="store_true", help="continue the run in --out from its last.npz")
    add("--overwrite", action="store_true", help="start a new run in --out even if it holds one (replacing it)")
    if threads:
        add("--threads", type=int, default=available_cores(), help="data-parallel threads (default: all cores)")
    add("--no-progress", action="store_true", help="no progress bar (for logs)")
    return p


def given(args):
    """The run options given on the command line (not left at their default)."""
    return {k: getattr(args, k) for k in args.run_defaults if getattr(args, k) is not None}


def fresh_config(args):
    """The config of a new run: the given options over the defaults, checked."""
    config = args.run_defaults | given(args)
    if config["dataset"] not in ("auto", "mnist", "fashion-mnist", "mnist-sample"):
        try:
            if lookup(config["dataset"]) == "folder":
                config["dataset"] = str(Path(config["dataset"]).resolve())  # a folder: found again from anywhere
        except FileProblem as err:
            raise OptionError(f"--dataset {err}") from None
    check(config)
    return config


def check_saved(saved, args, check_more=None):
    """A saved config must hold every run option, of its type, with a value that can work
    (check, then check_more): BadValue naming the entry otherwise."""
    for key, (kind, choices) in args.run_kinds.items():
        if key not in saved:
            raise BadValue(key, None, "the entry is missing")
        value = saved[key]
        if value is None and args.run_defaults[key] is None:
            continue
        kinds = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}[kind]
        if not isinstance(value, kinds) or (kind is not bool and isinstance(value, bool)):
            raise BadValue(key, value, f"must be {'a number' if kind is float else f'of type {kind.__name__}'}")
        if choices and value not in choices:
            raise BadValue(key, value, f"must be one of {', '.join(choices)}")
    check(saved)
    if check_more:
        check_more(saved)


def resumed_config(args, saved, done_epochs):
    """The saved config of the run being resumed, with --epochs if given; refuses any other change."""
    options = given(args)
    epochs = options.pop("epochs", saved["epochs"])
    changed = [k for k, v in options.items() if v != saved.get(k)]
    if changed:
        k = changed[0]
        raise OptionError(
            f"--resume continues the run in {args.out} as it was started, with --{k.replace('_', '-')} "
            f"{saved.get(k)}; drop --{k.replace('_', '-')} {options[k]}, or start a new run with another --out"
        )
    if done_epochs >= saved["epochs"] and saved["schedule"] == "cosine":
        raise OptionError(
            f"the run in {args.out} has finished its {saved['epochs']} epochs, and its cosine schedule ended "
            f"there (the rate fell to 0), so it cannot train further; start a new run with --epochs "
            f"{saved['epochs'] + 10}, say, and another --out (or --overwrite)"
        )
    if epochs != saved["epochs"] and saved["schedule"] == "cosine":
        raise OptionError(
            f"--epochs {epochs}: the run's cosine schedule was planned for {saved['epochs']} epochs and would jump; "
            f"resume without --epochs, or start a new run"
        )
    if epochs <= done_epochs:
        raise OptionError(
            f"--epochs {epochs}: the run in {args.out} has already trained {done_epochs} epochs; "
            f"give --epochs above {done_epochs} to train further"
        )
    return saved | {"epochs": epochs}


def check(config):
    """Raise OptionError for a value that cannot work."""

    def need(ok, option, fix):
        if not ok:
            raise BadValue(option, config[option], fix)

    def positive(x):
        return isinstance(x, (int, float)) and math.isfinite(x) and x > 0

    need(config["epochs"] >= 1, "epochs", "train at least 1 epoch")
    need(config["seed"] >= 0, "seed", "use a seed of 0 or more (numpy's generators take no negative seed)")
    need(config["batch_size"] >= 1, "batch_size", "use at least 1 image per step (64 is usual)")
    need(positive(config["lr"]), "lr", "the learning rate must be a positive number (1e-3 suits Adam)")
    need(config["step_epochs"] >= 1, "step_epochs", "decay every 1 or more epochs")
    need(positive(config["gamma"]), "gamma", "the decay factor must be a positive number (0.5 halves the rate)")
    need(0 < config["val_fraction"] < 1, "val_fraction", "hold out a share between 0 and 1 (0.1 is usual)")
    need(config["limit"] is None or config["limit"] >= 1, "limit", "use at least 1 image, or leave --limit out")
    wd = config["weight_decay"]
    need(wd is None or (math.isfinite(wd) and wd >= 0), "weight_decay", "weight decay must be 0 or more")
    warm = config["warmup_epochs"]
    need(math.isfinite(warm) and warm >= 0, "warmup_epochs", "warm up for 0 or more epochs")
    need(warm < config["epochs"], "warmup_epochs", f"the warm-up must end before the run does ({config['epochs']})")


def check_program_options(args):
    """The options that are not part of the run: --threads and --out."""
    if getattr(args, "threads", 1) < 1:  # only a data-parallel stage has --threads
        raise OptionError(f"--threads {args.threads}: use at least 1 thread")
    if args.resume and args.overwrite:
        raise OptionError("--resume continues the run in --out and --overwrite replaces it: give one of the two")
    check_out_folder(args)


def check_out_folder(args):
    """--out must be a folder we can write; with a run in it, only --resume or --overwrite may use it."""
    out = args.out
    try:
        kind = lookup(out, "--out ")
        if kind == "folder" and not args.resume and not args.overwrite:
            held = [name for name in ("last.npz", "best.npz", "summary.json") if (out / name).exists()]
            if held:
                raise OptionError(
                    f"--out {out} already holds a run ({', '.join(held)}); continue it with --resume, "
                    f"replace it with --overwrite, or choose another --out"
                )
        writable_folder(out, "--out")
    except FileProblem as err:
        raise OptionError(str(err)) from None
