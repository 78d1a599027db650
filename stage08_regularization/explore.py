"""Explore a stage 8 checkpoint in the browser: stage 7's explorer, building the network the checkpoint describes.

python -m stage08_regularization.explore [CHECKPOINT] [--host 127.0.0.1] [--port 8001]
"""

from stage07_full_cnn import explore
from stage08_regularization.model import build_from_config


def main(argv=None):
    return explore.main(argv, build_from_config)


if __name__ == "__main__":
    main()
