"""The explorer's server: a good digit, every bad or hostile request, concurrent requests, the fixed paths."""

import base64
import io
import json
import os
import socket
import struct
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from shared.datasets import load_sample
from shared.preprocess import to_float
from stage07_full_cnn.checkpoint import load_checkpoint, save_checkpoint
from stage07_full_cnn.model import to_model_input
from tools import explore
from tools.explore import MAX_BODY, MAX_PIXELS, main
from tools.loader import load_model
from tools.predict import mnistify, read_grayscale
from tools.tests.explore_client import page_of, png_data_url, raw, request, serving


@pytest.fixture(scope="module")
def server(tiny_run):
    with serving(tiny_run / "best.npz") as address:
        yield address


@pytest.fixture(scope="module")
def impatient(tiny_run):
    """A server that drops a connection after 0.5 s of silence."""
    with serving(tiny_run / "best.npz", timeout=0.5) as address:
        yield address


def digit_body(index=3):
    return {"image": png_data_url(page_of(load_sample().test_images[index]))}


def still_serving(server):
    return request(server + "/api/info")[0] == 200


def test_a_digit_gets_the_same_answer_as_the_numpy_forward_pass(server, tiny_run, tmp_path):
    digit = load_sample().test_images[3]
    status, answer = request(server + "/api/predict", digit_body())
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


def tiff_of(value):
    """A float (mode F) TIFF of a stroke, with one pixel `value` (NaN or infinity)."""
    image = np.zeros((40, 40), np.float32)
    image[10:30, 18:22] = 1.0
    image[0, 0] = value
    buffer = io.BytesIO()
    Image.fromarray(image, mode="F").save(buffer, format="TIFF")
    return "data:image/tiff;base64," + base64.b64encode(buffer.getvalue()).decode()


def big_blank_png():
    side = int(MAX_PIXELS**0.5) + 10  # just above the limit: 16 Mpx of white, 16 KB of PNG
    buffer = io.BytesIO()
    Image.new("L", (side, side), 255).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"[1, 2]", 400, "send a JSON object"),
        (json.dumps({"picture": "x"}).encode(), 400, "send a JSON object"),
        (json.dumps({"image": "data:image/png;base64,%%%"}).encode(), 400, "not valid base64"),
        (json.dumps({"image": base64.b64encode(b"hello, not an image").decode()}).encode(), 415, "not a PNG or JPEG"),
        ("blank", 422, "no digit found"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),  # RecursionError in json.loads
        (b'{"image": "x", "target": ' + b"7" * 5000 + b"}", 400, "number too long"),  # ValueError in int()
        ("nan-tiff", 415, "send a PNG or JPEG"),  # a float image holding NaN
        ("inf-tiff", 415, "send a PNG or JPEG"),
        ("big", 413, "pixels"),  # refused from its header, before 16 Mpx are decoded
    ],
)
def test_bad_payloads_get_a_4xx_with_a_message_and_the_server_keeps_serving(server, body, status, message):
    made = {
        "blank": blank,
        "nan-tiff": lambda: tiff_of(np.nan),
        "inf-tiff": lambda: tiff_of(np.inf),
        "big": big_blank_png,
    }
    if isinstance(body, str):
        body = json.dumps({"image": made[body]()}).encode()
    got, answer = request(server + "/api/predict", body)
    assert (got, message in answer["error"]) == (status, True), answer
    assert still_serving(server)


@pytest.mark.parametrize(
    ("length", "status"),
    [("-1", 400), ("-5", 400), ("+5", 400), ("1e3", 400), ("lots", 400), (None, 411),
     (str(MAX_BODY + 1), 413), ("9" * 30, 413)],
)  # fmt: skip
def test_content_length_must_be_0_to_the_limit(server, length, status):
    headers = {"Content-Type": "application/json", "Content-Length": length}
    got, answer = raw(server, "POST", "/api/predict", headers, timeout=5)  # no body: one must never be awaited
    assert got == status and answer["error"]
    assert still_serving(server)


@pytest.mark.parametrize(
    ("content_type", "status"),
    [(None, 415), ("text/plain", 415), ("application/x-www-form-urlencoded", 415),
     ("multipart/form-data; boundary=x", 415), ("application/json; charset=utf-8", 200)],
)  # fmt: skip
def test_a_post_must_say_it_is_json(server, content_type, status):
    body = json.dumps(digit_body()).encode()
    got, answer = raw(
        server, "POST", "/api/predict", {"Content-Type": content_type, "Content-Length": str(len(body))}, body
    )
    assert got == status and (status == 200 or "application/json" in answer["error"])


@pytest.mark.parametrize(
    ("host", "status"),
    [("evil.example:{port}", 403), ("127.0.0.1.nip.io:{port}", 403), ("localhost", 403), ("127.0.0.1:1", 403),
     ("", 403), ("127.0.0.1:{port}", 200), ("localhost:{port}", 200)],
)  # fmt: skip
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_only_requests_addressed_to_this_server_are_answered(server, host, status, method):
    port = server.rsplit(":", 1)[1]
    body = json.dumps(digit_body()).encode() if method == "POST" else None
    headers = {"Host": host.format(port=port), "Content-Type": "application/json"}
    headers |= {"Content-Length": str(len(body))} if body else {}
    got, answer = raw(server, method, "/api/info" if method == "GET" else "/api/predict", headers, body)
    assert got == status and (status == 200 or "answers requests to 127.0.0.1" in answer["error"])


def test_too_large_unknown_paths_and_file_names_are_refused(server):
    for path in ("/../../etc/passwd", "/explore.py", "/%2e%2e/checkpoint.py", "/api/predict", "//etc/passwd"):
        assert raw(server, "GET", path)[0] == 404
    assert raw(server, "POST", "/api/elsewhere", {"Content-Length": "2"}, b"{}")[0] == 404
    assert still_serving(server)


def test_a_client_that_leaves_early_leaves_no_traceback(server, capfd):
    body = json.dumps(digit_body()).encode()
    host = server.removeprefix("http://")
    head = f"POST /api/predict HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
    for _ in range(3):
        s = socket.create_connection(host.split(":"))
        s.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset
        s.close()
    time.sleep(3)  # the server answers the departed clients meanwhile
    assert still_serving(server)
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err, err


HEAD = "POST /api/predict HTTP/1.1\r\nHost: HOST\r\nContent-Type: application/json\r\n"


@pytest.mark.parametrize(
    "sent", ["", HEAD, HEAD + 'Content-Length: 100\r\n\r\n{"ima']
)  # idle, half a head, half a body
def test_idle_or_half_sent_connections_are_dropped(impatient, sent):
    host, port = impatient.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(sent.replace("HOST", f"{host}:{port}").encode())
        assert s.recv(1000) == b""  # the server hung up after its 0.5 s (this client's 10 s timeout would raise)
    assert still_serving(impatient)


def edited_checkpoint(source, target, edit):
    saved = load_checkpoint(source)
    edit(saved)
    save_checkpoint(target, saved.params, saved.optimizer, saved.meta, saved.buffers)
    return target


def test_a_checkpoint_that_does_not_name_its_dataset_still_explores(tiny_run, tmp_path):
    path = edited_checkpoint(tiny_run / "best.npz", tmp_path / "x.npz", lambda c: c.meta["data"].pop("dataset_name"))
    with serving(path) as address:
        status, info = request(address + "/api/info")
        assert status == 200 and info["dataset"] == "a dataset it does not name"
        assert request(address + "/api/predict", digit_body())[0] == 200


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_nan_from_damaged_batch_norm_statistics_is_never_sent(tiny_run8, tmp_path, monkeypatch):
    def negative_variance(c):
        c.buffers["2.running_var"][0] = -1.0  # finite, but sqrt(-1) is NaN

    path = edited_checkpoint(tiny_run8 / "best.npz", tmp_path / "x.npz", negative_variance)
    with pytest.raises(SystemExit, match="running_var is negative in channel 0"):  # the loader refuses it
        main([str(path), "--port", "0"])
    import tools.explore

    def damaged_after_loading(checkpoint):  # so the explorer's own guard is what this test sees
        model, meta = load_model(checkpoint)
        model.buffers()["2.running_var"][0] = -1.0
        return model, meta

    monkeypatch.setattr(tools.explore, "load_model_or_exit", damaged_after_loading)
    with serving(tiny_run8 / "best.npz") as address:
        for endpoint, extra in (("predict", {}), ("backward", {"target": 3})):
            status, answer = request(address + f"/api/{endpoint}", digit_body() | extra)  # json.loads takes NaN
            assert status == 500 and "NaN or infinity" in answer["error"] and "batch-norm" in answer["error"]
        assert still_serving(address)


def test_a_bad_or_missing_checkpoint_stops_it_at_startup(tmp_path, tiny_run8):
    (tmp_path / "x.npz").write_bytes(b"junk")
    with pytest.raises(SystemExit, match="not a readable checkpoint"):
        main([str(tmp_path / "x.npz"), "--port", "0"])
    with pytest.raises(SystemExit, match="no such checkpoint; train one first: nox -s stage07"):
        main([str(tmp_path / "missing.npz"), "--port", "0"])
    path = edited_checkpoint(
        tiny_run8 / "best.npz", tmp_path / "n.npz", lambda c: c.buffers["2.running_mean"].fill(np.nan)
    )
    with pytest.raises(SystemExit, match="running_mean holds NaN"):
        main([str(path), "--port", "0"])


def test_a_port_out_of_range_is_a_clear_error(tiny_run, capsys):
    with pytest.raises(SystemExit):
        main([str(tiny_run / "best.npz"), "--port", "99999"])
    assert "'99999' is not a port: use 0 to 65535" in capsys.readouterr().err


def test_listening_on_every_interface_prints_a_warning(tiny_run, capsys, monkeypatch):
    def stop(self):
        raise KeyboardInterrupt

    monkeypatch.setattr(explore.ThreadingHTTPServer, "serve_forever", stop)
    main([str(tiny_run / "best.npz"), "--host", "0.0.0.0", "--port", "0"])
    assert "warning: --host 0.0.0.0 lets every machine" in capsys.readouterr().out
    main([str(tiny_run / "best.npz"), "--port", "0"])
    assert "warning" not in capsys.readouterr().out


def test_without_a_checkpoint_it_explores_the_newer_of_stage_7s_and_stage_8s(tiny_run, tiny_run8, tmp_path, capsys,
                                                                               monkeypatch):  # fmt: skip
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(explore.ThreadingHTTPServer, "serve_forever", lambda self: None)
    for n, (stage, run) in enumerate((("stage07", tiny_run), ("stage08", tiny_run8))):
        (tmp_path / "runs" / stage).mkdir(parents=True)
        (tmp_path / "runs" / stage / "best.npz").write_bytes((run / "best.npz").read_bytes())
        os.utime(tmp_path / "runs" / stage / "best.npz", (1e9 + n, 1e9 + n))
        main(["--port", "0"])
        assert f"Exploring runs/{stage}/best.npz" in capsys.readouterr().out


def test_concurrent_requests_all_get_their_own_answer(server):
    bodies = [digit_body(i) for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda b: request(server + "/api/predict", b), bodies * 2))
        grads = list(pool.map(lambda b: request(server + "/api/backward", b | {"target": 1}), bodies[:3] * 2))
    assert all(status == 200 for status, _ in answers + grads)
    for (_, a), (_, b) in zip(answers[:8] + grads[:3], answers[8:] + grads[3:]):
        assert a["predicted"] == b["predicted"] and a.get("saliency") == b.get("saliency")
