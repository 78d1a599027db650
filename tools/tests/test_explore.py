"""The explorer's server: a good digit, every bad payload, concurrent requests, the fixed paths."""

import base64
import http.client
import io
import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from shared.datasets import load_sample
from shared.preprocess import to_float
from stage07_full_cnn.model import to_model_input
from tools.explore import MAX_BODY, main, make_server
from tools.loader import load_model
from tools.predict import mnistify, read_grayscale


@pytest.fixture(scope="module")
def server(tiny_run):
    srv = make_server(tiny_run / "best.npz", port=0)  # port 0: any free port
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    srv.server_close()


def request(url, body=None, headers=None):
    """(status, decoded JSON or bytes) of a GET, or of a POST when body is given."""
    req = urllib.request.Request(url, data=body, headers=headers or {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, data = response.status, response.read()
    except urllib.error.HTTPError as err:
        status, data = err.code, err.read()
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data


def png_data_url(array):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def page_of(digit):
    """A sample digit drawn dark on a white 280x280 canvas, as the page sends it."""
    return 255 - np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR))


def test_a_digit_gets_the_same_answer_as_the_numpy_forward_pass(server, tiny_run, tmp_path):
    digit = load_sample().test_images[3]
    status, answer = request(server + "/api/predict", json.dumps({"image": png_data_url(page_of(digit))}).encode())
    assert status == 200
    Image.fromarray(page_of(digit)).save(tmp_path / "d.png")  # the same image through predict's path
    prepared = mnistify(read_grayscale(tmp_path / "d.png"))
    np.testing.assert_array_equal(answer["digit"], prepared)
    model, meta = load_model(tiny_run / "best.npz")
    x = to_model_input(to_float(prepared[None], meta["data"]["mean"], meta["data"]["std"]))
    conv1 = model.layers[0].forward(x, train=False)[0]
    np.testing.assert_allclose(np.array(answer["maps"]["conv1"]).transpose(1, 2, 0), conv1, atol=1e-4)
    assert answer["predicted"] == int(model.predict(x).argmax())
    assert len(answer["probabilities"]) == 10 and abs(sum(answer["probabilities"]) - 1) < 1e-4
    shapes = {name: np.array(m).shape for name, m in answer["maps"].items()}
    assert shapes == {"conv1": (32, 28, 28), "pool1": (32, 14, 14), "conv2": (64, 14, 14), "pool2": (64, 7, 7)}


def test_the_page_and_info(server):
    status, page = request(server + "/")
    assert status == 200 and b'<canvas id="canvas"' in page
    assert request(server + "/app.js")[0] == 200 and request(server + "/style.css")[0] == 200
    status, info = request(server + "/api/info")
    assert status == 200 and info["classes"] == [str(d) for d in range(10)]
    assert np.array(info["filters"]).shape == (32, 5, 5) and len(info["bias"]) == 32


def blank():
    return png_data_url(np.full((50, 50), 255, np.uint8))


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "send a JSON object"),
        (json.dumps({"picture": "x"}).encode(), 400, "send a JSON object"),
        (json.dumps({"image": "data:image/png;base64,%%%"}).encode(), 400, "not valid base64"),
        (json.dumps({"image": base64.b64encode(b"hello, not an image").decode()}).encode(), 415, "not a PNG or JPEG"),
        (None, 422, "no digit found"),  # a blank canvas
    ],
)
def test_bad_payloads_get_a_4xx_with_a_message_and_the_server_keeps_serving(server, body, status, message):
    body = body if body is not None else json.dumps({"image": blank()}).encode()
    got, answer = request(server + "/api/predict", body)
    assert got == status and message in answer["error"]
    assert request(server + "/api/info")[0] == 200


def raw(server, method, path, headers=None, body=None):
    """A request sent as written (no client-side path cleaning): (status, JSON)."""
    connection = http.client.HTTPConnection(server.removeprefix("http://"), timeout=30)
    connection.putrequest(method, path, skip_accept_encoding=True)
    for key, value in (headers or {}).items():
        connection.putheader(key, value)
    connection.endheaders(body)
    response = connection.getresponse()
    status, data = response.status, json.loads(response.read())
    connection.close()
    return status, data


def test_too_large_unknown_paths_and_file_names_are_refused(server):
    status, answer = raw(server, "POST", "/api/predict", {"Content-Length": str(MAX_BODY + 1)})  # body never sent
    assert status == 413 and "limit" in answer["error"]
    assert raw(server, "POST", "/api/predict", {"Content-Length": "lots"})[0] == 411
    for path in ("/../../etc/passwd", "/explore.py", "/%2e%2e/checkpoint.py", "/api/predict", "//etc/passwd"):
        assert raw(server, "GET", path)[0] == 404
    assert raw(server, "POST", "/api/elsewhere", {"Content-Length": "2"}, b"{}")[0] == 404
    assert request(server + "/api/info")[0] == 200


def test_concurrent_requests_all_get_their_own_answer(server):
    digits = load_sample().test_images[:8]
    bodies = [json.dumps({"image": png_data_url(page_of(d))}).encode() for d in digits]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda b: request(server + "/api/predict", b), bodies * 2))
    assert all(status == 200 for status, _ in answers)
    for (_, a), (_, b) in zip(answers[:8], answers[8:]):
        assert a["predicted"] == b["predicted"] and a["digit"] == b["digit"]


def test_a_bad_or_missing_checkpoint_stops_it_at_startup(tmp_path):
    (tmp_path / "x.npz").write_bytes(b"junk")
    with pytest.raises(SystemExit, match="not a readable checkpoint"):
        main([str(tmp_path / "x.npz"), "--port", "0"])
    with pytest.raises(SystemExit, match="no such checkpoint; train one first: nox -s stage07"):
        main([str(tmp_path / "missing.npz"), "--port", "0"])
