"""The workbook's commands (nox -s workbook -- COMMAND, or python -m workbook COMMAND):

    start STAGE [--solved] [--force]    write the stage's exercises into my_workbook/STAGE/
    check STAGE [FUNCTION ...]          grade them with the stage's own tests (exit 0: all pass)
    status                              which stages are started, and done at their last check
    notebook STAGE [--solved] [--force] write the stage's notebook into runs/notebooks/

STAGE is stage01 ... stage08, or "all". --solved fills the workbook with the reference
solution (for instructors, and to test the grader). Starting a stage that already has
a workbook asks first; --force keeps the old one as my_workbook/STAGE.old-<time>.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from shared.files import write_text
from workbook.grade import ROOT, check, last_check
from workbook.manifest import BY_NAME, STAGES
from workbook.source import learner_files

WORKBOOK = ROOT / "my_workbook"
NOTEBOOKS = ROOT / "runs" / "notebooks"


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def stages(name: str):
    if name == "all":
        return list(STAGES)
    if name not in BY_NAME:
        sys.exit(f"error: unknown stage '{name}': use one of {', '.join(BY_NAME)}, or all")
    return [BY_NAME[name]]


def write_atomic(path: Path, text: str) -> None:
    if path.is_symlink():
        sys.exit(f"error: {path} is a symbolic link; the workbook writes only plain files")
    write_text(path, text)  # shared.files: a temporary file of its own, then os.replace


def may_replace(folder: Path, force: bool) -> bool:
    if not folder.exists() or force:
        return True
    if not sys.stdin.isatty():
        sys.exit(
            f"error: {shown(folder)} already holds your work; keep it, or start again with --force "
            "(the old one is kept as a .old- folder)"
        )
    answer = input(f"{shown(folder)} already holds your work. Replace it (the old one is kept)? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def start(args) -> int:
    for stage in stages(args.stage):
        folder = args.dir / stage.name
        if folder.is_symlink():
            sys.exit(f"error: {folder} is a symbolic link; the workbook writes only plain files")
        if not may_replace(folder, args.force):
            print(f"{stage.name}: kept your workbook as it is")
            continue
        files = learner_files(stage, solved=args.solved)
        if folder.exists():
            keep_old(folder)
        folder.mkdir(parents=True)
        for name, text in files.items():
            write_atomic(folder / name, text)
        what = "the reference solution" if args.solved else f"{len(stage.exercises)} functions to write"
        print(
            f"{stage.name}: {shown(folder)}/ ({', '.join(files)}): {what}. "
            f"Read {stage.page}, then: nox -s workbook -- check {stage.name}"
        )
    return 0


def run_check(args) -> int:
    ok = True
    for stage in stages(args.stage):
        folder = args.dir / stage.name
        if not folder.is_dir():
            print(f"{stage.name}: no workbook yet: nox -s workbook -- start {stage.name}")
            ok = False
            continue
        unknown = sorted(set(args.functions) - {e.name for e in stage.exercises})
        if unknown:
            names = ", ".join(e.name for e in stage.exercises)
            sys.exit(f"error: {stage.name} has no exercise {', '.join(unknown)}: use one of {names}")
        print(f"{stage.name}: {stage.title}")
        results = check(stage, folder, args.functions or None)
        passed = sum(r.status == "passed" for r in results)
        print(f"{stage.name}: {passed} of {len(results)} passed")
        ok &= passed == len(results) and bool(results)
    return 0 if ok else 1


def status(args) -> int:
    for stage in STAGES:
        folder = args.dir / stage.name
        record = last_check(folder) if folder.is_dir() else None
        if not folder.is_dir():
            line = "not started"
        elif record is None:
            line = "started, not checked yet"
        else:
            results, unchanged = record
            passed = sum(r["status"] == "passed" for r in results)
            line = "done" if passed == len(results) and unchanged else f"{passed} of {len(results)} passed"
            line += "" if unchanged else " at the last check (changed since: check again)"
        print(f"{stage.name}  {stage.title:<28}{line}")
    return 0


def keep_old(path: Path) -> None:
    """Move path aside as PATH.old-<time> (a folder, or a notebook: NAME.old-<time>.ipynb)."""
    old = path.with_name(f"{path.stem}.old-{time.strftime('%Y%m%d-%H%M%S')}{path.suffix}")
    while old.exists():
        old = old.with_name(old.stem + "+" + old.suffix)
    path.rename(old)
    print(f"your previous {path.name} is now {shown(old)}")


def notebook(args) -> int:
    from workbook.notebook import write_notebook

    for stage in stages(args.stage):
        path = NOTEBOOKS / f"{stage.name}.ipynb"
        if path.is_symlink():
            sys.exit(f"error: {shown(path)} is a symbolic link; the workbook writes only plain files")
        if not may_replace(path, args.force):
            print(f"{stage.name}: kept your notebook as it is")
            continue
        if path.exists():
            keep_old(path)
        write_notebook(stage, path, solved=args.solved)
        print(shown(path))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="workbook", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--dir", type=lambda p: Path(p).resolve(), default=WORKBOOK, help="the workbook folder (default my_workbook/)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="write a stage's exercises into my_workbook/")
    p.add_argument("stage")
    p.add_argument("--solved", action="store_true", help="the reference solution (instructors)")
    p.add_argument("--force", action="store_true", help="replace an existing workbook (the old one is kept)")
    p.set_defaults(run=start)
    p = sub.add_parser("check", help="grade a stage's workbook")
    p.add_argument("stage")
    p.add_argument("functions", nargs="*", help="only these functions")
    p.set_defaults(run=run_check)
    sub.add_parser("status", help="which stages are done").set_defaults(run=status)
    p = sub.add_parser("notebook", help="write a stage's notebook into runs/notebooks/")
    p.add_argument("stage")
    p.add_argument("--solved", action="store_true", help="with the reference solution in the workbook cells")
    p.add_argument("--force", action="store_true", help="replace an existing notebook (the old one is kept)")
    p.set_defaults(run=notebook)
    args = parser.parse_args(argv)
    return args.run(args)
