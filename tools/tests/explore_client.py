"""Helpers for the explorer's tests: a server on a free port, requests as the page sends them, and raw ones."""

import base64
import http.client
import io
import json
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager

import numpy as np
from PIL import Image

from tools.explore import make_server


@contextmanager
def serving(checkpoint, **options):
    """The explorer of `checkpoint` on a free port of 127.0.0.1: yields its address."""
    srv = make_server(checkpoint, port=0, **options)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_port}"
    finally:
        srv.shutdown()
        srv.server_close()


def request(url, body=None, headers=None):
    """(status, decoded JSON or bytes) of a GET, or of a POST when body is given (bytes, or a dict sent as JSON)."""
    if isinstance(body, dict):
        body = json.dumps(body).encode()
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


def raw(server, method, path, headers=None, body=None, timeout=10):
    """A request sent as written (no client-side cleaning; Host as given, or the server's own): (status, JSON)."""
    connection = http.client.HTTPConnection(server.removeprefix("http://"), timeout=timeout)
    headers = dict(headers or {})
    connection.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
    for key, value in headers.items():
        if value is not None:
            connection.putheader(key, value)
    connection.endheaders(body)
    response = connection.getresponse()
    status, data = response.status, json.loads(response.read())
    connection.close()
    return status, data


def png_data_url(array, kind="PNG", **options):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=kind, **options)
    return f"data:image/{kind.lower()};base64," + base64.b64encode(buffer.getvalue()).decode()


def page_of(digit):
    """A sample digit drawn dark on a white 280x280 canvas, as the page sends it."""
    return 255 - np.asarray(Image.fromarray(digit).resize((280, 280), Image.Resampling.BILINEAR))
