"""The workbook from a learner's side: start, check on stubs and on the reference, status, and refusals."""

import importlib
import re
import sys
from pathlib import Path

import pytest

from workbook import diagnoses
from workbook.cli import main
from workbook.manifest import STAGES
from workbook.source import find, is_stub, learner_files, module_source

ROOT = Path(__file__).resolve().parents[2]


def test_enough_functions_and_every_one_is_found_in_its_module():
    assert len({(e.module, e.name) for s in STAGES for e in s.exercises}) >= 24
    for stage in STAGES:
        for e in stage.exercises:
            find(module_source(e.module)[1], e.name)  # raises LookupError if the code moved
            assert all((ROOT / t.split("::")[0]).is_file() for t in e.tests), e.tests


def headings(page):
    text = re.sub(r"```.*?```", "", (ROOT / page).read_text(), flags=re.S)
    return {re.sub(r"\s*\{#[\w-]+\}$", "", m).strip() for m in re.findall(r"^#+\s+(.*)$", text, flags=re.M)}


def test_every_section_named_exists_on_its_page():
    named = {(s.page, e.section) for s in STAGES for e in s.exercises}
    named |= {(d.page, d.section) for d in diagnoses.DIAGNOSES.values()}
    for page, section in sorted(named):
        assert section in headings(page), f"{page} has no heading {section!r}"


def test_stubs_keep_the_docstring_and_are_recognized_as_not_written():
    for stage in STAGES:
        for file, text in learner_files(stage).items():
            compile(text, file, "exec")
            for e in (e for e in stage.exercises if e.file == file):
                assert is_stub(text, e.name)
                assert "Hint:" in text
                assert not is_stub(learner_files(stage, solved=True)[file], e.name)


def test_start_then_check_says_not_yet_written_everywhere(tmp_path, capsys):
    assert main(["--dir", str(tmp_path), "start", "all"]) == 0
    assert main(["--dir", str(tmp_path), "check", "all"]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")]
    assert len(lines) == sum(len(s.exercises) for s in STAGES)
    assert all("not yet written" in line for line in lines)


def test_solved_workbooks_pass_and_status_says_done(tmp_path, capsys):
    # two quick stages through the command line; test_notebooks.py grades the same files for all eight
    assert main(["--dir", str(tmp_path), "start", "all", "--solved"]) == 0
    for stage in STAGES:
        assert {p.name: p.read_text() for p in (tmp_path / stage.name).glob("*.py")} == learner_files(stage, True)
    assert main(["--dir", str(tmp_path), "check", "stage05"]) == 0
    assert main(["--dir", str(tmp_path), "check", "stage06"]) == 0
    out = capsys.readouterr().out
    assert out.count("  passed ") == 7, out
    main(["--dir", str(tmp_path), "status"])
    out = capsys.readouterr().out
    assert out.count(" done") == 2 and out.count("started, not checked yet") == len(STAGES) - 2, out
    (tmp_path / "stage05" / "pool.py").write_text((tmp_path / "stage05" / "pool.py").read_text() + "\n# edited\n")
    main(["--dir", str(tmp_path), "status"])
    assert "changed since" in capsys.readouterr().out


def test_starting_again_refuses_without_asking_and_force_keeps_the_old_work(tmp_path, monkeypatch, capsys):
    main(["--dir", str(tmp_path), "start", "stage03"])
    mine = tmp_path / "stage03" / "pool.py"
    mine.write_text(mine.read_text() + "# my work\n")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(SystemExit, match=r"already holds your work.*--force"):
        main(["--dir", str(tmp_path), "start", "stage03"])
    assert "# my work" in mine.read_text()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    main(["--dir", str(tmp_path), "start", "stage03"])
    assert "# my work" in mine.read_text()
    main(["--dir", str(tmp_path), "start", "stage03", "--force"])
    [old] = tmp_path.glob("stage03.old-*")
    assert "# my work" in (old / "pool.py").read_text() and "# my work" not in mine.read_text()


def test_clear_errors(tmp_path, capsys):
    with pytest.raises(SystemExit, match="unknown stage 'stage9'"):
        main(["--dir", str(tmp_path), "start", "stage9"])
    assert main(["--dir", str(tmp_path), "check", "stage01"]) == 1
    assert "no workbook yet" in capsys.readouterr().out
    main(["--dir", str(tmp_path), "start", "stage01"])
    (tmp_path / "stage01" / "functional.py").write_text("def affine_forward(x, w, b):\n    return x @\n")
    main(["--dir", str(tmp_path), "check", "stage01", "affine_forward"])
    assert "functional.py line 2: invalid syntax" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="stage01 has no exercise affine: use one of affine_forward"):
        main(["--dir", str(tmp_path), "check", "stage01", "affine"])


def test_no_diagnosis_fires_on_the_reference():
    for name in diagnoses.PROBES:
        e = next(e for s in STAGES for e in s.exercises if e.name == name)
        module = importlib.import_module(e.module)
        if "." in name:
            cls, method = name.split(".")
            target, original = getattr(module, cls), getattr(module, cls).__dict__[method]
        else:
            target = original = getattr(module, name)
        assert diagnoses.diagnose(name, target, original) == [], name
