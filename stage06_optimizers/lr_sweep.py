"""Choosing a learning rate: one short run per rate, from the same start on the same batches.

    python -m stage06_optimizers.lr_sweep [--out runs/stage06]

Trains compare.py's small CNN for 2 epochs on the embedded sample with SGD and with
Adam at learning rates a factor of about 3 apart, and writes lr_sweep.png and
lr_sweep.json: the mean training loss of the last epoch and the test accuracy for
each rate (a run whose loss overflows is recorded as diverged).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from shared.datasets import load_sample
from shared.pictures import out_folder, save_figure, save_json
from shared.preprocess import minibatches, to_float
from stage01_fc.functional import softmax_cross_entropy
from stage01_fc.layers import evaluate
from stage06_optimizers.compare import small_cnn
from stage06_optimizers.optimizers import make_optimizer

RATES = {
    "sgd": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0],
    "adam": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1],
}
EPOCHS, SEED = 2, 0


def short_run(name, lr, x, y, x_test, y_test):
    model = small_cnn(np.random.default_rng(SEED))
    batch_rng = np.random.default_rng(SEED + 1)
    opt = make_optimizer(name, lr)
    losses = []
    with np.errstate(all="ignore"):  # a diverging run overflows: that is the measurement
        for _ in range(EPOCHS):
            for xb, yb in minibatches(x, y, 64, batch_rng):
                loss, dlogits = softmax_cross_entropy(model.forward(xb), yb)
                if not np.isfinite(loss) or loss > 1e3:
                    return {"lr": lr, "diverged": True}
                model.backward(dlogits)
                opt.step(model.params(), model.grads())
                losses.append(loss)
        _, acc = evaluate(model, x_test, y_test)
    last_epoch = losses[-(len(losses) // EPOCHS) :]
    return {"lr": lr, "diverged": False, "final_loss": round(float(np.mean(last_epoch)), 4), "test_accuracy": acc}


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage06", argv)
    data = load_sample()
    x, y = to_float(data.train_images).transpose(0, 2, 3, 1), data.train_labels
    x_test, y_test = to_float(data.test_images).transpose(0, 2, 3, 1), data.test_labels
    results = {name: [short_run(name, lr, x, y, x_test, y_test) for lr in rates] for name, rates in RATES.items()}
    save_json(
        {
            "command": "python -m stage06_optimizers.lr_sweep",
            "setup": f"compare.py's small CNN, {EPOCHS} epochs on the sample's 4,000 training digits, batch 64, "
            "the same initial weights and batches for every run; loss: the mean over the last epoch",
            "runs": results,
        },
        out / "lr_sweep.json",
    )
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, (name, runs) in zip(axes, results.items()):
        ok = [r for r in runs if not r["diverged"]]
        ax.plot([r["lr"] for r in ok], [r["final_loss"] for r in ok], "o-", color="C0")
        for r in runs:
            if r["diverged"]:
                ax.axvline(r["lr"], color="C3", ls=":", lw=1.5)
                ax.text(
                    r["lr"], 0.98, " diverged", color="C3", rotation=90, va="top", transform=ax.get_xaxis_transform()
                )
        best = min(ok, key=lambda r: r["final_loss"])
        ax.plot(best["lr"], best["final_loss"], "*", ms=14, color="C1", label=f"lowest: lr {best['lr']:g}")
        ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel=f"training loss, epoch {EPOCHS}")
        ax.set_title("SGD" if name == "sgd" else "Adam")
        ax.legend(loc="lower left")
    fig.tight_layout()
    save_figure(fig, out / "lr_sweep.png")


if __name__ == "__main__":
    main()
