"""Checkpoints as one .npz file, without pickle: loading one cannot run code.

Inside (every entry a plain array; np.load runs with allow_pickle=False):
    param/<name>      each weight, e.g. param/0.W
    buffer/<name>     each kept, unlearned array, e.g. batch norm's buffer/2.running_mean
    optim/<key>       the optimizer's state, e.g. optim/step_count, optim/0.W/m
    meta              a JSON string: format version, the stage package that trained it,
                      epoch, the states of the batch and noise generators, the training
                      config, the metrics so far

Saving is atomic: the file is written under a temporary name in the same folder
and then renamed over the old one (os.replace), so a crash mid-save leaves the
previous checkpoint whole (and the next save removes the crashed one's temporary
file). Loading checks names, shapes and dtypes against the model, the meta data
the tools rely on, and for resuming the optimizer's state; any problem raises
CheckpointError, naming the file and the problem.
"""

from __future__ import annotations

import json
import math
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from shared.files import FileProblem, check_input, replacing

FORMAT = "cnn-from-scratch checkpoint v1"


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: missing, damaged, or for another model."""


@dataclass
class Checkpoint:
    params: dict[str, np.ndarray]
    optimizer: dict[str, np.ndarray]
    meta: dict
    buffers: dict[str, np.ndarray]


def save_checkpoint(path, params, optimizer_state, meta, buffers=None):
    """Write params, optimizer state, meta (JSON-serializable) and buffers atomically to `path`."""
    path = Path(path)
    arrays = {f"param/{k}": v for k, v in params.items()}
    arrays |= {f"buffer/{k}": v for k, v in (buffers or {}).items()}
    arrays |= {f"optim/{k}": v for k, v in optimizer_state.items()}
    arrays["meta"] = np.array(json.dumps({"format": FORMAT, **meta}))
    with replacing(path) as fh:  # shared/files.py: a temporary file, then os.replace
        np.savez(fh, **arrays)


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint; CheckpointError for a missing, damaged or foreign file."""
    path = Path(path)
    try:
        check_input(path, "checkpoint")  # a FIFO would block, a folder is not one
    except FileProblem as err:
        raise CheckpointError(str(err)) from None
    with path.open("rb") as fh:
        if fh.read(4) != b"PK\x03\x04":  # an .npz file is a zip archive
            raise CheckpointError(f"{path}: not a readable checkpoint (not an .npz file: no zip signature)")
    try:
        check_sizes(path)
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except CheckpointError:
        raise
    except ValueError as err:
        if "pickle" in str(err):
            reason = "it holds pickled objects, which could run code; a checkpoint never does, so it is refused"
            raise CheckpointError(f"{path}: not a readable checkpoint ({reason})") from None
        raise CheckpointError(f"{path}: not a readable checkpoint ({err})") from None
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(err).__name__}: {err})") from None
    if "meta" not in arrays:
        raise CheckpointError(f"{path}: no 'meta' entry; this is not a cnn-from-scratch checkpoint")
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path}: its 'meta' entry is not valid JSON ({err})") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"{path}: its 'meta' entry is JSON but not an object")
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: format {meta.get('format')!r}, expected {FORMAT!r}")
    params = {k.removeprefix("param/"): v for k, v in arrays.items() if k.startswith("param/")}
    optimizer = {k.removeprefix("optim/"): v for k, v in arrays.items() if k.startswith("optim/")}
    buffers = {k.removeprefix("buffer/"): v for k, v in arrays.items() if k.startswith("buffer/")}
    return Checkpoint(params, optimizer, meta, buffers)


def check_sizes(path):
    """Each entry's header must claim no more bytes than the entry holds: a damaged or hostile
    header claiming 10^12 floats is refused before anything that size is allocated."""
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            with archive.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                read_header = np.lib.format.read_array_header_2_0 if version >= (2, 0) else None
                shape, _, dtype = (read_header or np.lib.format.read_array_header_1_0)(fh)
            claimed = math.prod(shape) * dtype.itemsize  # Python integers: no overflow
            if not dtype.hasobject and claimed > info.file_size:
                name = info.filename.removesuffix(".npy")
                raise CheckpointError(
                    f"{path}: not a readable checkpoint (entry {name} claims {shape} {dtype} values, "
                    f"{claimed:,} bytes, but holds {info.file_size:,}): the file is damaged"
                )


def restore_params(path, model_params, saved_params):
    """Copy saved weights (or buffers) into the model's arrays, in place, after checking each one."""
    missing = sorted(set(model_params) - set(saved_params))
    extra = sorted(set(saved_params) - set(model_params))
    if missing or extra:
        raise CheckpointError(f"{path}: parameters do not match the model (missing {missing}, unexpected {extra})")
    for name, p in model_params.items():
        saved = saved_params[name]
        if saved.shape != p.shape or saved.dtype != p.dtype:
            found, needed = f"{saved.dtype}{list(saved.shape)}", f"{p.dtype}{list(p.shape)}"
            raise CheckpointError(f"{path}: parameter {name} is {found}, the model needs {needed}")
        if not np.all(np.isfinite(saved)):
            raise CheckpointError(f"{path}: parameter {name} holds NaN or infinite values")
        p[...] = saved


def restore_model(path, model, checkpoint):
    """Copy a checkpoint's weights and buffers into `model` (a Sequential), then ask each layer
    whether its buffers make sense (a batch norm's running variance cannot be negative)."""
    restore_params(path, model.params(), checkpoint.params)
    restore_params(path, model.buffers(), checkpoint.buffers)
    for i, layer in enumerate(model.layers):
        problem = layer.buffer_problem()
        if problem:
            raise CheckpointError(f"{path}: buffer {i}.{problem}; the file is damaged or was edited")


def check_meta(path, meta, num_classes):
    """The meta data that evaluation and prediction rely on: epoch, normalization, class names."""

    def need(ok, what):
        if not ok:
            raise CheckpointError(f"{path}: {what}; it was not written by this project's training, or was edited")

    epoch = meta.get("epoch")
    need(isinstance(epoch, int) and not isinstance(epoch, bool) and epoch >= 0, "its meta data has no epoch number")
    data = meta.get("data")
    need(isinstance(data, dict), "its meta data has no 'data' object")
    for key in ("mean", "std"):
        need(isinstance(data.get(key), (int, float)) and np.isfinite(data[key]), f"data.{key} is not a number")
    need(data["std"] > 0, f"data.std is {data['std']}: the normalization would divide by zero")
    classes = data.get("classes")
    need(
        isinstance(classes, list) and len(classes) == num_classes and all(isinstance(c, str) for c in classes),
        f"data.classes must be a list of {num_classes} class names",
    )
    need(len(set(classes)) == num_classes, "data.classes repeats a class name")


STAGE_NAME = re.compile(r"stage\d\d_[a-z0-9_]+")


def stage_of(path, meta):
    """The stage package that trained a checkpoint, e.g. "stage07_full_cnn": its meta's "stage".

    Checkpoints written before runs recorded it are told apart by their config: only
    stage 8's has a batch_norm option.
    """
    stage = meta.get("stage")
    if stage is None:
        config = meta.get("config")
        return "stage08_regularization" if isinstance(config, dict) and "batch_norm" in config else "stage07_full_cnn"
    if not isinstance(stage, str) or not STAGE_NAME.fullmatch(stage):
        raise CheckpointError(f"{path}: its meta data names the stage {stage!r}, which is not a stage package")
    return stage


RESUME_KEYS = {"config": dict, "epoch": int, "history": list, "batch_rng": dict, "noise_rng": dict,
               "data": dict}  # fmt: skip


GENERATORS = {"batch_rng": "the batch order's generator", "noise_rng": "the noise generator (dropout, augmentation)"}


def load_resumable(path) -> Checkpoint:
    """load_checkpoint, plus everything resuming needs in its meta data, down to the inner types."""
    checkpoint = load_checkpoint(path)
    meta = checkpoint.meta
    for key, kind in RESUME_KEYS.items():
        value = meta.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            what = GENERATORS.get(key)
            exact = f"; without {what} the run cannot continue exactly: start a new run" if what else ""
            raise CheckpointError(f"{path}: its meta data lacks '{key}' ({kind.__name__}), which resuming needs{exact}")
    for key in GENERATORS:
        try:
            np.random.default_rng().bit_generator.state = meta[key]
        except (TypeError, ValueError, KeyError) as err:
            raise CheckpointError(f"{path}: its meta data '{key}' is not a generator's state ({err})") from None
    fields = {"epoch": int, "train_loss": float, "val_loss": float, "val_acc": float}
    for i, row in enumerate(meta["history"]):
        bad = [k for k, kind in fields.items() if not isinstance(row, dict) or not is_number(row.get(k), kind)]
        if bad:
            raise CheckpointError(f"{path}: its meta data history[{i}] lacks a number '{bad[0]}'; it was edited")
    if "fingerprint" not in meta["data"]:
        raise CheckpointError(f"{path}: it does not record which training data it saw; start a new run")
    return checkpoint


def is_number(value, kind=float):
    """An int (kind int), or an int or float (kind float); never a bool."""
    kinds = (int,) if kind is int else (int, float)
    return isinstance(value, kinds) and not isinstance(value, bool)


def restore_optimizer(path, opt, state, params):
    """Load an optimizer's saved state after checking it covers every parameter with the right shapes."""
    if "step_count" not in state:
        raise CheckpointError(f"{path}: the optimizer state has no step count; it cannot be resumed")
    for key, value in state.items():
        if key == "step_count":
            continue
        name = key.rsplit("/", 1)[0]
        if name not in params or value.shape != params[name].shape:
            raise CheckpointError(f"{path}: optimizer state '{key}' does not fit the model's parameters")
    if int(state["step_count"]) > 0:
        missing = [f"{n}/{b}" for n in params for b in opt.buffers if f"{n}/{b}" not in state]
        if missing:
            raise CheckpointError(f"{path}: the optimizer state lacks {missing[0]} (and {len(missing) - 1} more)")
    opt.load_state_dict(state)
