"""Each classic bug, planted into a solved workbook, is named by check (and fails it)."""

import ast
import inspect
import textwrap

import pytest

from workbook.grade import check
from workbook.manifest import BY_NAME
from workbook.source import find, learner_files
from workbook.tests.planted import PLANTED


def plant(text, name, func):
    """The learner file `text` with exercise `name` replaced by `func`'s source, renamed and indented to fit."""
    node = find(ast.parse(text), name)
    source = inspect.getsource(func).replace(f"def {func.__name__}(", f"def {name.split('.')[-1]}(", 1)
    lines = text.splitlines()
    lines[node.lineno - 1 : node.end_lineno] = textwrap.indent(source, " " * node.col_offset).splitlines()
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("stage", "name", "func", "key"), PLANTED, ids=[p[2].__name__ for p in PLANTED])
def test_check_names_the_planted_bug(tmp_path, stage, name, func, key):
    stage = BY_NAME[stage]
    exercise = next(e for e in stage.exercises if e.name == name)
    for file, text in learner_files(stage, solved=True).items():
        (tmp_path / file).write_text(plant(text, name, func) if file == exercise.file else text)
    lines = []
    [result] = check(stage, tmp_path, only=[name], echo=lines.append)
    assert result.status == "failed", lines
    if key is not None:
        assert key in result.keys, lines
        assert result.where.startswith("docs/stage"), lines
