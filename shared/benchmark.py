"""A small benchmark harness: median wall time, speedup tables, JSON for the docs.

    bench = Benchmark("stage01: affine layer, loop vs batched")
    bench.add("forward N=64", "loop", lambda: ..., repeats=3)
    bench.add("forward N=64", "batched", lambda: ...)
    print(bench.table(baseline="loop"))
    bench.save(Path("runs/stage01"), "affine")   # affine.md and affine.json

Timings are medians of `repeats` runs after `warmup` runs, with time.perf_counter.
Shared machines are noisy, so compare implementations measured in the same run,
as ratios; never assert on a time in a test.

A benchmark also says what it ran on and whether that machine stayed the same:

    watch = MachineWatch()          # prints the CPU, the load average and a reference kernel's speed
    ...                             # measure
    state = watch.finish()          # measures again; prints (and returns) a warning for each change

and states its conclusions from its own numbers (compare, against_target), never as
fixed text that a run's table might contradict.
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
    """What produced a number: CPU, core count, BLAS kernels, Python and numpy versions, date."""
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
        "blas": blas_line(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "date": time.strftime("%Y-%m-%d"),
    }


def blas_line() -> str:
    """NumPy's BLAS, its version and the kernels it chose for this CPU (OPENBLAS_CORETYPE can force them)."""
    from threadpoolctl import threadpool_info

    libs = [f"{b['internal_api']} {b['version']} {b.get('architecture') or ''}".strip()
            for b in threadpool_info() if b["user_api"] == "blas"]  # fmt: skip
    return "; ".join(libs) or "unknown"


def machine_line() -> str:
    """machine_info() as one line, for the foot of a saved table."""
    return ", ".join(f"{k} {v}" for k, v in machine_info().items())


def matmul_gflops(n: int = 2048, repeats: int = 5) -> float:
    """This machine's float32 matmul throughput on an n x n product, in GFLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    return 2 * n**3 / median_time(lambda: a @ b, repeats) / 1e9


BUSY_LOAD = 0.5  # load average per core, before a run starts, above which other programs compete
DRIFT = 0.2  # a change of the reference kernel's speed by more than this fraction is drift
# BLAS stalls when all its threads together run the reference kernel this much slower than one
# (a small product may also just not gain from a second thread: equal speeds are no stall)
STALL = 0.8


@dataclass(frozen=True)
class MachineState:
    load: float  # 1-minute load average: processes running or waiting for a core
    reference_gflops: float  # a fixed small matmul on one BLAS thread, float32
    all_threads_gflops: float = 0.0  # the same matmul with BLAS's default threads (0: not measured)


def machine_state(repeats: int = 15) -> MachineState:
    """The load average and the speed of a 384x384 float32 matmul (about 2 ms) on one BLAS thread
    and on all of BLAS's threads, now."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 384, 384), dtype=np.float32)
    gflops = 2 * 384**3 / 1e9
    all_threads = gflops / median_time(lambda: a @ b, repeats, warmup=2)
    with threadpool_limits(1, user_api="blas"):
        one = gflops / median_time(lambda: a @ b, repeats, warmup=2)
    return MachineState(os.getloadavg()[0], one, all_threads)


def state_warnings(before: MachineState, after: MachineState, cores: int) -> list[str]:
    """A sentence for each sign that the run's absolute times are not a quiet machine's:
    a busy machine at the start, BLAS threads that stall (clearly slower together than one alone), or a
    reference kernel whose one-thread speed changed by more than DRIFT.
    (The load after a run includes the run itself, so only the load before counts.)"""
    warnings = []
    if before.load > BUSY_LOAD * cores:
        warnings.append(
            f"the machine was busy: load average {before.load:.1f} on {cores} cores before the run; "
            "absolute times are slower than on a quiet machine, so trust the ratios of sides measured in turn"
        )
    stalled = [s for s in (before, after) if 0 < s.all_threads_gflops < STALL * s.reference_gflops]
    if stalled:
        warnings.append(
            f"BLAS's threads were stalling: the reference matmul ran slower on all of BLAS's threads "
            f"({stalled[0].all_threads_gflops:.0f} GFLOP/s) than on one ({stalled[0].reference_gflops:.0f}); "
            "each thread waits for others that do not get a core, so batched products are slowed far more "
            "than per-sample ones, and a loop can beat a batch"
        )
    change = after.reference_gflops / before.reference_gflops - 1
    if abs(change) > DRIFT:
        warnings.append(
            f"the machine's speed changed during the run: the reference kernel ran {abs(change):.0%} "
            f"{'faster' if change > 0 else 'slower'} at the end ({before.reference_gflops:.0f} -> "
            f"{after.reference_gflops:.0f} GFLOP/s on one core); compare only numbers measured side by side"
        )
    return warnings


class MachineWatch:
    """The CPU on the console, and the machine's state before and after a benchmark."""

    def __init__(self):
        self.info, self.before = machine_info(), machine_state()
        print(f"CPU: {self.info['cpu']}, {self.info['cores']} cores, BLAS {self.info['blas']}.", flush=True)
        print(f"Before: {describe(self.before)}.", flush=True)

    def finish(self) -> dict:
        """Measure again, print a WARNING line for each change; the states and warnings, for saving."""
        after = machine_state()
        warnings = state_warnings(self.before, after, int(self.info["cores"]))
        print(f"After: {describe(after)}.")
        for w in warnings:
            print(f"WARNING: {w}.")
        self.state = {"before": asdict(self.before), "after": asdict(after), "warnings": warnings}
        return self.state

    def lines(self) -> list[str]:
        """Markdown lines for a saved table: the machine's state and the warnings (after finish)."""
        b, a = (MachineState(**self.state[k]) for k in ("before", "after"))
        return [f"Machine state: before {describe(b)}; after {describe(a)}."] + [
            f"**Warning:** {w}." for w in self.state["warnings"]
        ]


def describe(state: MachineState) -> str:
    return (
        f"load average {state.load:.2f}, reference kernel {state.reference_gflops:.0f} GFLOP/s on one core, "
        f"{state.all_threads_gflops:.0f} on all BLAS threads"
    )


def compare(name: str, seconds: float, other: str, other_seconds: float, tie: float = 0.1) -> str:
    """'NAME is 3.2x faster than OTHER', '... 1.5x slower ...', or 'about as fast' within `tie`."""
    ratio = other_seconds / seconds
    if abs(ratio - 1) <= tie:
        return f"{name} is about as fast as {other} ({ratio:.2f}x, within {tie:.0%})"
    if ratio > 1:
        return f"{name} is {ratio:.3g}x faster than {other}"
    return f"{name} is {1 / ratio:.3g}x slower than {other}"


def against_target(value: float, target: float, at_most: bool = True, unit: str = "x") -> str:
    """'met: 1.43x (target at most 1.5x)' or 'missed by 21%: 1.82x (target at most 1.5x)'."""
    met = value <= target if at_most else value >= target
    bound = f"target {'at most' if at_most else 'at least'} {target:g}{unit}"
    if met:
        return f"met: {value:.3g}{unit} ({bound})"
    return f"missed by {abs(value / target - 1):.0%}: {value:.3g}{unit} ({bound})"


def summarize(speedups: dict[str, float], name: str, other: str, tie: float = 0.1) -> str:
    """One sentence on a speedup column: where NAME beats OTHER, by how much, and where it does not."""
    wins = {c: r for c, r in speedups.items() if r > 1 + tie}
    rest = [f"{c} ({r:.2g}x)" for c, r in speedups.items() if c not in wins]
    if not wins:
        return f"{name} is not faster than {other} in any case: " + ", ".join(rest)
    span = f"{min(wins.values()):.3g}x to {max(wins.values()):.3g}x" if len(wins) > 1 else f"{max(wins.values()):.3g}x"
    text = f"{name} is faster than {other} in {len(wins)} of {len(speedups)} cases ({span})"
    return text + (f"; not in: {', '.join(rest)}" if rest else "")


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

    def add_in_turn(self, case: str, fns: dict[str, Callable[[], object]], repeats=3, rounds=3, note=""):
        """Time each of `fns` (impl -> fn) in turn, `rounds` times, who goes first changing every round,
        and record each one's median over its rounds: a machine that slows down mid-run slows all alike."""
        names, times = list(fns), {impl: [] for impl in fns}
        for r in range(rounds):
            for k in range(len(names)):
                impl = names[(r + k) % len(names)]
                times[impl].append(median_time(fns[impl], repeats))
        for impl in names:
            self.record(case, impl, float(np.median(times[impl])), repeats * rounds, note)

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

    def speedups(self, baseline: str, impl: str) -> dict[str, float]:
        """case -> baseline's time / impl's time, for the cases that have both."""
        t = {(r.case, r.impl): r.seconds for r in self.rows}
        return {c: t[c, baseline] / t[c, impl] for c, i in t if i == impl and (c, baseline) in t}

    def save(self, folder: Path, name: str, baseline=None, watch: MachineWatch | None = None, notes="") -> None:
        """Write NAME.md (title, table, machine, then `notes`: the benchmark's own lines) and NAME.json
        (every row) into `folder`; with a finished `watch`, its machine state and warnings too."""
        folder.mkdir(parents=True, exist_ok=True)
        tail = "\n\n" + "\n\n".join(watch.lines()) if watch else ""
        tail += f"\n\n{notes}" if notes else ""
        write_text(folder / f"{name}.md", self.table(baseline) + f"\n\nMeasured on: {machine_line()}.{tail}\n")
        state = {"machine_state": watch.state} if watch else {}
        payload = {"title": self.title, "machine": machine_info(), "rows": [asdict(r) for r in self.rows]}
        payload |= self.extra | state
        write_text(folder / f"{name}.json", json.dumps(payload, indent=2) + "\n")


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
