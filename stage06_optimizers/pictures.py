"""The pictures of stage 6: four optimizers on an ill-conditioned 2-D loss, and the
learning-rate schedules.

    python -m stage06_optimizers.pictures [--out runs/stage06]

writes trajectories.png (+ trajectories.json, each run's loss after the last step) and
schedules.png, using optimizers.py and schedules.py as training does.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from shared.pictures import out_folder, save_figure, save_json
from stage06_optimizers.optimizers import SGD, Adam
from stage06_optimizers.schedules import constant, cosine, step_decay

CURVATURE = np.array([1.0, 20.0])  # L(w) = (w0^2 + 20 w1^2) / 2: twenty times steeper across than along
START = np.array([-4.5, 1.2])
STEPS = 40
RUNS = {  # learning rates picked so that each reaches the valley in about STEPS steps
    "SGD, lr 0.09": lambda: SGD(0.09),
    "momentum 0.9, lr 0.02": lambda: SGD(0.02, momentum=0.9),
    "Nesterov 0.9, lr 0.02": lambda: SGD(0.02, momentum=0.9, nesterov=True),
    "Adam, lr 0.3": lambda: Adam(0.3),
}


def trajectory(opt):
    """The points the optimizer visits from START, STEPS steps on the quadratic loss."""
    w = {"w": START.copy()}
    points = [w["w"].copy()]
    for _ in range(STEPS):
        opt.step(w, {"w": CURVATURE * w["w"]})  # the gradient of the loss
        points.append(w["w"].copy())
    return np.array(points)


def trajectories_picture(out):
    fig, axes = plt.subplots(2, 2, figsize=(10, 5.6), sharex=True, sharey=True)
    a, b = np.meshgrid(np.linspace(-5, 2, 200), np.linspace(-1.6, 1.6, 200))
    loss = (CURVATURE[0] * a**2 + CURVATURE[1] * b**2) / 2
    finals = {}
    for ax, (name, make) in zip(axes.flat, RUNS.items()):
        points = trajectory(make())
        ax.contour(a, b, loss, levels=np.geomspace(0.05, 40, 12), colors="0.75", linewidths=0.8)
        ax.plot(points[:, 0], points[:, 1], "o-", ms=2.5, lw=1.2, color="C3")
        ax.plot(0, 0, "k*", ms=9)
        final = (CURVATURE * points[-1] ** 2).sum() / 2
        finals[name] = float(f"{final:.2g}")
        ax.set_title(f"{name}: loss after {STEPS} steps {final:.2g}", fontsize=11)
        ax.set_aspect("equal")
    for ax in axes[1]:
        ax.set_xlabel("w0 (shallow direction)")
    for ax in axes[:, 0]:
        ax.set_ylabel("w1 (steep)")
    fig.tight_layout()
    save_figure(fig, out / "trajectories.png")
    save_json(
        {
            "command": "python -m stage06_optimizers.pictures",
            "start_loss": float((CURVATURE * START**2).sum() / 2),
            "steps": STEPS,
            "loss_after_last_step": finals,
        },
        out / "trajectories.json",
    )


def schedules_picture(out):
    steps = np.arange(2000)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    shown = {
        "constant(1e-3)": constant(1e-3),
        "step_decay(1e-3, 700, 0.1)": step_decay(1e-3, 700, 0.1),
        "cosine(1e-3, 2000)": cosine(1e-3, 2000),
        "cosine(1e-3, 2000, warmup=200)": cosine(1e-3, 2000, warmup=200),
    }
    for (name, schedule), style in zip(shown.items(), [":", "-", "-", "--"]):
        ax.plot(steps, [schedule(s) for s in steps], style, label=name, lw=1.8)
    ax.set(xlabel="optimizer step", ylabel="learning rate")
    ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2)  # below: hides no curve
    fig.tight_layout()
    save_figure(fig, out / "schedules.png")


def main(argv=None):
    out = out_folder(__doc__.splitlines()[0], "runs/stage06", argv)
    trajectories_picture(out)
    schedules_picture(out)


if __name__ == "__main__":
    main()
