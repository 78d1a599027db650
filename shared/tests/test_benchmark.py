import json

from shared.benchmark import (
    Benchmark,
    MachineState,
    MachineWatch,
    against_target,
    compare,
    machine_state,
    median_time,
    state_warnings,
    summarize,
)


def test_median_time_counts_calls():
    calls = []
    median_time(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5


def test_table_and_json(tmp_path):
    bench = Benchmark("t")

    bench.record("a", "slow", 0.010, 3)
    bench.record("a", "fast", 0.002, 3)
    bench.record("b", "slow", 0.004, 3, "scaled")
    table = bench.table("slow")
    assert "| a | 10 | 2 | 5x |" in table
    assert "| b | 4 |  |  |" in table and "Note: scaled" in table
    bench.save(tmp_path, "x", "slow")
    payload = json.loads((tmp_path / "x.json").read_text())
    assert payload["rows"][1]["impl"] == "fast" and "cpu" in payload["machine"]
    assert (tmp_path / "x.md").read_text().startswith("| case |")


def test_quiet_steady_machine_gives_no_warning():
    state = MachineState(load=0.3, reference_gflops=50.0)
    assert state_warnings(state, MachineState(load=2.5, reference_gflops=45.0), cores=2) == []


def test_busy_machine_is_named():
    (warning,) = state_warnings(MachineState(1.5, 50.0), MachineState(1.5, 50.0), cores=2)
    assert "busy" in warning and "load average 1.5 on 2 cores" in warning


def test_drift_is_named_with_its_direction():
    (slower,) = state_warnings(MachineState(0.1, 100.0), MachineState(0.1, 60.0), cores=2)
    assert "40% slower" in slower and "100 -> 60" in slower
    (faster,) = state_warnings(MachineState(0.1, 60.0), MachineState(0.1, 100.0), cores=2)
    assert "67% faster" in faster


def test_stalling_blas_threads_are_named():
    quiet, stalled = MachineState(0.1, 100.0, 180.0), MachineState(0.1, 100.0, 20.0)
    assert state_warnings(quiet, MachineState(0.1, 100.0, 95.0), cores=2) == []  # no gain is no stall
    assert state_warnings(quiet, quiet, cores=2) == []
    (warning,) = state_warnings(quiet, stalled, cores=2)
    assert "stalling" in warning and "(20 GFLOP/s) than on one (100)" in warning


def test_machine_state_measures_something():
    state = machine_state(repeats=2)
    assert state.load >= 0 and state.reference_gflops > 0 and state.all_threads_gflops > 0


def test_compare_follows_the_numbers():
    assert compare("batched", 0.002, "loop", 0.010) == "batched is 5x faster than loop"
    assert compare("batched", 0.010, "loop", 0.002) == "batched is 5x slower than loop"
    assert compare("a", 1.0, "b", 1.05).startswith("a is about as fast as b")


def test_against_target_says_met_or_missed_by_how_much():
    assert against_target(1.43, 1.5) == "met: 1.43x (target at most 1.5x)"
    assert against_target(1.82, 1.5) == "missed by 21%: 1.82x (target at most 1.5x)"
    assert against_target(0.96, 1.2, at_most=False) == "missed by 20%: 0.96x (target at least 1.2x)"
    assert against_target(1.3, 1.2, at_most=False).startswith("met")


def test_summarize_names_the_cases_that_lose():
    assert summarize({"N=1": 0.00482, "N=64": 40.0, "N=256": 80.0}, "batched", "loop") == (
        "batched is faster than loop in 2 of 3 cases (40x to 80x); not in: N=1 (0.0048x)"
    )
    assert summarize({"N=1": 0.5}, "batched", "loop") == "batched is not faster than loop in any case: N=1 (0.5x)"


def test_speedups_pairs_cases():
    bench = Benchmark("t")
    bench.record("a", "slow", 0.010)
    bench.record("a", "fast", 0.002)
    bench.record("b", "fast", 0.001)  # no baseline for b
    assert bench.speedups("slow", "fast") == {"a": 5.0}


def test_save_writes_the_machine_state_and_warnings(tmp_path, monkeypatch, capsys):
    states = iter([MachineState(1.8, 100.0), MachineState(1.8, 50.0)])
    monkeypatch.setattr("shared.benchmark.machine_state", lambda: next(states))
    watch = MachineWatch()
    assert "CPU: " in capsys.readouterr().out
    bench = Benchmark("t")
    bench.record("a", "x", 1.0)
    watch.finish()
    assert capsys.readouterr().out.count("WARNING:") == 2
    bench.save(tmp_path, "x", watch=watch, notes="the benchmark's own lines")
    text = (tmp_path / "x.md").read_text()
    assert text.count("**Warning:**") == 2
    assert text.endswith(".\n\nthe benchmark's own lines\n")  # the notes close the file, after the warnings
    assert len(json.loads((tmp_path / "x.json").read_text())["machine_state"]["warnings"]) == 2


def test_add_in_turn_alternates_and_records_every_side(monkeypatch):
    order = []
    monkeypatch.setattr("shared.benchmark.median_time", lambda fn, repeats: fn())
    bench = Benchmark("t")
    fns = {
        "a": lambda: order.append("a") or 1.0,
        "b": lambda: order.append("b") or 2.0,
        "c": lambda: order.append("c") or 3.0,
    }
    bench.add_in_turn("x", fns, rounds=3)
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]  # who goes first changes every round
    assert [(r.impl, r.seconds, r.repeats) for r in bench.rows] == [("a", 1.0, 9), ("b", 2.0, 9), ("c", 3.0, 9)]
