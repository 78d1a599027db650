"""What you do with a trained checkpoint, whichever stage trained it.

    python -m tools.evaluate CHECKPOINT     test accuracy, per-class table, confusion matrix
    python -m tools.predict CHECKPOINT IMAGE...   classify your own digit images
    python -m tools.visualize CHECKPOINT    the first-layer filters and one digit's feature maps
    python -m tools.explore [CHECKPOINT]    draw a digit in the browser: the network forward and backward

A checkpoint says what it is: tools/loader.py builds the network its saved stage and
config describe, so the same tools serve stage 7, stage 8 and any later stage.
"""
