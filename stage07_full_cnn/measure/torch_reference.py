"""The same CNN in PyTorch, as a reference to check against (never part of our network).

    python -m stage07_full_cnn.measure.torch_reference [--dataset fashion-mnist] [--epochs 20]
        [--out runs/torch-reference]

Trains torch's version of the network with our default recipe and everything else
shared: the same initial weights (copied from build_cnn), the same train/validation
split, the same normalization and the same mini-batches in the same order. It keeps
the last epoch's weights, as train.py's best.npz, and reports its test accuracy,
so the result compares directly with `python -m stage07_full_cnn.train` on the same dataset.
Needs torch (`pip install torch`; `nox -s parity` and `nox -s bench-torch` install it).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from shared.files import write_text
from shared.preprocess import minibatches
from stage07_full_cnn.data import load_data
from stage07_full_cnn.model import build_cnn


# --8<-- [start:layout]
def to_torch_layout(name, a):
    """One of our parameters (or gradients) in torch's layout.

    Our fc1 weight (3136, 128) reads the flattened input in (h, w, c) order, torch's
    (128, 3136) in (c, h, w) order; fc2 is transposed. Conv weights share one layout.
    """
    if name == "7.W":
        return a.reshape(7, 7, 64, 128).transpose(3, 2, 0, 1).reshape(128, 3136)
    if name == "9.W":
        return a.T
    return a


# --8<-- [end:layout]


def torch_params(net):
    """net's parameters under our names: torch's module indices 0, 3, 7, 9 match our layer indices."""
    return {f"{k.split('.')[0]}.{'W' if k.endswith('weight') else 'b'}": v for k, v in net.named_parameters()}


# --8<-- [start:model]
def torch_cnn(torch, model):
    """The reference network (ReLU before pooling, as usually written) with our model's weights."""
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip
    if model.params()["0.W"].dtype == np.float64:
        net = net.double()
    with torch.no_grad():
        for name, t in torch_params(net).items():
            t.copy_(torch.tensor(np.ascontiguousarray(to_torch_layout(name, model.params()[name]))))
    return net


# --8<-- [end:model]


def nchw(torch, x):
    """Our (N, 28, 28, 1) batch as a torch (N, 1, 28, 28) tensor (same bytes for one channel)."""
    return torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))


def accuracy(torch, net, x, y, batch_size=1000):
    with torch.no_grad():
        pred = np.concatenate(
            [net(nchw(torch, x[i : i + batch_size])).argmax(1).numpy() for i in range(0, len(x), batch_size)]
        )
    return float((pred == y).mean())


# --8<-- [start:train]
def train_epoch(torch, net, opt, x, y, batch_size, rng):
    """One epoch of torch training over our mini-batches; returns the mean loss."""
    losses = []
    for xb, yb in minibatches(x, y, batch_size, rng):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(nchw(torch, xb)), torch.from_numpy(yb))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return float(np.mean(losses))


# --8<-- [end:train]


def main(argv=None):
    import torch

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="fashion-mnist")
    parser.add_argument("--data-dir")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/torch-reference"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    config = {"dataset": args.dataset, "data_dir": args.data_dir, "limit": None, "seed": args.seed, "val_fraction": 0.1}
    data, info = load_data(config)
    net = torch_cnn(torch, build_cnn(np.random.default_rng([args.seed, 1])))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    batch_rng = np.random.default_rng([args.seed, 2])
    history, start = [], time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t = time.perf_counter()
        loss = train_epoch(torch, net, opt, data["x_train"], data["y_train"], 64, batch_rng)
        val_acc = accuracy(torch, net, data["x_val"], data["y_val"])
        history.append({"epoch": epoch, "train_loss": loss, "val_acc": val_acc, "seconds": time.perf_counter() - t})
        print(
            f"epoch {epoch:2d}  train loss {loss:.4f}  val acc {val_acc:.2%}  {history[-1]['seconds']:.1f} s",
            flush=True,
        )
    val_acc = accuracy(torch, net, data["x_val"], data["y_val"])
    test_acc = accuracy(torch, net, data["x_test"], data["y_test"])
    summary = {
        "framework": f"torch {torch.__version__}, {args.threads} threads",
        "dataset": info["dataset_name"],
        "epoch": args.epochs,
        "val_acc": val_acc,
        "test_acc": test_acc,
        "wall_seconds": time.perf_counter() - start,
        "history": history,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    write_text(args.out / "summary.json", json.dumps(summary, indent=2) + "\n")
    print(
        f"epoch {args.epochs} (validation {val_acc:.2%}): test accuracy {test_acc:.2%}; wrote {args.out}/summary.json"
    )
    return summary


if __name__ == "__main__":
    main()
