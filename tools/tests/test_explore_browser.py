"""The explorer in a real browser (Debian's chromium via Playwright; run by `nox -s browser`).

It traces a digit of the embedded sample on the canvas, stroke by stroke, checks what
the page shows against the NumPy forward pass, opens the dot product of one conv1
value, then uses every backward-pass panel, and saves the screenshots the docs use
(runs/explorer/explorer.png and explorer-backward.png; `nox -s figures` runs it on the
checkpoint it trains, named by $EXPLORER_CHECKPOINT, and copies them into
docs/results/explorer/).
"""

import base64
import io
import os
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shared.datasets import load_sample
from shared.preprocess import to_float
from stage07_full_cnn.model import to_model_input
from tools.explore import make_server
from tools.loader import load_model
from tools.predict import mnistify, to_grayscale

pytestmark = pytest.mark.browser
SCREENSHOT = Path("runs/explorer/explorer.png")


@pytest.fixture(scope="module")
def checkpoint(tiny_run):
    return Path(os.environ.get("EXPLORER_CHECKPOINT", tiny_run / "best.npz"))


@pytest.fixture(scope="module")
def address(checkpoint):
    server = make_server(checkpoint, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def strokes(digit, scale=10):
    """The digit's ink as horizontal strokes, one per run of dark pixels in a row (canvas coordinates)."""
    for row in range(28):
        ink = np.flatnonzero(digit[row] > 100)
        if ink.size == 0:
            continue
        starts = np.concatenate([[ink[0]], ink[1:][np.diff(ink) > 1]])
        ends = np.concatenate([ink[:-1][np.diff(ink) > 1], [ink[-1]]])
        for a, b in zip(starts, ends):
            yield (a * scale + scale / 2, row * scale + scale / 2), (b * scale + scale / 2, row * scale + scale / 2)


def numpy_forward(checkpoint, data_url):
    """What the network computes for the canvas image, outside the browser."""
    with Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))) as img:
        digit = mnistify(to_grayscale(img))
    model, meta = load_model(checkpoint)
    x = to_model_input(to_float(digit[None], meta["data"]["mean"], meta["data"]["std"]))
    return model.predict(x)[0], model.layers[0].forward(x, train=False)[0]


def test_draw_a_digit_and_open_a_dot_product(browser, address, checkpoint):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(address)
    page.wait_for_selector("#filters canvas")
    box = page.locator("#canvas").bounding_box()
    sample = load_sample()
    digit, label = sample.test_images[0], sample.test_labels[0]
    for (x0, y0), (x1, y1) in strokes(digit):
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        page.mouse.move(box["x"] + x1, box["y"] + y1, steps=3)
        page.mouse.up()
    page.wait_for_function("() => !window.explorer.busy()")
    page.wait_for_function("() => document.querySelectorAll('#maps-pool2 canvas').length === 64")

    logits, conv1 = numpy_forward(checkpoint, page.evaluate("document.getElementById('canvas').toDataURL('image/png')"))
    predicted = str(int(logits.argmax()))
    assert page.inner_text("#prediction") == predicted
    assert page.locator("#bars .bar-row").count() == 10
    assert page.locator("#bars .bar-row.top .label").inner_text() == predicted
    counts = {name: page.locator(f"#maps-{name} canvas").count() for name in ("conv1", "pool1", "conv2", "pool2")}
    assert counts == {"conv1": 32, "pool1": 32, "conv2": 64, "pool2": 64}
    colours = page.evaluate(
        """() => [...document.querySelectorAll('#maps canvas')].map(c => {
               const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
               return new Set(d).size; })"""
    )
    assert sum(n > 2 for n in colours) > 150  # the maps are drawn, not blank

    target = page.locator("#maps-conv1 canvas").nth(5)
    map_box = target.bounding_box()
    target.click(position={"x": map_box["width"] * 14.5 / 28, "y": map_box["height"] * 12.5 / 28})
    page.wait_for_selector("#dot:not([hidden])")
    i, j, f = (int(page.get_attribute("#dot", f"data-{k}")) for k in ("row", "column", "channel"))
    assert (i, j, f) == (12, 14, 5)
    assert page.locator("#dot-window td").count() == 25 and page.locator("#dot-products td").count() == 25
    shown = float(page.inner_text("#dot-total"))
    assert abs(shown - conv1[i, j, f]) < 1e-3 and abs(float(page.inner_text("#dot-numpy")) - conv1[i, j, f]) < 1e-3

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    print(f"drew sample test digit 0 (a {label}) as strokes; the page predicted {predicted}; saved {SCREENSHOT}")
    page.close()


def draw(page, digit, scale=10):
    box = page.locator("#canvas").bounding_box()
    for (x0, y0), (x1, y1) in strokes(digit, scale):
        page.mouse.move(box["x"] + x0, box["y"] + y0)
        page.mouse.down()
        page.mouse.move(box["x"] + x1, box["y"] + y1, steps=3)
        page.mouse.up()
    page.wait_for_function("() => !window.explorer.busy()")


def settle(page):
    page.wait_for_timeout(50)
    page.wait_for_function("() => !window.explorer.busy()")


def test_the_backward_pass_panels(browser, address, checkpoint):
    """Draw; the gradients for the predicted class, then for another; click a saliency pixel, a dW entry and a
    conv1 gradient (each sum equals NumPy's value); fool it; move the time slider."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(address)
    page.wait_for_selector("#filters canvas")
    draw(page, load_sample().test_images[0])
    page.wait_for_function("() => document.querySelectorAll('#grads-pool2 canvas').length === 64")
    predicted = page.inner_text("#prediction")
    assert page.inner_text("#targets button.chosen") == predicted
    assert page.locator("#dW canvas").count() == 32 and page.locator("#push-bars .bar-row").count() == 8

    other = str((int(predicted) + 1) % 10)
    page.click(f"#targets button[data-class='{other}']")
    settle(page)
    assert page.inner_text("#targets button.chosen") == other and f"p({other})" in page.inner_text("#grad-title")
    assert "d z / d pixel" in page.inner_text("#grad-title")
    page.check("input[name=score][value=log_p]")
    settle(page)
    assert "d log p / d pixel" in page.inner_text("#grad-title")
    sums = page.inner_text("#push-sum")
    assert "the biases" in sums and "NumPy's logit" in sums
    total, logit = (float(page.get_attribute("#push-sum", f"data-{k}")) for k in ("total", "logit"))
    assert abs(total - logit) < 2e-3  # the pushes and the biases add up to the logit

    for target, where in (("#saliency", (14.5, 12.5)), ("#dW canvas >> nth=3", (2.5, 1.5)),
                          ("#grads-conv1 canvas >> nth=5", (14.5, 12.5))):  # fmt: skip
        element = page.locator(target)
        box = element.bounding_box()
        size = 5 if target.startswith("#dW") else 28
        element.click(position={"x": box["width"] * where[0] / size, "y": box["height"] * where[1] / size})
        settle(page)
        shown, numpy = float(page.inner_text("#why-total")), float(page.inner_text("#why-numpy"))
        assert abs(shown - numpy) <= 1e-3 * max(1.0, abs(numpy)), (target, shown, numpy)
    assert page.get_attribute("#why", "data-kind") == "pool1" and page.locator("#why-body td.winner").count() == 1
    logits, conv1 = numpy_forward(checkpoint, page.evaluate("document.getElementById('canvas').toDataURL('image/png')"))
    windows = conv1.reshape(14, 2, 14, 2, 32)
    tied = np.argwhere((windows == windows.max(axis=(1, 3), keepdims=True)).all(axis=(1, 3)))  # (row, column, c)
    i, j, c = tied[len(tied) // 2]  # a window of the background, its four values equal
    element = page.locator(f"#grads-conv1 canvas >> nth={c}")
    box = element.bounding_box()
    element.click(position={"x": box["width"] * (2 * j + 1.5) / 28, "y": box["height"] * (2 * i + 0.5) / 28})
    settle(page)
    assert "4 values tie for the maximum: the FIRST" in page.inner_text("#why-text")
    assert page.locator("#why-body td.tied").count() == 4 and page.inner_text("#why-total") == "0.0000"

    assert page.input_value("#fool-target") == str(np.argsort(logits)[-2])  # the runner-up, until one is picked
    page.select_option("#fool-target", other)
    page.click("#fool-run")
    settle(page)
    result = page.inner_text("#fool-result")
    assert f"It says {other} after" in result and "L2" in result
    page.locator("#fool-slider").fill("0")
    assert page.inner_text("#fool-step").startswith(f"step 0: says {predicted}")
    page.locator("#fool-slider").fill(result.split(" after ")[1].split()[0])  # back to the step that flipped it

    page.locator("#time-slider").fill("0")
    settle(page)
    label = page.inner_text("#time-label")
    assert label.startswith("snapshot 1 of") and "before training" in label
    assert page.locator("#time-filters canvas").count() == 32 and page.locator("#time-maps canvas").count() == 32
    page.locator("#time-slider").fill("2")  # early in the first epoch
    settle(page)
    assert "after" in page.inner_text("#time-label")
    top = page.evaluate("document.getElementById('backward-panel').getBoundingClientRect().top + window.scrollY")
    height = page.evaluate("document.documentElement.scrollHeight")
    clip = {"x": 0, "y": top, "width": 1280, "height": height - top}
    page.screenshot(path=str(SCREENSHOT.with_name("explorer-backward.png")), full_page=True, clip=clip)
    page.close()


def test_phone_width_keeps_the_canvas_usable(browser, address):
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(address)
    page.wait_for_selector("#filters canvas")
    box = page.locator("#canvas").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    draw(page, load_sample().test_images[1], scale=box["width"] / 28)
    page.wait_for_function("() => document.querySelectorAll('#grads-pool2 canvas').length === 64")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # every panel fits: no sideways scrolling
    page.close()
