"""The explorer's backward-pass numbers against NumPy, on a stage 7 and a stage 8 checkpoint.

Two independent references: the model's own Sequential.forward/backward (stage 7,
whose training-mode forward IS its inference), and central finite differences of the
score (the logit z(target), or log p(target)) in float64 (both stages: batch norm's inference form has no backward
of its own in the project, so the derivative itself is the reference).
"""

import base64
import io

import numpy as np
import pytest
from PIL import Image

from shared.datasets import load_sample
from shared.preprocess import to_float
from stage01_fc.functional import softmax
from stage07_full_cnn.checkpoint import load_checkpoint
from stage07_full_cnn.model import to_model_input
from stage07_full_cnn.snapshots import list_snapshots, read_snapshot
from tools.backward import backward_pass
from tools.loader import load_model
from tools.predict import mnistify, to_grayscale
from tools.tests.explore_client import page_of, png_data_url, request, serving

TARGET = 3


@pytest.fixture(scope="module", params=["tiny_run", "tiny_run8"])
def run(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def server(run):
    with serving(run / "best.npz") as address:
        yield address


@pytest.fixture(scope="module")
def image():
    return png_data_url(page_of(load_sample().test_images[3]))


@pytest.fixture(scope="module", params=["logit", "log_p"])
def score(request):
    return request.param


@pytest.fixture(scope="module")
def answer(server, image, score):
    status, answer = request(server + "/api/backward", {"image": image, "target": TARGET, "score": score})
    assert status == 200
    return answer


class Reference:
    """The checkpoint's network in float64, run layer by layer at inference, for finite differences."""

    def __init__(self, run, image, score):
        self.score = score
        self.model, meta = load_model(run / "best.npz")
        for layer in self.model.layers:
            for store in (layer.params, layer.buffers):
                for k in store:
                    store[k] = store[k].astype(np.float64)
        self.std = meta["data"]["std"]
        self.digit = digit_of(image)
        self.x = to_model_input(to_float(self.digit[None], meta["data"]["mean"], self.std)).astype(np.float64)
        self.outputs = [self.x]
        for layer in self.model.layers:
            self.outputs.append(layer.forward(self.outputs[-1], train=False))

    def log_p(self, start, a):
        """The score of TARGET (its logit, or log p) when the output of layer start - 1 (0: the input) is a."""
        for layer in self.model.layers[start:]:
            a = layer.forward(a, train=False)
        return float(a[0, TARGET] if self.score == "logit" else np.log(softmax(a)[0, TARGET]))

    def derivative(self, start, index, h=1e-5):
        a = self.outputs[start].copy()
        a[index] += h
        up = self.log_p(start, a)
        a[index] -= 2 * h
        return (up - self.log_p(start, a)) / (2 * h)


def digit_of(data_url):
    """The 28x28 digit predict's preprocessing makes of a data URL's image."""
    with Image.open(io.BytesIO(base64.b64decode(data_url.split(",", 1)[1]))) as img:
        return mnistify(to_grayscale(img))


@pytest.fixture(scope="module")
def ref(run, image, score):
    return Reference(run, image, score)


def layer_at(model, kind, nth):
    return [i for i, layer in enumerate(model.layers) if type(layer).__name__ == kind][nth]


def untied(ref, conv, i, j, c):
    """True when conv output (i, j, c)'s 2x2 pool window has a single maximum (a tie halves a finite difference)."""
    w = ref.outputs[conv + 1][0, i // 2 * 2 : i // 2 * 2 + 2, j // 2 * 2 : j // 2 * 2 + 2, c]
    return (w == w.max()).sum() == 1


def pixel_untied(ref, conv, y, x):
    """True when no conv1 output that input pixel (y, x) reaches sits in a tied pool window."""
    rows, cols = range(max(y - 2, 0), min(y + 3, 28)), range(max(x - 2, 0), min(x + 3, 28))
    return all(untied(ref, conv, i, j, c) for i in rows for j in cols for c in range(32))


def check(shown, exact, scale):
    assert abs(shown - exact) <= 2e-3 * scale + 1e-7, (shown, exact, scale)


def test_every_layers_gradient_is_the_derivative_of_the_score(answer, ref):
    model = ref.model
    at = {"conv1": layer_at(model, "Conv2D", 0), "pool1": layer_at(model, "MaxPool2D", 0),
          "conv2": layer_at(model, "Conv2D", 1), "pool2": layer_at(model, "MaxPool2D", 1)}  # fmt: skip
    for name, i in at.items():
        grad = np.array(answer["grads"][name])  # (C, H, W)
        scale = np.abs(grad).max()
        assert scale > 0
        order = np.argsort(-np.abs(grad), axis=None)[:40]  # the largest values, and some of the rest
        picks = [np.unravel_index(k, grad.shape) for k in order[:6]] + [(5, 3, 4), (1, 6, 2)]
        tested = 0
        for c, y, x in picks:
            if name.startswith("conv") and not untied(ref, i, y, x, c):
                continue
            check(grad[c, y, x], ref.derivative(i + 1, (0, y, x, c)), scale)
            tested += 1
        assert tested >= 4
    saliency = np.array(answer["saliency"])
    pixels = [np.unravel_index(k, (28, 28)) for k in np.argsort(-np.abs(saliency), axis=None)[:60]]
    pixels = [(y, x) for y, x in pixels if pixel_untied(ref, at["conv1"], y, x)][:5]
    assert len(pixels) >= 3
    for y, x in pixels:
        check(saliency[y, x], ref.derivative(0, (0, y, x, 0)) / ref.std, np.abs(saliency).max())
    np.testing.assert_allclose(answer["grad_x_input"], saliency * ref.digit / 255.0, atol=1e-5 * np.abs(saliency).max())


def test_conv1s_weight_gradient_is_the_derivative_of_the_score(answer, ref):
    dW = np.array(answer["dW"])
    W = ref.model.layers[0].params["W"]
    for f, p, q in [np.unravel_index(k, dW.shape) for k in np.argsort(-np.abs(dW), axis=None)[:4]] + [(7, 0, 4)]:
        h, saved = 1e-5, W[f, 0, p, q]
        W[f, 0, p, q] = saved + h
        up = ref.log_p(0, ref.x)
        W[f, 0, p, q] = saved - h
        down = ref.log_p(0, ref.x)
        W[f, 0, p, q] = saved
        check(dW[f, p, q], (up - down) / (2 * h), np.abs(dW).max())


def test_stage7s_numbers_equal_its_own_backward_exactly(tiny_run, image):
    with serving(tiny_run / "best.npz") as address:
        answer = request(address + "/api/backward", {"image": image, "target": TARGET, "score": "log_p"})[1]
    model, meta = load_model(tiny_run / "best.npz")
    model.layers[0].need_dx = True
    x = to_model_input(to_float(digit_of(image)[None], meta["data"]["mean"], meta["data"]["std"]))
    logits = model.forward(x, train=True)
    dx = model.backward(np.eye(10, dtype=np.float32)[[TARGET]] - softmax(logits))
    conv1 = model.layers[0].grads
    saliency = dx[0, :, :, 0] / np.float32(meta["data"]["std"])
    for shown, exact in ((answer["saliency"], saliency), (answer["dW"], conv1["W"][:, 0]), (answer["db"], conv1["b"])):
        np.testing.assert_allclose(shown, exact, rtol=0, atol=1e-5 * np.abs(exact).max())


def test_the_pushes_of_the_pool2_features_add_up_to_the_logit(answer, ref):
    model, k = ref.model, TARGET
    fc = layer_at(model, "Linear", 0)
    features = ref.outputs[fc][0]  # what the first fully connected layer reads, (3136,)
    hidden = ref.outputs[fc + 1][0]  # before its ReLU
    W1, W2 = model.layers[fc].params["W"], model.layers[-1].params["W"]
    paths = W1 @ ((hidden > 0) * W2[:, k])  # each feature's weight to logit k through the active units
    push = (features * paths).reshape(7, 7, 64)
    shown = answer["push"]
    np.testing.assert_allclose(
        shown["channels"], push.sum(axis=(0, 1)), atol=1e-4 * np.abs(push).sum(axis=(0, 1)).max()
    )
    np.testing.assert_allclose(shown["maps"], push.transpose(2, 0, 1), atol=1e-4 * np.abs(push).max())
    np.testing.assert_allclose(answer["logits"], ref.outputs[-1][0], atol=1e-4)
    assert abs(sum(shown["channels"]) + shown["constant"] - ref.outputs[-1][0, k]) < 1e-3


def explain(server, image, score, **what):
    status, answer = request(server + "/api/explain", {"image": image, "target": TARGET, "score": score, **what})
    assert status == 200, answer
    return answer


def test_a_clicked_gradient_is_the_sum_shown(server, image, answer, ref):
    W = ref.model.layers[0].params["W"]
    dconv1 = np.array(answer["grads"]["conv1"])  # (32, 28, 28)
    f, p, q = np.unravel_index(np.abs(answer["dW"]).argmax(), (32, 5, 5))
    terms = explain(server, image, answer["score"], kind="dW", channel=int(f), row=int(p), column=int(q))
    np.testing.assert_allclose(terms["dout"], dconv1[f], atol=1e-5 * np.abs(dconv1[f]).max())
    np.testing.assert_allclose(terms["input"], np.pad(ref.x[0, :, :, 0], 2)[p : p + 28, q : q + 28], atol=1e-4)
    assert abs(np.sum(terms["products"]) - terms["numpy"]) < 1e-3 * np.abs(terms["products"]).sum()
    assert abs(terms["numpy"] - answer["dW"][f][p][q]) < 5e-6 * np.abs(answer["dW"]).max()

    y, x = np.unravel_index(np.abs(answer["saliency"]).argmax(), (28, 28))
    terms = explain(server, image, answer["score"], kind="dx", row=int(y), column=int(x))
    block = np.pad(dconv1, ((0, 0), (2, 2), (2, 2)))[:, y : y + 5, x : x + 5]  # output pixels y-2..y+2, x-2..x+2
    np.testing.assert_allclose(terms["dout"], block, atol=1e-5 * np.abs(block).max())
    np.testing.assert_allclose(terms["kernel"], W[:, 0, ::-1, ::-1], atol=1e-5)
    assert abs(np.sum(terms["products"]) - terms["numpy"]) < 1e-3 * np.abs(terms["products"]).sum()
    assert abs(terms["numpy"] / terms["std"] - answer["saliency"][y][x]) < 1e-5 * np.abs(answer["saliency"]).max()


def test_a_tied_pool_window_routes_its_gradient_to_the_first_maximum(server, image, answer, ref, run):
    model, _ = load_model(run / "best.npz")  # float32, as the server computes
    conv1 = model.layers[0].forward(ref.x.astype(np.float32), train=False)[0]  # the background ties windows
    tied = [(i, j, c) for i in range(0, 28, 2) for j in range(0, 28, 2) for c in range(32)
            if np.all(conv1[i : i + 2, j : j + 2, c] == conv1[i, j, c])]  # fmt: skip
    i, j, c = max(tied, key=lambda t: abs(answer["grads"]["pool1"][t[2]][t[0] // 2][t[1] // 2]))
    upstream = answer["grads"]["pool1"][c][i // 2][j // 2]
    assert upstream != 0
    for di, dj in ((0, 0), (0, 1), (1, 1)):
        route = explain(server, image, answer["score"], kind="pool1", row=i + di, column=j + dj, channel=c)
        assert route["tied"] == [0, 1, 2, 3] and route["winner"] == 0
        assert route["routed"] == pytest.approx(upstream if (di, dj) == (0, 0) else 0, rel=1e-5)
        assert route["numpy"] == pytest.approx(route["routed"], rel=1e-5)
        assert route["numpy"] == pytest.approx(answer["grads"]["conv1"][c][i + di][j + dj], rel=1e-5)


def test_fooling_steps_replay_and_flip_the_answer(server, image, run):
    digit = digit_of(image)
    goal = (request(server + "/api/predict", {"image": image})[1]["predicted"] + 1) % 10
    status, fooled = request(server + "/api/fool", {"image": image, "target": goal, "step": 0.3, "steps": 80})
    assert status == 200 and fooled["flipped_at"] is not None
    steps = fooled["steps"]
    model, meta = load_model(run / "best.npz")
    start = np.array(steps[0]["image"])
    np.testing.assert_allclose(start, np.round(digit / 255.0, 4))
    for n, step in enumerate(steps):
        u = np.array(step["image"])
        assert u.min() >= 0 and u.max() <= 1
        x = ((u.astype(np.float32) - np.float32(meta["data"]["mean"])) / np.float32(meta["data"]["std"]))[
            None, :, :, None
        ]
        probs = softmax(model.predict(x).astype(np.float64))[0]
        np.testing.assert_allclose(step["probabilities"], probs, atol=1e-5)
        assert step["predicted"] == probs.argmax() and (step["predicted"] == goal) == (n == fooled["flipped_at"])
        assert step["l2"] == pytest.approx(np.sqrt(np.square(u - start).sum()), abs=1e-9)
        assert step["max_change"] == pytest.approx(np.abs(u - start).max(), abs=1e-9)
    x0 = ((start.astype(np.float32) - np.float32(meta["data"]["mean"])) / np.float32(meta["data"]["std"]))[
        None, :, :, None
    ]
    g = backward_pass(model, x0, goal)[3][0, :, :, 0].astype(np.float64)  # checked against NumPy above
    first = np.round(np.clip(start + 0.3 * g / np.sqrt(np.square(g).sum()), 0, 1), 4)
    np.testing.assert_allclose(steps[1]["image"], first, atol=1.5e-4)


def test_replaying_a_snapshot_runs_the_image_through_its_weights(server, image, run):
    info = request(server + "/api/info")[1]
    paths = list_snapshots(run)
    assert info["snapshots"][0] == "before training" and info["snapshots"][-1] == "after epoch 2"
    assert len(info["snapshots"]) == len(paths)
    model, meta = load_model(run / "best.npz")
    x = to_model_input(to_float(digit_of(image)[None], meta["data"]["mean"], meta["data"]["std"]))
    for index in (0, len(paths) - 1):
        status, shown = request(server + "/api/replay", {"image": image, "index": index})
        assert status == 200 and shown["label"] == info["snapshots"][index]
        read_snapshot(paths[index], model)
        np.testing.assert_allclose(shown["probabilities"], softmax(model.predict(x).astype(np.float64))[0], atol=1e-5)
        np.testing.assert_allclose(shown["filters"], model.layers[0].params["W"][:, 0], atol=1e-5)
    last = load_checkpoint(run / "last.npz").params["0.W"]
    np.testing.assert_array_equal(load_checkpoint(paths[-1]).params["0.W"], last.astype(np.float16))


@pytest.mark.parametrize(
    ("endpoint", "extra", "message"),
    [("backward", {}, '"target" must be a whole number from 0 to 9'),
     ("backward", {"target": 10}, '"target"'), ("backward", {"target": True}, '"target"'),
     ("backward", {"target": 1, "score": "p"}, '"score" must be "logit" or "log_p"'),
     ("explain", {"target": 1, "kind": "dz"}, '"kind" must be'),
     ("explain", {"target": 1, "kind": "dW", "channel": 32, "row": 0, "column": 0}, '"channel"'),
     ("explain", {"target": 1, "kind": "pool2", "channel": 0, "row": 14, "column": 0}, '"row"'),
     ("fool", {"target": 1, "step": float("nan"), "steps": 5}, '"step" must be a number'),
     ("fool", {"target": 1, "step": 0.5, "steps": 1000}, '"steps"'),
     ("replay", {"index": 99}, '"index"')],
)  # fmt: skip
def test_bad_choices_get_a_400_that_names_them(server, image, endpoint, extra, message):
    status, answer = request(server + f"/api/{endpoint}", {"image": image, **extra})
    assert status == 400 and message in answer["error"]
