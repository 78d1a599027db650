"""Train a small MLP on the embedded MNIST sample with plain mini-batch SGD.

    python -m stage01_fc.train [--epochs 10] [--lr 0.1] [--batch-size 64] [--seed 0]

The simplest complete loop: forward, loss, backward, then w -= lr * dw for every
parameter. Stage 6 replaces that last line with real optimizers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from shared.datasets import load_sample
from shared.files import write_text
from shared.preprocess import minibatches, to_float
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import evaluate, mlp


# --8<-- [start:loop]
def train_epoch(model, x, y, batch_size, lr, rng):
    """One pass over (x, y) in shuffled mini-batches; returns the mean training loss."""
    losses = []
    for xb, yb in minibatches(x, y, batch_size, rng):
        loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
        model.backward(dlogits)
        grads = model.grads()
        for name, param in model.params().items():
            param -= lr * grads[name]  # in place: the layer sees the new value
        losses.append(loss)
    return float(np.mean(losses))


# --8<-- [end:loop]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="also write the log as OUT/mlp.md (for the docs)")
    args = parser.parse_args(argv)

    data = load_sample()
    x_train, y_train = to_float(data.train_images), data.train_labels
    x_test, y_test = to_float(data.test_images), data.test_labels
    rng = np.random.default_rng(args.seed)
    model = mlp([28 * 28, args.hidden, 10], rng)
    log = [
        f"MLP 784-{args.hidden}-10, SGD lr {args.lr}, batch {args.batch_size}, seed {args.seed}, "
        f"on mnist-sample: {len(x_train)} train, {len(x_test)} test digits"
    ]
    print(log[0])
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        train_loss = train_epoch(model, x_train, y_train, args.batch_size, args.lr, rng)
        test_loss, test_acc = evaluate(model, x_test, y_test)
        log.append(
            f"epoch {epoch:2d}  train loss {train_loss:.4f}  test loss {test_loss:.4f}  "
            f"test acc {test_acc:.2%}  ({time.perf_counter() - start:.2f} s)"
        )
        print(log[-1])
    log.append(f"final test accuracy: {test_acc:.2%}")
    print(log[-1])
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        write_text(args.out / "mlp.md", "```text\n" + "\n".join(log) + "\n```\n")
    return test_acc


if __name__ == "__main__":
    main()
