"""Watch the network think: draw a digit in the browser and see every layer of YOUR checkpoint respond.

    python -m tools.explore [CHECKPOINT] [--host 127.0.0.1] [--port 8001]
    nox -s explore -- CHECKPOINT          (default: runs/stage07/best.npz)

Serves one page on your own machine. Draw on its canvas (mouse, pen or touch) or
upload a PNG or JPEG: the page sends the image here, and this program runs it through
predict's preprocessing (the same function, mnistify) and the network, and sends back
the 28x28 input, the ten class probabilities and the feature maps after conv1, the
first pool, conv2 and the second pool. Click a value of a conv1 map to see the dot
product that made it: the 5x5 window of the input (one row of stage 4's im2col
matrix), the kernel, their products, and the sum plus the bias.

Why the standard library's http.server: the explorer serves one person on one
machine, a page and one JSON endpoint. ThreadingHTTPServer does that in a few lines
with nothing to install, and its limits (no TLS, no production hardening) do not
matter on 127.0.0.1. It answers only the fixed paths below: no request ever names a
file to read. Request bodies above MAX_BODY bytes are refused before they are read,
and every bad payload gets a 4xx with a message while the server keeps serving.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import io
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from shared.preprocess import to_float
from stage01_fc.functional import softmax
from stage07_full_cnn.model import to_model_input
from tools.loader import load_model_or_exit
from tools.predict import ImageError, mnistify, open_grayscale

MAX_BODY = 4 * 1024 * 1024  # 4 MB: a drawn canvas is about 20 KB, a phone photo a few MB
PAGE_DIR = Path(__file__).parent / "explorer"
PAGES = {
    "/": ("index.html", "text/html"),
    "/app.js": ("app.js", "text/javascript"),
    "/style.css": ("style.css", "text/css"),
}


class BadRequest(ValueError):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def decode_image(payload) -> np.ndarray:
    """A JSON payload {"image": "data:image/...;base64,..."} -> grayscale (H, W) in [0, 1], as predict reads files."""
    if not isinstance(payload, dict) or not isinstance(payload.get("image"), str):
        raise BadRequest(400, 'send a JSON object {"image": "data:image/png;base64,..."}')
    data = payload["image"].split(",", 1)[-1]
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(400, "the image is not valid base64") from None
    try:
        return open_grayscale(io.BytesIO(raw))  # the same reading as predict's files
    except Image.DecompressionBombError:
        raise BadRequest(413, "the image has too many pixels to open safely; scale it down") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BadRequest(415, "the data is not a PNG or JPEG image") from None


def rounded(a, decimals):
    """An array as nested lists of short decimals (rounded in float64, so JSON shows no float32 noise)."""
    return np.round(a.astype(np.float64), decimals).tolist()


def layer_outputs(model, x):
    """The network's forward pass on one prepared image, keeping every layer's output."""
    outputs = []
    for layer in model.layers:
        x = layer.forward(x, train=False)
        outputs.append(x)
    return outputs


def conv_layer_indices(model):
    """Indices of the outputs shown: conv1, pool1, conv2, pool2 (the first two convs and pools)."""
    names = [type(layer).__name__ for layer in model.layers]
    convs = [i for i, n in enumerate(names) if n == "Conv2D"][:2]
    pools = [i for i, n in enumerate(names) if n == "MaxPool2D"][:2]
    return {"conv1": convs[0], "pool1": pools[0], "conv2": convs[1], "pool2": pools[1]}


class Explorer:
    """The model and what the page needs from it."""

    def __init__(self, model, meta):
        self.model, self.meta = model, meta
        self.data = meta["data"]
        self.shown = conv_layer_indices(model)

    def info(self):
        conv1 = self.model.layers[self.shown["conv1"]].params
        return {
            "classes": list(self.data["classes"]),
            "dataset": self.data["dataset_name"],
            "epoch": self.meta["epoch"],
            "filters": rounded(conv1["W"][:, 0], 5),  # (32, 5, 5)
            "bias": rounded(conv1["b"], 6),
        }

    def predict(self, gray):
        try:
            digit = mnistify(gray, "the image")
        except ImageError as err:
            raise BadRequest(422, str(err).removeprefix("the image: ")) from None
        x = to_model_input(to_float(digit[None], self.data["mean"], self.data["std"]))
        outputs = layer_outputs(self.model, x)
        probs = softmax(outputs[-1].astype(np.float64))[0]
        maps = {name: rounded(outputs[i][0].transpose(2, 0, 1), 4) for name, i in self.shown.items()}
        return {
            "digit": digit.tolist(),  # the 28x28 uint8 image after preprocessing
            "input": rounded(x[0, :, :, 0], 5),  # the same, normalized: what conv1 sees
            "probabilities": rounded(probs, 6),
            "predicted": int(probs.argmax()),
            "maps": maps,  # name -> (channels, H, W)
        }


def make_handler(explorer):
    class Handler(BaseHTTPRequestHandler):
        server_version = "cnn-explorer"

        def log_message(self, format, *args):  # quiet: one line per request is noise here
            pass

        def send(self, status, body, content_type="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path in PAGES:
                name, kind = PAGES[self.path]
                return self.send(200, (PAGE_DIR / name).read_bytes(), kind)
            if self.path == "/api/info":
                return self.send(200, explorer.info())
            self.send(404, {"error": f"no such page: {self.path[:100]}"})

        def do_POST(self):
            if self.path != "/api/predict":
                return self.send(404, {"error": f"no such endpoint: {self.path[:100]}"})
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                return self.send(411, {"error": "send a Content-Length header"})
            if length > MAX_BODY:
                self.close_connection = True  # the unread body must not be parsed as a next request
                return self.send(413, {"error": f"the request is {length} bytes; the limit is {MAX_BODY}"})
            try:
                payload = json.loads(self.rfile.read(length))
            except (json.JSONDecodeError, UnicodeDecodeError):
                return self.send(400, {"error": "the body is not valid JSON"})
            try:
                self.send(200, explorer.predict(decode_image(payload)))
            except BadRequest as err:
                self.send(err.status, {"error": str(err)})

    return Handler


def make_server(checkpoint, host="127.0.0.1", port=8001):
    """The server for `checkpoint` (not yet serving); a bad checkpoint ends the program with its message."""
    model, meta = load_model_or_exit(checkpoint)
    return ThreadingHTTPServer((host, port), make_handler(Explorer(model, meta)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkpoint", type=Path, nargs="?", default=Path("runs/stage07/best.npz"))
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: this machine only)")
    parser.add_argument(
        "--port", type=int, default=8001, help="default 8001 (the docs' `nox -s docs -- serve` uses 8000)"
    )
    args = parser.parse_args(argv)
    if not args.checkpoint.exists():
        sys.exit(f"error: {args.checkpoint}: no such checkpoint; train one first: nox -s stage07 -- --epochs 1")
    try:
        server = make_server(args.checkpoint, args.host, args.port)
    except OSError as err:
        sys.exit(f"error: cannot listen on {args.host}:{args.port} ({err.strerror}); try another --port")
    print(f"Exploring {args.checkpoint}: open http://{args.host}:{server.server_port}/  (Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
