"""Evaluate a stage 8 checkpoint: stage 7's evaluate, building the network the checkpoint describes.

python -m stage08_regularization.evaluate CHECKPOINT [--dataset NAME] [--out FOLDER]
"""

from stage07_full_cnn import evaluate
from stage08_regularization.model import build_from_config


def main(argv=None):
    return evaluate.main(argv, build_from_config)


if __name__ == "__main__":
    main()
