"""Every stage's notebook, generated from its page, runs top to bottom with the reference solution
in its workbook cells, and its last cell grades them all as passed (offline, in a real kernel)."""

import nbformat
import pytest
from nbclient import NotebookClient

from workbook.grade import ROOT
from workbook.manifest import STAGES
from workbook.notebook import build, markdown


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_the_notebook_runs_and_its_solved_workbook_passes(stage, tmp_path):
    nb = build(stage, solved=True, folder=str(tmp_path))
    assert any(
        c.cell_type == "code" and c.source.startswith(("def ", "class ")) for c in nb.cells
    )  # the page's code runs
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    out = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    n = len(stage.exercises)
    assert f"{stage.name}: {n} of {n} passed" in out, out
    assert sorted(p.name for p in tmp_path.glob("*.py")) == sorted({e.file for e in stage.exercises})
    nbformat.validate(nb)


def test_markdown_for_jupyter():
    page = 'Math \\( x^2 \\) and\n\\[ y = 1 \\]\n\n??? note "Why"\n    Because.\n\n![a](results/p.png)\n'
    text = markdown(page)
    assert "$x^2$" in text and "$$y = 1$$" in text
    assert "<details><summary>Why</summary>\n\nBecause.\n\n</details>" in text
    assert "![a](../../docs/results/p.png)" in text
