"""A stage's page as a Jupyter notebook, generated (never edited by hand, so it cannot drift):

    python -m workbook notebook stage04     ->  runs/notebooks/stage04.ipynb

The page docs/stageNN.md becomes markdown cells, one per section, with its math,
pictures and result tables; a quoted piece of code that defines something (a
function, a class) becomes a code cell that runs. At the end, the stage's workbook:
one cell per file, written by %%writefile into runs/notebooks/stageNN/, and a cell
that grades it with the stage's own tests, as `nox -s workbook -- check` does.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from workbook.grade import ROOT, check
from workbook.manifest import BY_NAME, Stage
from workbook.source import learner_files

TO_ROOT = "../../"  # from runs/notebooks/ back to the repository
SNIPPET = re.compile(r'^\s*--8<-- "([^":]+)(?::([\w-]+))?"\s*$')
SETUP = """\
import os, sys
from pathlib import Path

root = Path.cwd()
while not (root / "noxfile.py").exists():  # the repository, wherever the notebook was opened
    root = root.parent
os.chdir(root)
sys.path.insert(0, str(root))
"""


def section(path: str, name: str | None) -> str:
    text = (ROOT / path).read_text()
    if name is None:
        return text
    start, end = f"# --8<-- [start:{name}]", f"# --8<-- [end:{name}]"
    return textwrap.dedent(text.split(start, 1)[1].split(end, 1)[0].strip("\n"))


def runnable(code: str) -> bool:
    """Code that only defines things (and so runs on its own, after its module's imports)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    kinds = ast.FunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom | ast.Assign
    return all(isinstance(node, kinds) for node in tree.body)


def module_of(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def markdown(text: str) -> str:
    """mkdocs-material's markdown as Jupyter's: math, admonitions, figures, relative paths."""
    text = re.sub(r"\\\((.+?)\\\)", lambda m: f"${m.group(1).strip()}$", text, flags=re.S)
    text = re.sub(r"\\\[(.+?)\\\]", lambda m: f"$${m.group(1).strip()}$$", text, flags=re.S)
    text = re.sub(r"\s*\{#[\w-]+\}$", "", text, flags=re.M)
    figure = (
        r'<figure markdown="span">\s*(!\[.*?\]\(.*?\))\s*<figcaption markdown="span">(.*?)</figcaption>\s*</figure>'
    )
    text = re.sub(figure, lambda m: f"{m.group(1)}\n\n*{m.group(2).strip()}*", text, flags=re.S)

    def admonition(m):
        indent, kind, name, title, body = m.groups()
        title, body = title or name.capitalize(), textwrap.dedent(body).strip()
        if kind == "???":
            return f"{indent}<details><summary>{title}</summary>\n\n{body}\n\n</details>\n"
        return f"{indent}> **{title}**\n>\n" + textwrap.indent(body, "> ", lambda _: True) + "\n"

    pattern = r'^( *)(\?\?\?|!!!) (\w+)(?: "([^"]*)")?\n((?:\1    .*\n|\s*\n)+)'
    text = re.sub(pattern, admonition, text + "\n", flags=re.M)
    link = r"(!?\[[^\]]*\])\((?!\w+://|#)([^)\s]+)\)"
    text = re.sub(link, lambda m: f"{m.group(1)}({TO_ROOT}docs/{m.group(2)})", text)
    return text.strip()


def page_cells(stage: Stage) -> list:
    lines = (ROOT / stage.page).read_text().splitlines()
    cells, prose, modules, i = [], [], [], 0

    def flush():
        if "".join(prose).strip():
            cells.append(new_markdown_cell(markdown("\n".join(prose))))
        prose.clear()

    while i < len(lines):
        line = lines[i]
        if line == "## Build it yourself":  # the page's pointer to the workbook: the notebook has the workbook
            i = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
            continue
        if line.startswith("```"):
            end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
            body = lines[i + 1 : end]
            snippets = [SNIPPET.match(b) for b in body]
            if body and all(snippets):
                code = "\n\n\n".join(section(m.group(1), m.group(2)) for m in snippets)
                if runnable(code):
                    flush()
                    modules += [module_of(m.group(1)) for m in snippets]
                    cells.append(new_code_cell(code))
                else:
                    prose += ["```python", code, "```"]
            else:
                prose += lines[i : end + 1]
            i = end + 1
            continue
        m = SNIPPET.match(line)
        if m and m.group(1).endswith(".md"):  # a results table
            prose += [section(m.group(1), m.group(2)).strip()]
        else:
            if line.startswith("## ") and prose:
                flush()
            prose.append(line)
        i += 1
    flush()
    imports = "".join(f"from {m} import *  # noqa: F403\n" for m in dict.fromkeys(modules))
    return [new_code_cell(SETUP + imports), *cells]


def workbook_cells(stage: Stage, solved: bool, folder: str) -> list:
    cells = [
        new_markdown_cell(
            "## Build it yourself\n\n"
            f"Each cell below is one file of the {stage.name} workbook: write the bodies that raise "
            "`NotImplementedError`, run the cell (it saves the file), then run the last cell. It grades each "
            "function with the stage's own tests, and names the classic bug when it recognizes one. "
            f"The same exercises outside the notebook: `nox -s workbook -- start {stage.name}`."
        )
    ]
    files = learner_files(stage, solved)
    cells += [new_code_cell(f"%%writefile {folder}/{name}\n{text}") for name, text in files.items()]
    cells.append(new_code_cell(f"from workbook.notebook import grade\n\ngrade({stage.name!r}, {folder!r})"))
    return cells


def grade(stage: str, folder: str) -> None:
    """The notebook's check: one line per function, as `nox -s workbook -- check` prints."""
    results = check(BY_NAME[stage], ROOT / folder, echo=print)
    print(f"{stage}: {sum(r.status == 'passed' for r in results)} of {len(results)} passed")


def build(stage: Stage, solved: bool = False, folder: str | None = None):
    """The notebook; its workbook cells write into `folder` (default runs/notebooks/STAGE)."""
    folder = folder or f"runs/notebooks/{stage.name}"
    nb = new_notebook(cells=page_cells(stage) + workbook_cells(stage, solved, folder))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["jupytext"] = {"source": f"generated by `python -m workbook notebook {stage.name}` from {stage.page}"}
    return nb


def write_notebook(stage: Stage, path: Path, solved: bool = False) -> None:
    (path.parent / stage.name).mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    nbformat.write(build(stage, solved), tmp)
    tmp.replace(path)
