import numpy as np
import pytest
from PIL import Image, ImageDraw

from shared.datasets import load_sample
from stage07_full_cnn.evaluate import confusion_matrix
from stage07_full_cnn.evaluate import main as evaluate
from stage07_full_cnn.predict import ImageError, mnistify, read_grayscale
from stage07_full_cnn.predict import main as predict


def test_confusion_matrix():
    cm = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 0]])


def test_evaluate_writes_report_and_figures(tiny_run, tmp_path, capsys):
    cm = evaluate([str(tiny_run / "best.npz"), "--out", str(tmp_path)])
    assert cm.sum() == 1000
    out = capsys.readouterr().out
    assert "test accuracy:" in out and "Most confused" in out and "| 9 |" in out
    assert (tmp_path / "evaluation.md").read_text().startswith("test accuracy:")
    assert (tmp_path / "confusion.png").stat().st_size > 0 and (tmp_path / "misclassified.png").stat().st_size > 0


def test_evaluate_broken_checkpoint(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"junk")
    with pytest.raises(SystemExit, match="not a readable checkpoint"):
        evaluate([str(tmp_path / "x.npz")])


@pytest.mark.parametrize("light_background", [True, False])
def test_mnistify_recovers_real_digits_from_big_images(tmp_path, light_background):
    # real test digits, blown up 4x and placed off-centre on a larger non-square page, maybe inverted
    data = load_sample()
    correlations = []
    for i in range(20):
        digit = data.test_images[i]
        page = np.zeros((200, 150), np.uint8)
        page[30:142, 20:132] = np.asarray(Image.fromarray(digit).resize((112, 112), Image.Resampling.BICUBIC))
        Image.fromarray(255 - page if light_background else page).save(tmp_path / "d.png")
        back = mnistify(read_grayscale(tmp_path / "d.png"))
        assert back.shape == (28, 28) and back.dtype == np.uint8
        # MNIST's own centring used the same recipe, so the result should look like the original
        correlations.append(np.corrcoef(back.ravel().astype(float), digit.ravel().astype(float))[0, 1])
    assert np.median(correlations) > 0.85


def test_mnistify_rejects_blank_images():
    with pytest.raises(ImageError, match="no digit found"):
        mnistify(np.ones((50, 40)))


def test_predict_prints_top3_and_survives_bad_files(tiny_run, tmp_path, capsys):
    img = Image.new("RGB", (200, 260), "white")
    ImageDraw.Draw(img).line([(50, 40), (150, 40), (90, 230)], fill="black", width=22)  # a drawn 7
    img.save(tmp_path / "seven.png")
    img.convert("L").save(tmp_path / "seven.jpg")
    (tmp_path / "notes.png").write_text("not an image")
    with pytest.raises(SystemExit) as info:
        predict(
            [
                str(tiny_run / "best.npz"),
                str(tmp_path / "notes.png"),
                str(tmp_path / "seven.png"),
                str(tmp_path / "seven.jpg"),
            ]
        )
    assert info.value.code == 1
    captured = capsys.readouterr()
    assert "notes.png: cannot be read as an image" in captured.err
    lines = captured.out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith(str(tmp_path / "seven.png")) and lines[0].count("%") == 3
