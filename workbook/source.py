"""The learner's files, written from the reference modules' own source.

For each module of a stage's exercises, one file: the module's imports, an import of
every other name the exercises use from it (helpers such as check_conv_args), then
each exercise with its signature and docstring kept and its body replaced by a hint
and a `raise NotImplementedError` (or, with solved=True, the reference body). An
exercise that is a method ("SGD.update") brings its whole class, with only that
method's body replaced.
"""

from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import textwrap

from workbook.manifest import Exercise, Stage

TODO = "not yet written"


def module_source(module: str) -> tuple[str, ast.Module]:
    text = inspect.getsource(importlib.import_module(module))
    return text, ast.parse(text)


def find(tree: ast.Module, name: str) -> ast.AST:
    """The top-level def or class (or a class's method, "Class.method") called name."""
    node: ast.AST = tree
    for part in name.split("."):
        matches = [n for n in node.body if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == part]
        if not matches:
            raise LookupError(f"no {name} in the module")
        node = matches[0]
    return node


def lines_of(text: str, node: ast.AST) -> list[str]:
    return text.splitlines()[node.lineno - 1 : node.end_lineno]


def stub_body(text: str, func: ast.FunctionDef, exercise: Exercise, stage: str) -> list[str]:
    """The def line(s) and docstring of func, then the hint and the raise, indented like its body."""
    body = func.body
    has_doc = isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
    last = body[0].end_lineno if has_doc else func.body[0].lineno - 1
    head = text.splitlines()[func.lineno - 1 : last]
    indent = " " * body[0].col_offset
    hint = textwrap.wrap(f"Hint: {exercise.hint}.", 110 - len(indent))
    todo = f"{exercise.name}: {TODO} (nox -s workbook -- check {stage})"
    return head + [f"{indent}# {line}" for line in hint] + [f"{indent}raise NotImplementedError({todo!r})"]


def used_names(nodes: list[ast.AST]) -> set[str]:
    return {n.id for node in nodes for n in ast.walk(node) if isinstance(n, ast.Name)}


def learner_file(stage: Stage, module: str, solved: bool) -> str:
    """The text of the learner's file for one module of the stage."""
    text, tree = module_source(module)
    exercises = [e for e in stage.exercises if e.module == module]
    tops = list(dict.fromkeys(e.name.split(".")[0] for e in exercises))
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    imported = {a.asname or a.name.split(".")[0] for n in imports for a in n.names}
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    defined |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
    nodes = [find(tree, top) for top in tops]
    helpers = sorted((used_names(nodes) & defined) - set(tops) - imported - set(dir(builtins)))
    out = [
        f'"""Your {stage.name} workbook: {module.rsplit(".", 1)[1]}.py. Write the bodies that raise',
        "NotImplementedError.",
        "",
        f"Check your work: nox -s workbook -- check {stage.name}   (each function is graded on its own,",
        f"with the reference's versions of the others). The page: {stage.page}.",
        f"The reference, once you are done or stuck: {module.replace('.', '/')}.py",
        '"""',
        "",
    ]
    out += ["\n".join(lines_of(text, n)) for n in imports]
    if helpers:
        out.append(f"from {module} import {', '.join(helpers)}  # given: not part of the exercise")
    for earlier in stage.modules()[: stage.modules().index(module)]:  # the stage's other files, as the reference
        names = [e.name for e in stage.exercises if e.module == earlier and "." not in e.name]
        if names:
            out.append(f"from {earlier} import {', '.join(names)}  # the reference's; yours are graded in their file")
    for top, node in zip(tops, nodes):
        block = lines_of(text, node)
        if not solved:
            stubs = [e for e in exercises if e.name.split(".")[0] == top]
            for e in sorted(stubs, key=lambda e: -find(tree, e.name).lineno):  # bottom up: line numbers stay valid
                func = find(tree, e.name)
                start, end = func.lineno - node.lineno, func.end_lineno - node.lineno + 1
                block[start:end] = stub_body(text, func, e, stage.name)
        out += ["", "", *block]
    return "\n".join(out) + "\n"


def learner_files(stage: Stage, solved: bool = False) -> dict[str, str]:
    """{file name: text} for every module of the stage."""
    by_file = {}
    for module in stage.modules():
        name = module.rsplit(".", 1)[1] + ".py"
        if name in by_file:
            raise ValueError(f"{stage.name}: two modules would share the learner file {name}")
        by_file[name] = learner_file(stage, module, solved)
    return by_file


def is_stub(text: str, name: str) -> bool:
    """True while the learner has not touched the function's body: it only raises NotImplementedError."""
    func = find(ast.parse(text), name)
    body = [n for n in func.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    exc = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
