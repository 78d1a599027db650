"""Load any stage's checkpoint: the network its own meta data describes, with its weights.

A checkpoint records the stage package that trained it (meta "stage", for example
"stage08_regularization") and the run's config. That package's model module builds
the network: `build_from_config(config)`. Nothing here names a stage's layers, so a
new stage needs no change to the tools.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from shared.datasets import DatasetNotFound, load_dataset
from shared.files import FileProblem, writable_folder
from shared.idx import IDXError
from stage07_full_cnn.checkpoint import CheckpointError, check_meta, load_checkpoint, restore_model, stage_of
from stage07_full_cnn.model import NUM_CLASSES


def builder(path, stage):
    """The `build_from_config` of the stage package named `stage` (checked by stage_of)."""
    try:
        module = importlib.import_module(f"{stage}.model")
    except ImportError:
        raise CheckpointError(f"{path}: it was trained by {stage}, which this copy of the project lacks") from None
    return module.build_from_config


def load_model(path):
    """The network of checkpoint `path` with its weights (and buffers), and the checkpoint's meta data.

    Raises CheckpointError for a missing, damaged or foreign file.
    """
    checkpoint = load_checkpoint(path)
    check_meta(path, checkpoint.meta, NUM_CLASSES)
    config = checkpoint.meta.get("config")
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: its meta data has no 'config' object")
    model = builder(path, stage_of(path, checkpoint.meta))(config)
    restore_model(path, model, checkpoint)
    return model, checkpoint.meta


def load_model_or_exit(path):
    """load_model for command-line tools: a bad checkpoint ends the program with its clear message."""
    try:
        return load_model(path)
    except CheckpointError as err:
        sys.exit(f"error: {err}")


def load_test_set_or_exit(meta, dataset=None, data_dir=None):
    """The test images and labels of the dataset a checkpoint was trained on (or `dataset`).

    A run on a folder of IDX files records the folder's full path, so it is found from
    anywhere. Only the two test files are read. A missing or damaged dataset ends the
    program with its clear message.
    """
    config = meta.get("config", {})
    trained_on = config.get("dataset") if Path(str(config.get("dataset"))).is_absolute() else None
    name = dataset or trained_on or meta["data"]["dataset_name"]
    try:
        data = load_dataset(name, data_dir or config.get("data_dir"), test_only=True)
    except (DatasetNotFound, IDXError, ValueError) as err:
        sys.exit(f"error: {err}")
    if len(data.test_images) == 0:
        sys.exit(f"error: {data.name} ({data.source}) has no test images; give a dataset with some (--dataset)")
    return data


def out_folder_or_exit(out):
    """The tools' --out: created, and proved writable before any work is done."""
    try:
        return writable_folder(out, "--out")
    except FileProblem as err:
        sys.exit(f"error: {err}")
