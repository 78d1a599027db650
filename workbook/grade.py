"""Grading: each exercise's tests run against the learner's function, one function at a time.

A function still raising NotImplementedError is "not yet written" without running
anything. Otherwise its tests run in a fresh interpreter (`-p workbook.plugin`), so a
learner's function can neither hang nor break the grader, and one function's
mistake cannot fail another's tests: the others are the reference's while it runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from shared.files import write_text
from workbook.manifest import Exercise, Stage
from workbook.source import is_stub

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds for one function's tests: a loop that never ends fails, it does not hang the check
RESULTS = ".check.json"
WORKERS = min(2, os.cpu_count() or 1)


@dataclass
class Result:
    name: str
    status: str  # "passed", "not yet written", "failed"
    detail: str = ""  # the diagnosis, or the first failing test and its error
    where: str = ""  # the page and section to read
    keys: tuple[str, ...] = ()  # the diagnoses' keys

    def line(self) -> str:
        text = f"  {self.status:<17}{self.name}"
        if self.detail:
            text += f": {self.detail}"
        return text + (f"  (read {self.where})" if self.where else "")


def where(page: str, section: str) -> str:
    return f'{page}, "{section}"'


def run_tests(stage: Stage, exercise: Exercise, path: Path) -> dict:
    others = [e.name for e in stage.exercises if e.module == exercise.module and e is not exercise]
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        env = os.environ | {
            "WORKBOOK_FILE": str(path),
            "WORKBOOK_EXERCISE": f"{exercise.module}:{exercise.name}",
            "WORKBOOK_OTHERS": ",".join(others),
            "WORKBOOK_REPORT": str(report),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "workbook.plugin", "-p", "no:cacheprovider"]
        try:
            proc = subprocess.run(
                [*command, *exercise.tests], cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT
            )
        except subprocess.TimeoutExpired:
            return {"error": f"its tests did not finish in {TIMEOUT} s (a loop that never ends?)"}
        if not report.exists():  # the learner's file failed to import, or pytest could not start
            tail = (proc.stdout + proc.stderr).strip().splitlines()
            errors = [line for line in tail if "Error" in line] or tail[-1:]
            return {"error": f"the tests could not run: {errors[-1].strip() if errors else 'no output'}"}
        return json.loads(report.read_text())


def grade(stage: Stage, exercise: Exercise, folder: Path) -> Result:
    path = folder / exercise.file
    section = where(stage.page, exercise.section)
    if not path.is_file():
        return Result(exercise.name, "failed", f"{path} is missing (nox -s workbook -- start {stage.name})")
    text = path.read_text()
    try:
        if is_stub(text, exercise.name):
            return Result(exercise.name, "not yet written", where=section)
    except SyntaxError as err:
        return Result(exercise.name, "failed", f"{path.name} line {err.lineno}: {err.msg}")
    except LookupError:
        return Result(exercise.name, "failed", f"{path.name} has no {exercise.name} (start again with --force?)")
    report = run_tests(stage, exercise, path)
    if "error" in report:
        return Result(exercise.name, "failed", report["error"], section)
    if not report["failures"] and report["passed"]:
        return Result(exercise.name, "passed")
    if not report["failures"]:
        return Result(exercise.name, "failed", "no test ran (is the manifest's test list right?)")
    if report["diagnoses"]:
        first = report["diagnoses"][0]
        keys = tuple(d["key"] for d in report["diagnoses"])
        return Result(exercise.name, "failed", first["message"], where(first["page"], first["section"]), keys)
    fail = report["failures"][0]
    count = len(report["failures"])
    detail = f"{count} test{'s' * (count > 1)} failed, first {fail['test']}: {fail['error']}"
    return Result(exercise.name, "failed", detail, section)


def fingerprint(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def check(stage: Stage, folder: Path, only: list[str] | None = None, echo=print) -> list[Result]:
    """Grade the stage's functions (or those named in `only`), echoing one line each as it comes."""
    exercises = [e for e in stage.exercises if not only or e.name in only]
    results = []
    with ThreadPoolExecutor(WORKERS) as pool:  # each function's tests in its own process, two at a time
        for result in pool.map(lambda e: grade(stage, e, folder), exercises):
            results.append(result)
            echo(result.line())
    if not only:
        record = {"fingerprint": fingerprint(folder), "results": [asdict(r) for r in results]}
        write_text(folder / RESULTS, json.dumps(record, indent=1))
    return results


def last_check(folder: Path) -> tuple[list[dict], bool] | None:
    """The results of the last full check and whether the files are unchanged since, or None."""
    try:
        record = json.loads((folder / RESULTS).read_text())
    except (OSError, ValueError):
        return None
    return record["results"], record["fingerprint"] == fingerprint(folder)
