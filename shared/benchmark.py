"""A small benchmark harness: median wall time, speedup tables, JSON for the docs.

    bench = Benchmark("stage01: affine layer, loop vs batched")
    bench.add("forward N=64", "loop", lambda: ..., repeats=3)
    bench.add("forward N=64", "batched", lambda: ...)
    print(bench.table(baseline="loop"))
    bench.save(Path("runs/stage01"), "affine")   # affine.md and affine.json

Timings are medians of `repeats` runs after `warmup` runs, with time.perf_counter.
Shared machines are noisy, so compare implementations measured in the same run,
as ratios; never assert on a time in a test.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from shared.datasets import DatasetNotFound, load_dataset
from shared.files import write_text
from shared.preprocess import to_float


def median_time(fn: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Median seconds of `repeats` calls of fn(), after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def machine_info() -> dict[str, str]:
    """What produced a number: CPU, core count, Python and numpy versions, date."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


def machine_line() -> str:
    """machine_info() as one line, for the foot of a saved table."""
    return ", ".join(f"{k} {v}" for k, v in machine_info().items())


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matmul throughput on an n x n product, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return 2 * n**3 / median_time(lambda: a @ b, repeats) / 1e9


@dataclass
class Row:
    case: str
    impl: str
    seconds: float  # median per call, after scaling
    repeats: int
    note: str = ""


@dataclass
class Benchmark:
    title: str
    rows: list[Row] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # other figures to save with the table

    def add(self, case: str, impl: str, fn: Callable[[], object], repeats: int = 5, scale: float = 1.0, note=""):
        """Time fn and record it; `scale` multiplies the time (e.g. a small batch scaled up linearly)."""
        return self.record(case, impl, median_time(fn, repeats) * scale, repeats, note)

    def record(self, case: str, impl: str, seconds: float, repeats: int = 1, note=""):
        """Record a time measured elsewhere (or derived from one, as `note` should say)."""
        self.rows.append(Row(case, impl, seconds, repeats, note))
        return seconds

    def impls(self) -> list[str]:
        return list(dict.fromkeys(r.impl for r in self.rows))

    def seconds(self, case: str, impl: str) -> float:
        return next(r.seconds for r in self.rows if r.case == case and r.impl == impl)

    def table(self, baseline: str | None = None) -> str:
        """A markdown table, one row per case, ms per implementation, and speedups over `baseline`."""
        impls = self.impls()
        baseline = baseline or impls[0]
        others = [i for i in impls if i != baseline]
        header = ["case"] + [f"{i} (ms)" for i in impls] + [f"speedup {i}" for i in others]
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for case in dict.fromkeys(r.case for r in self.rows):
            ms = {r.impl: r.seconds * 1e3 for r in self.rows if r.case == case}
            cells = [case] + [f"{ms[i]:.3g}" if i in ms else "" for i in impls]
            cells += [f"{ms[baseline] / ms[i]:.3g}x" if i in ms and baseline in ms else "" for i in others]
            lines.append("| " + " | ".join(cells) + " |")
        notes = sorted({r.note for r in self.rows if r.note})
        return "\n".join(lines + ([""] + [f"Note: {n}" for n in notes] if notes else []))

    def save(self, folder: Path, name: str, baseline: str | None = None) -> None:
        """Write NAME.md (title, table, machine) and NAME.json (every row) into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        write_text(folder / f"{name}.md", self.table(baseline) + f"\n\nMeasured on: {machine_line()}.\n")
        payload = {"title": self.title, "machine": machine_info(), "rows": [asdict(r) for r in self.rows], **self.extra}
        write_text(folder / f"{name}.json", json.dumps(payload, indent=2) + "\n")


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


def benchmark_images(n):
    """n Fashion-MNIST training images, normalized and channels-last (n, 28, 28, 1), their labels and a
    note saying what they are; random images of that shape where Fashion-MNIST is not installed."""
    try:
        data = load_dataset("fashion-mnist", download=False)
        images, labels, note = data.train_images, data.train_labels, f"Fashion-MNIST ({data.source})"
    except DatasetNotFound:
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, 60000)
        note = "random images of Fashion-MNIST's shape (Fashion-MNIST is not installed)"
    reps = -(-n // len(images))
    images, labels = np.concatenate([images] * reps)[:n], np.concatenate([labels] * reps)[:n]
    return np.ascontiguousarray(to_float(images).transpose(0, 2, 3, 1)), labels, note
