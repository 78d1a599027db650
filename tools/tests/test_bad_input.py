"""Issue 24, the checkpoint tools: inputs that are not regular files, paths the system refuses,
a header claiming 10^12 floats, a float image with NaN, output checked before the work and
never written through a link."""

import io
import os
import shutil
import threading
import zipfile

import numpy as np
import pytest
from PIL import Image

from shared.datasets import load_sample
from stage07_full_cnn.tests.test_bad_input import refused_by, rewrite
from stage07_full_cnn.tests.test_nothing_lost import LONG, dataset_folder
from tools import evaluate as evaluate_module
from tools import visualize as visualize_module
from tools.evaluate import main as evaluate
from tools.predict import main as predict
from tools.visualize import main as visualize


def digit_png(path):
    Image.fromarray(np.asarray(Image.fromarray(load_sample().test_images[0]).resize((40, 40)))).save(path)
    return str(path)


def huge_header(tmp_path, run):
    """best.npz with one entry whose header claims 10^12 floats, in a 5 KB file."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (10**12,)})
    path = tmp_path / "huge.npz"
    with zipfile.ZipFile(run / "best.npz") as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            big = info.filename == "param/0.W.npy"
            dst.writestr(info.filename, header.getvalue() + b"\0" * 16 if big else src.read(info))
    return str(path)


def fifo(tmp_path):
    os.mkfifo(tmp_path / "pipe.npz")
    return str(tmp_path / "pipe.npz")


CHECKPOINTS = {
    "a FIFO": (fifo, "pipe.npz: is a FIFO (named pipe), not a regular file"),
    "a 300-character name": (lambda tmp, run: str(tmp / LONG / "best.npz"), "cannot be looked up (File name too long)"),
    "a header claiming 10^12 floats": (huge_header, "entry param/0.W claims (1000000000000,) float32 values"),
}


@pytest.mark.parametrize("tool", ["predict", "evaluate", "visualize"])
@pytest.mark.parametrize("case", CHECKPOINTS)
def test_a_checkpoint_that_cannot_be_read_gets_one_line(tmp_path, tiny_run, tool, case):
    make, expected = CHECKPOINTS[case]
    path = make(tmp_path, tiny_run) if make is not fifo else fifo(tmp_path)
    argv = {"predict": [path, digit_png(tmp_path / "d.png")], "evaluate": [path, "--out", str(tmp_path / "e")],
            "visualize": [path, "--out", str(tmp_path / "v")]}[tool]  # fmt: skip
    message = refused_by({"predict": predict, "evaluate": evaluate, "visualize": visualize}[tool], argv)
    assert message.startswith("error: ") and expected in message, message


def _float_image(value):
    def draw(path):
        pixels = np.zeros((40, 40), np.float32)
        pixels[10:30, 18:22] = 1.0
        pixels[0, 0] = value
        Image.fromarray(pixels, mode="F").save(path)

    return draw


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_a_float_image_with_a_non_finite_pixel_is_reported_and_the_rest_classified(tiny_run, tmp_path, capsys, value):
    _float_image(value)(tmp_path / "float.tiff")
    args = [str(tiny_run / "best.npz"), str(tmp_path / "float.tiff"), digit_png(tmp_path / "d.png")]
    with pytest.raises(SystemExit) as info:
        predict(args)
    captured = capsys.readouterr()
    assert info.value.code == 1 and "float.tiff: some pixels are NaN or infinite" in captured.err
    assert captured.out.startswith(str(tmp_path / "d.png"))


def test_a_fifo_among_the_images_is_reported_and_the_rest_classified(tiny_run, tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe.png")
    args = [str(tiny_run / "best.npz"), str(tmp_path / "pipe.png"), digit_png(tmp_path / "d.png")]
    codes = []

    def run():
        with pytest.raises(SystemExit) as info:
            predict(args)
        codes.append(info.value.code)

    worker = threading.Thread(target=run)
    worker.daemon = True
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # blocked opening the FIFO: give it a writer that closes at once, so it ends
        os.close(os.open(tmp_path / "pipe.png", os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=10)
        pytest.fail("predict blocked on the FIFO")
    captured = capsys.readouterr()
    assert codes == [1] and "pipe.png: is a FIFO (named pipe), not a regular file" in captured.err
    assert captured.out.startswith(str(tmp_path / "d.png"))


OUTS = {
    "a file": (lambda tmp: tmp / "FILE", "this is a file, not a folder"),
    "an unwritable folder": (lambda tmp: "/proc/cnn-from-scratch-test", "cannot write there"),
    "a 300-character name": (lambda tmp: tmp / LONG, "cannot be looked up (File name too long)"),
}


@pytest.mark.parametrize("tool", ["evaluate", "visualize"])
@pytest.mark.parametrize("case", OUTS)
def test_out_is_checked_before_the_work(tiny_run, tmp_path, monkeypatch, tool, case):
    (tmp_path / "FILE").write_text("mine")
    module = {"evaluate": evaluate_module, "visualize": visualize_module}[tool]
    monkeypatch.setattr(module, "load_test_set_or_exit", lambda *a, **k: pytest.fail("worked before checking --out"))
    out, expected = OUTS[case]
    message = refused_by(module.main, [str(tiny_run / "best.npz"), "--out", str(out(tmp_path))])
    assert message.startswith("error: --out ") and expected in message
    assert (tmp_path / "FILE").read_text() == "mine"


def test_visualize_checks_the_index_before_writing_anything(tiny_run, tmp_path):
    with pytest.raises(SystemExit) as info:
        visualize([str(tiny_run / "best.npz"), "--index", "5000", "--out", str(tmp_path / "v")])
    assert info.value.code == 2 and list((tmp_path / "v").iterdir()) == []


def test_evaluate_on_a_dataset_without_test_images(tiny_run, tmp_path):
    folder = dataset_folder(tmp_path, load_sample().train_images[:40], np.zeros((0, 28, 28), np.uint8))
    message = refused_by(evaluate, [str(tiny_run / "best.npz"), "--dataset", str(folder), "--out", str(tmp_path / "e")])
    assert "has no test images; give a dataset with some" in message


@pytest.mark.parametrize(
    ("tool", "names"),
    [
        ("evaluate", ["evaluation.md", "confusion.png", "misclassified.png"]),
        ("visualize", ["filters.png", "feature_maps.png"]),
    ],
)
def test_the_tools_replace_a_planted_link_and_never_write_through_it(tiny_run, tmp_path, tool, names):
    out = tmp_path / "out"
    out.mkdir()
    for name in names:
        (tmp_path / f"target-{name}").write_text("mine")
        (out / name).symlink_to(tmp_path / f"target-{name}")
    {"evaluate": evaluate, "visualize": visualize}[tool]([str(tiny_run / "best.npz"), "--out", str(out)])
    for name in names:
        assert (tmp_path / f"target-{name}").read_text() == "mine", f"{name} was written through its link"
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0


def _epoch_bool(arrays, meta):
    meta["epoch"] = True


def test_an_epoch_of_true_is_not_an_epoch_number(tiny_run, tmp_path):
    shutil.copy(tiny_run / "best.npz", tmp_path / "best.npz")
    rewrite(tmp_path / "best.npz", _epoch_bool)
    assert "its meta data has no epoch number" in refused_by(predict, [str(tmp_path / "best.npz"), "x.png"])
