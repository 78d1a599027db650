"""The time-against-batch-size figure of the stage 4 and stage 5 benchmarks."""

from __future__ import annotations

from pathlib import Path

from shared.benchmark import Benchmark


def plot_time_vs_batch(bench: Benchmark, panels, batches, title: str, path: Path) -> None:
    """Log-log time against batch size: one panel per name in `panels`, one line per
    implementation and phase, from rows named "<panel> <forward|backward> N=<batch>"."""
    import matplotlib.pyplot as plt

    from shared.pictures import save_figure

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), sharey=True, squeeze=False)
    for ax, name in zip(axes[0], panels):
        for impl, style in zip(bench.impls(), ("--", "-", ":")):
            for phase, marker in (("forward", "o"), ("backward", "s")):
                t = [bench.seconds(f"{name} {phase} N={n}", impl) for n in batches]
                ax.loglog(batches, t, style, marker=marker, label=f"{impl}, {phase}")
        ax.set(title=name, xlabel="batch size")
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("seconds (median)")
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)
