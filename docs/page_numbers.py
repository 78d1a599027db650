"""Every number on the site bound to the data it came from.

Two ways to bind a number in README.md or docs/*.md to a committed results file
(anything under docs/results/: .json, .csv, .md, .txt):

* render it: `{{ stage07/summary.json:test_acc|pct }}` in a docs page becomes "96.50%" when
  mkdocs builds the site (this file is also the mkdocs hook that does it, see mkdocs.yml).
  The path is relative to docs/results/, the key a dotted path into the JSON (list items
  by index), the format one of FORMATS. README.md is not built by mkdocs, so it states
  its numbers and the test checks them;
* state it, and `docs/test_numbers.py` checks that it equals a value in some results file
  at the precision written: "96.50%" needs a value that rounds to 96.50 or 0.9650 (a
  fraction, shown as a percentage), "33.5 s" one that rounds to 33.5 (33.47 does), "1.76x"
  one that rounds to 1.76, "454,922" the integer 454922; "29.0 ms" also matches 0.0290 s.
  A value written with fewer decimals than the prose claims does not match ("33.47 s" is
  not backed by a table cell "33.5"). A number in exponent form ("1e-15", "4e-9") matches
  a value with the same significant digits written ("1.2e-15" is "1e-15").

Which values can back a number: every scalar of every results file (a JSON number outside
any list, a number in a .md or .txt file), wherever the page is; and a series value (a row
of a CSV file, an item of a JSON list: one epoch of a run, one layer of a profile) only where
the page cites its file: names its folder (results/stage07/, as a path, link or snippet) or,
if no other results file has that name, the file itself. Thousands of per-epoch values
would otherwise back almost any number by chance, and one epoch's validation accuracy is
not a run's test accuracy.

Known limit: a number written with one or two significant digits ("5%", "0.1", "4x") is
matched by many values and so is only weakly bound; the test's bite is on the figures
written to three or more digits, which is how this site states its results.

Which numbers the test checks (`claims`): every number with a decimal point, a thousands
separator or an exponent, and every integer followed by a unit of measurement (%, s, ms,
min, x, times, GFLOP/s, img/s, ...). What it skips, and why:

* fenced code blocks, `inline code`, snippet include lines (`--8<--`): commands, their
  options (`--epochs 20`), file names and quoted source, not claims about results;
* math, \\( ... \\) and \\[ ... \\]: a derivation, checked by reading it (a number derived
  from others, like a standard error, belongs in math next to what it is derived from);
* URLs, link and image targets, HTML tags and comments;
* plain integers without a unit: stage numbers, shapes (28x28, 5x5), channel counts, epochs,
  list items, years, counts of things in the text ("four shapes"). The architecture's
  counts that matter are checked where they carry a separator (454,922 parameters), and
  docs/results/stage07/network.json, written from the model by its pictures program, backs them;
* a target: a number right after "target", or after "at least", "under", ">=", ... where
  "target" comes shortly before ("target 2.5x", "(target >= 96%)", "Targets: at least 98.5%");
* a number glued to a word (float32, conv2, stage08, 5th) and version numbers after a
  package or license name (Python 3.11, NumPy 2.4, PyTorch 2.13, CC BY-SA 3.0).

Whatever the checker cannot bind goes in ALLOWED below, with its reason; the test fails
if an entry there is no longer used, so the list cannot silently outgrow its use.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path
from typing import NamedTuple

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
RESULTS = DOCS / "results"

# (page, the number as written) -> why it stays without a results file. Keep it tiny.
ALLOWED: dict[tuple[str, str], str] = {
    ("docs/data.md", "0.1307"): "full MNIST's published mean pixel, quoted, not measured here (no full MNIST offline)",
    ("docs/data.md", "0.3081"): "full MNIST's published standard deviation, quoted likewise",
}

# % and x (a ratio) right after the number; a word unit after one space. 5x5 and 784 x 10 are shapes.
UNITS = r"%|x(?!\s?\d)|\s(?:ms|µs|s|min|h|times|GFLOP/s|img/s|images/s|MB|GB|MiB|GiB)\b"
CLAIM = re.compile(
    r"(?<![\w./])(?<!\w-)(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<exp>e[-+]?\d+)?"
    rf"(?![\w.]?\d)(?P<unit>{UNITS})?"
)
# a goal the project set, not a measurement: "(target >= 96%)", "Targets: at least 98.5% on ..."
TARGET = re.compile(
    r"\btargets?(?::|\b(?:[^.;]|\.\d){0,80}?(?:at least|at most|under|below|above|>=|<=|>|<))?\s*$", re.I
)
VERSIONED = re.compile(r"(?:Python|NumPy|PyTorch|torch|mlxtend|BY-SA|Apache-|MathJax|version|v)\s?$", re.I)
RENDER = re.compile(r"\{\{\s*(?P<path>[^:{}\s]+):(?P<key>[^|{}\s]+)\s*(?:\|\s*(?P<fmt>\w+)\s*)?\}\}")

FORMATS = {
    "pct": lambda v: f"{100 * v:.2f}%",  # a fraction as a percentage: 0.965 -> 96.50%
    "pct1": lambda v: f"{100 * v:.1f}%",
    "f1": lambda v: f"{v:.1f}",
    "f2": lambda v: f"{v:.2f}",
    "f3": lambda v: f"{v:.3f}",
    "f4": lambda v: f"{v:.4f}",
    "int": lambda v: f"{round(v):,}",  # 454922 -> 454,922
    "x2": lambda v: f"{v:.2f}x",
    "s1": lambda v: f"{v:.1f} s",
    "ms1": lambda v: f"{1e3 * v:.1f} ms",  # seconds shown as milliseconds: 0.0114 -> 11.4 ms
    "e1": lambda v: f"{v:.1e}",  # 4.1e-06
}


# ---------------------------------------------------------------- values in the results files


class Value:
    """A number found in a results file, with the decimals it was written with (None: exact);
    `series`: one of a CSV file's rows or a JSON list's items (see the module's docstring)."""

    __slots__ = ("decimals", "series", "source", "value")

    def __init__(self, value, decimals, source, series=False):
        self.value, self.decimals, self.source, self.series = value, decimals, source, series


def _text_numbers(text, source, series=False):
    for m in re.finditer(r"(?<![\w.])-?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(e[-+]?\d+)?", text):
        whole, frac, exp = m.group(1), m.group(2) or "", m.group(3) or ""
        decimals = None if exp else len(frac) - 1 if frac else 0
        yield Value(float(whole.replace(",", "") + frac + exp), decimals, source, series)


def _json_numbers(node, source, series=False):
    if isinstance(node, bool):
        return
    if isinstance(node, (int, float)):
        yield Value(float(node), None, source, series)  # a JSON number is the value itself, to full precision
    elif isinstance(node, str):
        yield from _text_numbers(node, source, series)
    elif isinstance(node, dict):
        for item in node.values():
            yield from _json_numbers(item, source, series)
    elif isinstance(node, list):
        for item in node:
            yield from _json_numbers(item, source, True)


def results_values(results=RESULTS):
    """Every number in every committed results file."""
    values = []
    for path in sorted(results.rglob("*")):
        source = str(path.relative_to(results))
        if path.suffix == ".json":
            values += _json_numbers(json.loads(path.read_text()), source)
        elif path.suffix == ".csv":
            with path.open(newline="") as f:
                for row in csv.reader(f):
                    for cell in row:
                        values += _text_numbers(cell, source, True) if re.fullmatch(r"[-+.\deE]+", cell) else []
        elif path.suffix in (".md", ".txt"):
            values += _text_numbers(path.read_text(), source)
    return values


# ---------------------------------------------------------------- numbers in the prose


def prose(text):
    """The page with everything the checker skips blanked out (same length, so offsets give lines)."""

    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))

    for pattern, flags in (
        (r"^[ \t]*(```|~~~).*?^[ \t]*\1[^\n]*$", re.S | re.M),  # fenced code
        (r"<!--.*?-->", re.S),  # HTML comments
        (r"\\\[.*?\\\]", re.S),  # display math
        (r"\\\(.*?\\\)", re.S),  # inline math
        (r"^[ \t]*--8<--.*$", re.M),  # snippet includes
        (r"`[^`\n]+`", 0),  # inline code
        (RENDER.pattern, 0),  # rendered from a results file by the hook
        (r"\]\([^)\s]*\)", 0),  # link and image targets
        (r"<[^>\n]+>", 0),  # HTML tags and their attributes
        (r"\b(?:https?|ftp)://\S+", 0),  # bare URLs
        (r"\b[\w.-]+\.(?:md|py|json|csv|png|npz|txt|gz|yml|toml|js)\b", 0),  # file names
    ):
        text = re.sub(pattern, blank, text, flags=flags)
    return text


class Claim(NamedTuple):
    line: int
    written: str  # as on the page: "96.50%", "1e-15", "33.5 s"
    value: float
    decimals: int  # after the point (of the mantissa, for an exponent form)
    unit: str
    exponent: bool


def claims(text):
    """Each number the text states, as a Claim."""
    text = prose(text)
    for m in CLAIM.finditer(text):
        num, exp, unit = m.group("num"), m.group("exp"), m.group("unit")
        if VERSIONED.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        if TARGET.search(text[max(0, m.start() - 100) : m.start()]):
            continue  # a target, not a result
        if "." not in num and "," not in num and not exp and not unit:
            continue  # a plain integer: structural (see the module's docstring)
        if re.match(r"[^\W\d]", text[m.end() : m.end() + 1]) and not unit:
            continue  # glued to a word (5th, 3s)
        line = text.count("\n", 0, m.start()) + 1
        decimals = len(num.split(".")[1]) if "." in num else 0
        value = float(num.replace(",", "") + (exp or ""))
        yield Claim(line, m.group(0).strip(), value, decimals, (unit or "").strip(), bool(exp))


def matches(claim_value, decimals, unit, value, exponent=False):
    """Does a results value back the stated number, at the precision stated?"""
    scales = [1.0]
    if unit == "%":
        scales.append(100.0)  # a fraction shown as a percentage
    if unit == "ms":
        scales.append(1000.0)  # seconds shown as milliseconds
    for scale in scales:
        v = abs(value.value) * scale
        if exponent:  # 1e-15: the same at the significant digits written
            if v > 0 and math.isclose(float(f"{v:.{max(decimals, 0)}e}"), claim_value, rel_tol=1e-9):
                return True
            continue
        if value.decimals is not None:
            have = value.decimals - (2 if scale == 100.0 else 3 if scale == 1000.0 else 0)
            if have < decimals:
                continue  # the data was written with less precision than the prose claims
        if abs(v - claim_value) <= 0.5 * 10.0**-decimals * (1 + 1e-9) + 1e-12:
            return True
    return False


def cites(text, source, names):
    """Does the page name the results file `source` (a path under docs/results/): its folder
    (results/stage07/, also as a link or snippet path), or its file name where no other
    results file has that name?"""
    folder, _, name = source.rpartition("/")
    cited = folder and re.search(rf"results/{re.escape(folder)}(?![\w-])", text)
    return bool(cited) or (names.count(name) == 1 and name in text)


def unbound(text, values):
    """The claims in `text` that no results value backs: [(line, written)]."""
    names = [v.source.rpartition("/")[2] for v in {v.source: v for v in values}.values()]
    sources = {v.source for v in values if v.series}
    allowed = {source for source in sources if cites(text, source, names)}
    values = [v for v in values if not v.series or v.source in allowed]
    return [
        (c.line, c.written)
        for c in claims(text)
        if not any(matches(c.value, c.decimals, c.unit, v, c.exponent) for v in values)
    ]


# ---------------------------------------------------------------- rendering (the mkdocs hook)


class RenderError(ValueError):
    pass


def lookup(path, key, results=RESULTS):
    file = results / path
    if not file.is_file():
        raise RenderError(f"{{{{ {path}:{key} }}}}: no results file docs/results/{path}")
    node = json.loads(file.read_text())
    for part in key.split("."):
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise RenderError(f"{{{{ {path}:{key} }}}}: docs/results/{path} has no {key}") from None
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise RenderError(f"{{{{ {path}:{key} }}}}: {key} in docs/results/{path} is not a number")
    return node


def render(markdown, results=RESULTS):
    def one(m):
        value = lookup(m.group("path"), m.group("key"), results)
        fmt = m.group("fmt")
        if fmt is None:
            return f"{value:,}" if isinstance(value, int) else repr(value)
        if fmt not in FORMATS:
            raise RenderError(f"{m.group(0)}: unknown format {fmt}; one of {', '.join(FORMATS)}")
        return FORMATS[fmt](value)

    return RENDER.sub(one, markdown)


def on_page_markdown(markdown, page, config, files):  # the mkdocs hook
    try:
        return render(markdown)
    except RenderError as e:
        from mkdocs.exceptions import PluginError

        raise PluginError(f"{page.file.src_path}: {e}") from None
