"""Train the regularized CNN: python -m stage08_regularization.train [options]   (or: nox -s stage08 -- [options])

Stage 7's training program, with every one of its options, outputs and checks
(python -m stage07_full_cnn.train --help), three switches, and its own defaults:

    --batch-norm / --no-batch-norm   batch norm after each conv block (default: on)
    --dropout P                      dropout before the last layer (default: 0.5; 0 for none)
    --augment / --no-augment         a random rotation (up to 12 degrees), scaling (0.9 to 1.1)
                                     and shift (up to 2.5 pixels) of every training digit, each
                                     time it is seen; Fashion-MNIST's clothes are only shifted
                                     (up to 2 pixels) and mirrored
    --schedule cosine                (stage 7: constant) the learning rate falls to 0 by the end
    --epochs 40                      (stage 7: 20) augmented data take longer to learn
    --out runs/stage08

It trains on one thread of ours (BLAS still uses every core): batch norm makes the
images of a batch depend on each other, so the batch cannot be split over threads
as stage 7 does, and dropout draws its masks in order from one generator.
"""

from __future__ import annotations

import math

from stage07_full_cnn import train
from stage07_full_cnn.options import BadValue
from stage08_regularization.model import DEFAULTS, augment_batch, build_from_config


def check(config):
    if not (math.isfinite(config["dropout"]) and 0 <= config["dropout"] < 1):
        raise BadValue("dropout", config["dropout"], "drop a share of at least 0 and below 1 (0.5 is usual)")


RECIPE = train.Recipe(
    stage="stage08_regularization",
    build=build_from_config,
    check=check,
    augment=augment_batch,
    extra_options=(
        ("--batch-norm", bool, "batch norm after each conv block", DEFAULTS["batch_norm"]),
        ("--dropout", float, "dropout probability before the last layer (0: none)", DEFAULTS["dropout"]),
        ("--augment", bool, "random rotation, scaling and shift of each training image", DEFAULTS["augment"]),
    ),
    defaults=(("schedule", "cosine"), ("epochs", 40)),
    parallel=False,
    out="runs/stage08",
)


def main(argv=None):
    return train.main(argv, RECIPE, __doc__)


if __name__ == "__main__":
    main()
