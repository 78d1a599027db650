"""Every way to run this project: `nox -l` lists the sessions.

    nox -s tests            the whole test suite (offline, a few minutes on 2 cores)
    nox -s lint             ruff check and format check
    nox -s stage01 ... stage08   a stage's tests, demo and benchmark
    nox -s stage07 -- --epochs 5 --out runs/quick   arguments after -- go to the program
    nox -s explore          the explorer in your browser (after a stage07 run)
    nox -s parity / browser   against PyTorch / in a real browser (CI runs both)
    nox -s workbook -- start stage04 / check stage04 / status   build a stage yourself, graded
    nox -s notebook -- stage04   a stage's page as a notebook, with its workbook, in JupyterLab

A stage session writes its tables and figures under runs/<stage>/ (ignored by git): running
one never changes a tracked file. Only `nox -s figures`, run on purpose, refreshes docs/results/.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_venv = "yes"
nox.options.sessions = ["tests", "lint"]

PYTHON = None  # the interpreter nox runs on (3.10 or newer)
PYPROJECT = nox.project.load_toml("pyproject.toml")


def groups(*names):
    """The requirements of the named dependency groups in pyproject.toml."""
    return [req for name in names for req in nox.project.dependency_groups(PYPROJECT, name)]


def install(session, *group_names):
    """The project (editable) plus the named dependency groups."""
    session.install("-e", ".", *groups(*group_names))


@nox.session(python=PYTHON)
def tests(session):
    """The whole test suite (what CI runs)."""
    install(session, "tests")
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHON)
def lint(session):
    """ruff check and ruff format --check."""
    session.install(*groups("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


def stage_session(name, package, programs):
    """A session that runs a stage's tests, then each program (the last one gets the -- args)."""

    def run(session):
        install(session, "tests")
        session.run("pytest", "-q", package)
        for i, module in enumerate(programs):
            extra = session.posargs if i == len(programs) - 1 else []
            session.run("python", "-m", f"{package}.{module}", *extra)

    run.__doc__ = f"{package}: its tests, then {', '.join(programs)}."
    nox.session(name=name, python=PYTHON)(run)


stage_session("stage01", "stage01_fc", ["pictures", "benchmark", "train"])
stage_session("stage02", "stage02_naive_conv", ["pictures", "benchmark"])
stage_session("stage03", "stage03_pooling", ["pictures", "benchmark"])
stage_session("stage04", "stage04_im2col", ["pictures", "winograd_pictures", "benchmark"])
stage_session("stage05", "stage05_strided_pool", ["pictures", "benchmark"])
stage_session("stage06", "stage06_optimizers", ["pictures", "compare"])
stage_session("stage07", "stage07_full_cnn", ["pictures", "train"])
stage_session("stage08", "stage08_regularization", ["pictures", "train"])


@nox.session(python=PYTHON)
def bench(session):
    """The full CNN's speed against the time of its own matrix products (one Fashion-MNIST epoch)."""
    install(session)
    session.run("python", "-m", "stage07_full_cnn.measure.benchmark", *session.posargs)


@nox.session(python=PYTHON)
def parity(session):
    """Every layer, optimizer and the whole network against PyTorch (installs torch; never skipped)."""
    install(session, "parity")
    session.run("pytest", "-m", "torch", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHON)
def explore(session):
    """The explorer in your browser: `nox -s explore -- [CHECKPOINT] [--port 8001]` (default: newest run)."""
    install(session)
    session.run("python", "-m", "tools.explore", *session.posargs)


@nox.session(python=PYTHON)
def browser(session):
    """The tests that drive a real browser: the explorer, and the built site at laptop and phone widths."""
    install(session, "browser", "docs")
    session.run("pytest", "-m", "browser", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python=PYTHON)
def workbook(session):
    """Build it yourself: `-- start stage04` (--solved, --force), `-- check stage04`, `-- status`."""
    install(session, "tests")
    session.run("python", "-m", "workbook", *(session.posargs or ["--help"]))


@nox.session(python=PYTHON)
def notebook(session):
    """A stage's page as a notebook with its workbook, opened in JupyterLab: `nox -s notebook -- stage04`."""
    install(session, "notebook")
    if not session.posargs:
        session.error("name a stage: nox -s notebook -- stage04 (or -- stage04 --solved, --force)")
    session.run("python", "-m", "workbook", "notebook", *session.posargs)
    session.run("jupyter", "lab", f"runs/notebooks/{session.posargs[0]}.ipynb")


@nox.session(name="bench-torch", python=PYTHON)
def bench_torch(session):
    """Training and inference speed against PyTorch CPU, alternating, in one run."""
    install(session, "parity")
    session.run("python", "-m", "stage07_full_cnn.measure.bench_torch", *session.posargs)


@nox.session(python=PYTHON)
def docs(session):
    """Build the site strictly (`nox -s docs -- serve` serves it at http://127.0.0.1:8000)."""
    session.install(*groups("docs"))
    if session.posargs and session.posargs[0] == "serve":
        session.run("mkdocs", "serve", *session.posargs[1:])
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session(python=PYTHON)
def figures(session):
    """Regenerate the tables and figures under docs/results (a few minutes; not the speed runs, nor the
    long or one-off runs that the home page lists, whose folders name their command)."""
    install(session)
    session.run("python", "-m", "shared.data_pictures", "--out", "docs/results/data")
    for package in (  # the explanatory pictures of stages 1 to 8
        "stage01_fc",
        "stage02_naive_conv",
        "stage03_pooling",
        "stage04_im2col",
        "stage05_strided_pool",
        "stage06_optimizers",
        "stage07_full_cnn",
        "stage08_regularization",
    ):
        session.run("python", "-m", f"{package}.pictures", "--out", f"docs/results/{package.split('_')[0]}")
    for module in (  # the pictures of the ideas: what a convolution is, what pooling buys, ...
        "stage01_fc.graph_picture",
        "stage02_naive_conv.core_pictures",
        "stage04_im2col.winograd_pictures",
        "stage03_pooling.experiments",
        "stage06_optimizers.lr_sweep",
    ):
        session.run("python", "-m", module, "--out", f"docs/results/{module.split('_')[0]}")
    session.run("python", "-m", "stage01_fc.train", "--out", "docs/results/stage01")
    for module in (
        "stage01_fc.benchmark",
        "stage02_naive_conv.benchmark",
        "stage03_pooling.benchmark",
        "stage04_im2col.benchmark",
        "stage05_strided_pool.benchmark",
        "stage06_optimizers.compare",
    ):
        stage = module.split("_")[0]
        session.run("python", "-m", module, "--out", f"docs/results/{stage}")
    run, results = "runs/figures-mnist-sample", "docs/results/stage07"
    train = ["--dataset", "mnist-sample", "--out", run, "--no-progress", "--overwrite"]
    session.run("python", "-m", "stage07_full_cnn.train", *train)
    session.run("python", "-m", "tools.evaluate", f"{run}/best.npz", "--out", results)
    session.run("python", "-m", "tools.visualize", f"{run}/best.npz", "--out", results)
    session.install(*groups("browser"))
    browser_test = "tools/tests/test_explore_browser.py"
    session.run(
        "pytest",
        "-m",
        "browser",
        "-p",
        "no:cacheprovider",
        browser_test,
        env={"EXPLORER_CHECKPOINT": f"{run}/best.npz"},
    )
    session.run("mkdir", "-p", "docs/results/explorer", external=True)
    for name in ("explorer.png", "explorer-backward.png"):
        session.run("cp", f"runs/explorer/{name}", "docs/results/explorer/", external=True)
    for name in ("curves.png", "metrics.csv", "summary.json"):
        session.run("cp", f"{run}/{name}", results, external=True)
    rule = "runs/figures-checkpoint-rule"
    seeds = ["--seeds", "0", "1", "2", "3", "4"]
    session.run("python", "-m", "stage07_full_cnn.measure.checkpoint_rule", *seeds, "--out", rule)
    for name in ("checkpoint_rule.md", "checkpoint_rule.json"):
        session.run("cp", f"{rule}/{name}", results, external=True)
    tiny = ["--dataset", "mnist-sample", "--limit", "70", "--epochs", "30", "--no-progress", "--overwrite"]
    session.run(
        "python", "-m", "stage07_full_cnn.train", *tiny, "--out", "runs/figures-tiny"
    )  # stage 7's debugging recipe
    session.run("mkdir", "-p", f"{results}/tiny", external=True)
    for name in ("metrics.csv", "summary.json"):
        session.run("cp", f"runs/figures-tiny/{name}", f"{results}/tiny/", external=True)
    session.run("python", "-m", "stage08_regularization.benchmark", "--out", "docs/results/stage08")
    session.run(
        "python", "-m", "stage08_regularization.ablation", "--out", "runs/figures-stage08-ablation", "--overwrite"
    )
    for name in ("ablation.md", "ablation.json", "ablation.png"):
        session.run("cp", f"runs/figures-stage08-ablation/{name}", "docs/results/stage08", external=True)
