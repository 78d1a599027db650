import json

from shared.benchmark import Benchmark, median_time


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
