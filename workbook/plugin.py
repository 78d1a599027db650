"""A pytest plugin that puts one of the learner's functions in place of the reference one.

The grader runs the stage's own tests with `-p workbook.plugin` and these variables:

    WORKBOOK_FILE       the learner's file, e.g. my_workbook/stage04/im2col.py
    WORKBOOK_EXERCISE   "<module>:<name>", e.g. "stage04_im2col.im2col:col2im"
    WORKBOOK_OTHERS     the file's other exercises, comma-separated: the learner's file
                        gets the reference's versions of them, so only one function is graded
    WORKBOOK_REPORT     where to write the outcome, as JSON

It patches before the test modules are imported, so `from module import name` in a
test binds the learner's function; modules imported earlier are patched where they
hold the reference function under the same name. After the tests, if any failed, it
runs the exercise's diagnoses (workbook/diagnoses.py) and writes what they name.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

STATE = {"failures": [], "passed": 0}


def load_learner(path: Path):
    name = f"workbook_learner_{path.parent.name}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def patch(module_name: str, name: str, learner) -> tuple[object, object]:
    """Put the learner's `name` into the reference module; return (the learner's target, the original)."""
    reference = importlib.import_module(module_name)
    if "." in name:  # a method: the learner's function goes onto the reference class
        cls, method = name.split(".")
        original = getattr(reference, cls).__dict__[method]
        setattr(getattr(reference, cls), method, getattr(learner, cls).__dict__[method])
        return getattr(reference, cls), original
    original, mine = getattr(reference, name), getattr(learner, name)
    for module in list(sys.modules.values()):
        if module is not learner and getattr(module, name, None) is original:
            setattr(module, name, mine)
    return mine, original


def pytest_configure(config):
    if "WORKBOOK_EXERCISE" not in os.environ:
        return
    module_name, name = os.environ["WORKBOOK_EXERCISE"].split(":")
    learner = load_learner(Path(os.environ["WORKBOOK_FILE"]))
    reference = importlib.import_module(module_name)
    for other in filter(None, os.environ.get("WORKBOOK_OTHERS", "").split(",")):
        if "." in other:
            cls, method = other.split(".")
            setattr(getattr(learner, cls), method, getattr(reference, cls).__dict__[method])
        else:
            setattr(learner, other, getattr(reference, other))
    STATE["target"], STATE["original"] = patch(module_name, name, learner)
    STATE["exercise"] = name


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if "exercise" not in STATE or report.skipped:
        return
    if report.failed:
        err = call.excinfo
        lines = [line.strip() for line in str(err.value).strip().splitlines() if line.strip()]
        message = f"{err.typename}: {' | '.join(lines[:3])}"
        STATE["failures"].append({"test": item.nodeid, "error": message[:400]})
    elif report.when == "call":
        STATE["passed"] += 1


def pytest_sessionfinish(session, exitstatus):
    if "exercise" not in STATE:
        return
    from workbook.diagnoses import diagnose

    found = diagnose(STATE["exercise"], STATE["target"], STATE["original"]) if STATE["failures"] else []
    collected = session.testscollected
    report = {"passed": STATE["passed"], "failures": STATE["failures"], "diagnoses": found, "collected": collected}
    Path(os.environ["WORKBOOK_REPORT"]).write_text(json.dumps(report))
