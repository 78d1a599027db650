import json

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shared.datasets import load_sample
from tools.evaluate import confusion_matrix
from tools.evaluate import main as evaluate
from tools.predict import ImageError, mnistify, read_grayscale
from tools.predict import main as predict


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


def digit_page(digit, scale=4):
    """A real digit blown up on a white page, as a phone photo or a scan would show it: (H, W) uint8."""
    page = np.zeros((40 * scale, 36 * scale), np.uint8)
    big = np.asarray(Image.fromarray(digit).resize((28 * scale, 28 * scale), Image.Resampling.BICUBIC))
    page[6 * scale : 34 * scale, 4 * scale : 32 * scale] = big
    return 255 - page


def test_mnistify_puts_the_centre_of_mass_where_mnist_has_it(tmp_path):
    data = load_sample()
    ys, xs = np.indices((28, 28))
    for digit in data.test_images[:10]:
        Image.fromarray(digit_page(digit)).save(tmp_path / "d.png")
        back = mnistify(read_grayscale(tmp_path / "d.png")).astype(float)
        centre = ((ys * back).sum() / back.sum(), (xs * back).sum() / back.sum())
        assert abs(centre[0] - 14.0) <= 0.5 and abs(centre[1] - 14.0) <= 0.5, centre


def test_predict_gives_the_class_the_network_gives_the_original_digit(tiny_run, tmp_path, capsys):
    from shared.preprocess import to_float
    from stage07_full_cnn.model import to_model_input
    from tools.loader import load_model

    model, meta = load_model(tiny_run / "best.npz")
    digits = load_sample().test_images[:10]
    expected = model.predict(to_model_input(to_float(digits, meta["data"]["mean"], meta["data"]["std"]))).argmax(1)
    paths = []
    for i, digit in enumerate(digits):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(digit_page(digit)).save(paths[-1])
    predict([str(tiny_run / "best.npz"), *paths])
    got = [int(line.split(": ")[1].split()[0]) for line in capsys.readouterr().out.strip().splitlines()]
    assert sum(g == e for g, e in zip(got, expected)) >= 9, (got, expected)


def _saved_as(tmp_path, name, img, **save_args):
    img.save(tmp_path / name, **save_args)
    return mnistify(read_grayscale(tmp_path / name))


def test_orientation_tag_16_bit_levels_and_ink_in_alpha_are_read_as_a_person_sees_them(tmp_path):
    page = digit_page(load_sample().test_images[0])
    upright = _saved_as(tmp_path, "upright.png", Image.fromarray(page))
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display": the pixels are stored turned left
    turned = Image.fromarray(page).transpose(Image.Transpose.ROTATE_90)
    np.testing.assert_array_equal(_saved_as(tmp_path, "phone.png", turned, exif=exif), upright)
    sixteen = Image.fromarray(page.astype(np.uint16) * 257)  # mode I;16, the same levels
    np.testing.assert_array_equal(_saved_as(tmp_path, "16bit.png", sixteen), upright)
    rgba = np.zeros((*page.shape, 4), np.uint8)
    rgba[:, :, 3] = 255 - page  # black ink whose shape lives in the alpha channel only
    in_alpha = _saved_as(tmp_path, "alpha.png", Image.fromarray(rgba, "RGBA")).astype(float)
    assert np.corrcoef(in_alpha.ravel(), upright.astype(float).ravel())[0, 1] > 0.99


@pytest.mark.parametrize(
    ("draw", "expected"),
    [
        (lambda d: d.ellipse([95, 95, 101, 101], fill="black"), "the only mark is a speck"),
        (None, "ink covers"),  # a smooth left-to-right gradient
        (lambda d: None, "the image is blank"),
    ],
)
def test_images_without_a_digit_are_reported_not_classified(tmp_path, draw, expected):
    if draw is None:
        img = Image.fromarray(np.tile(np.linspace(255, 0, 200).astype(np.uint8), (200, 1)))
    else:
        img = Image.new("L", (200, 200), "white")
        draw(ImageDraw.Draw(img))
    img.save(tmp_path / "x.png")
    with pytest.raises(ImageError, match=f"no digit found .*{expected}"):
        mnistify(read_grayscale(tmp_path / "x.png"), "x.png")


def test_an_image_too_large_to_open_safely_is_reported_and_the_rest_classified(tiny_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 2000)  # the real limit is 89 million pixels
    Image.new("L", (100, 100), "white").save(tmp_path / "huge.png")  # 10,000 pixels: over twice the limit
    Image.fromarray(np.asarray(Image.fromarray(load_sample().test_images[0]).resize((40, 40)))).save(tmp_path / "d.png")
    with pytest.raises(SystemExit) as info:
        predict([str(tiny_run / "best.npz"), str(tmp_path / "huge.png"), str(tmp_path / "d.png")])
    captured = capsys.readouterr()
    assert info.value.code == 1 and "huge.png: too large to open safely" in captured.err
    assert captured.out.startswith(str(tmp_path / "d.png"))


def _with_meta(tmp_path, run, change):
    with np.load(run / "best.npz") as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(change(meta))
    np.savez(tmp_path / "edited.npz", **arrays)
    return str(tmp_path / "edited.npz")


def _drop_data(meta):
    del meta["data"]
    return json.dumps(meta)


def _two_classes(meta):
    meta["data"]["classes"] = ["cat", "dog"]
    return json.dumps(meta)


def _std_zero(meta):
    meta["data"]["std"] = 0.0
    return json.dumps(meta)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda meta: "[1, 2, 3]", "its 'meta' entry is JSON but not an object"),
        (_drop_data, "its meta data has no 'data' object"),
        (_two_classes, "data.classes must be a list of 10 class names"),
        (_std_zero, "data.std is 0.0: the normalization would divide by zero"),
    ],
)
def test_checkpoints_with_unusable_meta_data_are_refused(tiny_run, tmp_path, change, expected):
    path = _with_meta(tmp_path, tiny_run, change)
    Image.new("L", (50, 50), "white").save(tmp_path / "d.png")
    for tool in (predict, evaluate):
        with pytest.raises(SystemExit) as info:
            tool([path, str(tmp_path / "d.png")] if tool is predict else [path])
        assert str(info.value.code).startswith("error: ") and expected in str(info.value.code)
