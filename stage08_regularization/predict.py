"""Classify your own images with a stage 8 checkpoint: stage 7's predict (the same preprocessing),
building the network the checkpoint describes.

    python -m stage08_regularization.predict CHECKPOINT IMAGE [IMAGE ...]
"""

from stage07_full_cnn import predict
from stage08_regularization.model import build_from_config


def main(argv=None):
    return predict.main(argv, build_from_config)


if __name__ == "__main__":
    main()
