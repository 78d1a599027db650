"""Watch the network think: draw a digit in the browser and see every layer of YOUR checkpoint respond.

    python -m tools.explore [CHECKPOINT] [--host 127.0.0.1] [--port 8001]
    nox -s explore -- CHECKPOINT          (default: the newer of runs/stage07/ and runs/stage08/best.npz)

Serves one page on your own machine. Draw on its canvas (mouse, pen or touch) or
upload a PNG or JPEG: the page sends the image here, and this program runs it through
predict's preprocessing (the same function, mnistify) and the network, forward and
backward (explorer_api.py says what each endpoint computes): the feature maps, the
gradients of a chosen class's probability at every layer with the sums behind single
values, saliency, gradient steps that fool the network, and the run's snapshots
replayed (any stage's checkpoint: stage 7 or 8).

Why the standard library's http.server: the explorer serves one person on one
machine, a page and a few JSON endpoints. ThreadingHTTPServer does that with nothing
to install. It answers only the fixed paths below: no request ever names a file to
read. Because any web page the user visits could send requests to 127.0.0.1, every
request is checked before any work: the Host header must name this server (a DNS
rebinding page names its own domain), a POST must say Content-Type: application/json
(which a cross-site form cannot send without the browser asking first), its
Content-Length must be 0 to MAX_BODY, images above MAX_PIXELS are refused from their
header before they are decoded, and an idle or half-sent connection is dropped after
TIMEOUT seconds. Every bad request gets a 4xx with a message, and the server keeps
serving; nothing it sends is NaN (not JSON).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import io
import ipaddress
import json
import re
import sys
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from stage07_full_cnn.checkpoint import stage_of
from tools.explorer_api import BadRequest, Explorer
from tools.loader import builder, load_model_or_exit
from tools.predict import open_grayscale

MAX_BODY = 4 * 1024 * 1024  # 4 MB: a drawn canvas is about 20 KB, a phone photo a few MB
MAX_PIXELS = 16_000_000  # a phone photo has about 12 Mpx; the drawn canvas 78,400 pixels
TIMEOUT = 10.0  # seconds a connection may sit idle or half-sent
PAGE_DIR = Path(__file__).parent / "explorer"
PAGES = {
    "/": ("index.html", "text/html"),
    "/app.js": ("app.js", "text/javascript"),
    "/backward.js": ("backward.js", "text/javascript"),
    "/style.css": ("style.css", "text/css"),
}
ENDPOINTS = {"/api/predict", "/api/backward", "/api/explain", "/api/fool", "/api/replay"}
NOT_FINITE = (
    "the network computed NaN or infinity here: this checkpoint's weights or batch-norm statistics are "
    "damaged (a negative running variance, for one); retrain it or explore another checkpoint"
)


def decode_image(payload):
    """A JSON payload {"image": "data:image/...;base64,..."} -> grayscale (H, W) in [0, 1], as predict reads files."""
    if not isinstance(payload, dict) or not isinstance(payload.get("image"), str):
        raise BadRequest(400, 'send a JSON object {"image": "data:image/png;base64,..."}')
    try:
        raw = base64.b64decode(payload["image"].split(",", 1)[-1], validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(400, "the image is not valid base64") from None
    unreadable = (UnidentifiedImageError, OSError, SyntaxError, ValueError)
    try:
        with Image.open(io.BytesIO(raw)) as img:  # reads the header only
            kind, (width, height) = img.format, img.size
    except Image.DecompressionBombError:
        raise BadRequest(413, "the image has too many pixels to open safely; scale it down") from None
    except unreadable:
        raise BadRequest(415, "the data is not a PNG or JPEG image") from None
    if kind not in ("PNG", "JPEG"):  # nor a TIFF of floats, which may hold NaN or infinity
        raise BadRequest(415, f"the image is {kind}; send a PNG or JPEG")
    if width * height > MAX_PIXELS:
        raise BadRequest(413, f"the image has {width}x{height} pixels, above {MAX_PIXELS:,}: scale it down")
    try:
        return open_grayscale(io.BytesIO(raw))  # the same reading as predict's files
    except unreadable:
        raise BadRequest(415, "the data is not a PNG or JPEG image that can be decoded") from None


def read_json(body):
    try:
        return json.loads(body)
    except RecursionError:
        raise BadRequest(400, "the JSON is nested too deeply") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise BadRequest(400, "the body is not valid JSON") from None
    except ValueError:  # Python refuses to read integers of more than 4,300 digits
        raise BadRequest(400, "the JSON holds a number too long to read") from None


def host_is_mine(host, port):
    """True when a Host header names this server: localhost or an IP address, with its port."""
    try:
        parts = urllib.parse.urlsplit("//" + (host or ""))
        name, given = parts.hostname, parts.port
    except ValueError:
        return False
    if given != port or not name:
        return False
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name)  # a rebinding attack names a domain, never a bare address
    except ValueError:
        return False
    return True


def make_handler(explorer, timeout=TIMEOUT):
    class Handler(BaseHTTPRequestHandler):
        server_version = "cnn-explorer"

        def setup(self):
            self.timeout = timeout  # StreamRequestHandler sets it on the socket
            super().setup()

        def handle(self):
            try:
                super().handle()
            except ConnectionError:  # the client left before its answer: nothing to tell anyone
                self.close_connection = True

        def log_message(self, format, *args):  # quiet: one line per request is noise here
            pass

        def send(self, status, body, content_type="application/json"):
            if not isinstance(body, bytes):
                try:
                    body = json.dumps(body, allow_nan=False).encode()
                except ValueError:
                    status, body = 500, json.dumps({"error": NOT_FINITE}).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def refuse(self, status, message):
            self.close_connection = True  # an unread body must not be parsed as a next request
            self.send(status, {"error": message})

        def addressed_to_me(self):
            port = self.server.server_address[1]
            if host_is_mine(self.headers.get("Host"), port):
                return True
            host = str(self.headers.get("Host"))[:100]
            self.refuse(403, f"this server answers requests to 127.0.0.1:{port} or localhost:{port}, not {host}")
            return False

        def do_GET(self):
            if not self.addressed_to_me():
                return
            if self.path in PAGES:
                name, kind = PAGES[self.path]
                return self.send(200, (PAGE_DIR / name).read_bytes(), kind)
            if self.path == "/api/info":
                return self.send(200, explorer.info())
            self.send(404, {"error": f"no such page: {self.path[:100]}"})

        def do_POST(self):
            if not self.addressed_to_me():
                return
            if self.path not in ENDPOINTS:
                return self.refuse(404, f"no such endpoint: {self.path[:100]}")
            if self.headers.get_content_type() != "application/json":
                return self.refuse(415, "send the body as JSON, with Content-Type: application/json")
            length = self.headers.get("Content-Length")
            if length is None:
                return self.refuse(411, "send a Content-Length header")
            if not re.fullmatch(r"[0-9]+", length.strip()):
                return self.refuse(400, f"Content-Length must be a number of bytes, not {length[:30]!r}")
            if len(length.strip()) > 10 or int(length) > MAX_BODY:
                return self.refuse(413, f"the request is {length[:30]} bytes; the limit is {MAX_BODY}")
            try:
                payload = read_json(self.rfile.read(int(length)))
                gray = decode_image(payload)
                answer = getattr(explorer, self.path.removeprefix("/api/"))
                self.send(200, answer(gray) if self.path == "/api/predict" else answer(gray, payload))
            except BadRequest as err:
                self.send(err.status, {"error": str(err)})
            except (ConnectionError, TimeoutError):
                raise
            except Exception:  # a bug: say so, keep serving, and leave its traceback on the console
                traceback.print_exc()
                self.send(500, {"error": "the explorer failed on this request; its console shows why"})

    return Handler


def make_server(checkpoint, host="127.0.0.1", port=8001, timeout=TIMEOUT):
    """The server for `checkpoint` (not yet serving); a bad checkpoint ends the program with its message."""
    model, meta = load_model_or_exit(checkpoint)
    build = builder(checkpoint, stage_of(checkpoint, meta))
    explorer = Explorer(model, meta, lambda: build(meta["config"]), Path(checkpoint).parent)
    return ThreadingHTTPServer((host, port), make_handler(explorer, timeout))


DEFAULT_CHECKPOINTS = (Path("runs/stage07/best.npz"), Path("runs/stage08/best.npz"))


def newest_default():
    """The most recently trained of stage 7's and stage 8's default checkpoints (stage 7's if neither exists)."""
    found = [p for p in DEFAULT_CHECKPOINTS if p.exists()]
    return max(found, key=lambda p: p.stat().st_mtime) if found else DEFAULT_CHECKPOINTS[0]


def port_number(text):
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: use 0 to 65535 (0 picks a free one)")
    return int(text)


def is_loopback(host):
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "checkpoint", type=Path, nargs="?", help="default: the newer of " + " and ".join(map(str, DEFAULT_CHECKPOINTS))
    )
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: this machine only)")
    parser.add_argument(
        "--port", type=port_number, default=8001, help="default 8001 (the docs' `nox -s docs -- serve` uses 8000)"
    )
    args = parser.parse_args(argv)
    args.checkpoint = args.checkpoint or newest_default()
    if not args.checkpoint.exists():
        sys.exit(f"error: {args.checkpoint}: no such checkpoint; train one first: nox -s stage07 -- --epochs 1")
    if not is_loopback(args.host):
        print(
            f"warning: --host {args.host} lets every machine that can reach this one use the explorer, "
            "with no password and no encryption; leave --host out to serve this machine only",
            flush=True,
        )
    try:
        server = make_server(args.checkpoint, args.host, args.port)
    except OSError as err:
        sys.exit(f"error: cannot listen on {args.host}:{args.port} ({err.strerror or err}); try another --port")
    print(f"Exploring {args.checkpoint}: open http://{args.host}:{server.server_port}/  (Ctrl+C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
