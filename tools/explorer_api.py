"""What each of the explorer's JSON endpoints computes, from one checkpoint (explore.py serves them).

    info       the classes, the conv1 filters, the snapshots the run saved
    predict    the drawn image prepared as predict prepares a file, and every layer's maps
    backward   for a target class: the gradient of its score (logit, or log p) at each
               layer, saliency (d score / d pixel) and gradient x input, conv1's dW, and which pool-2
               features pushed the target's logit (activation x weight)
    explain    one gradient value as the explicit sum that made it (backward.py)
    fool       gradient steps on the input toward a class, until the answer flips
    replay     the same image through one of the run's snapshots (training over time)

Every number comes from the project's NumPy layers on this one image; none is
computed in the page.
"""

from __future__ import annotations

import numpy as np

from shared.preprocess import to_float
from stage01_fc.functional import softmax
from stage07_full_cnn.checkpoint import stage_of
from stage07_full_cnn.model import to_model_input
from stage07_full_cnn.snapshots import list_snapshots, read_snapshot
from tools.backward import SCORES, backward_pass, dw_sum, dx_sum, logit_contributions, pool_route
from tools.predict import ImageError, mnistify

SHOWN = ("conv1", "pool1", "conv2", "pool2")
MAX_STEPS = 100


class BadRequest(ValueError):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def rounded(a, decimals):
    """An array as nested lists of short decimals (rounded in float64, so JSON shows no float32 noise)."""
    return np.round(np.asarray(a, dtype=np.float64), decimals).tolist()


def significant(a, digits=6):
    """An array rounded to `digits` significant digits of its largest value (gradients span many scales)."""
    a = np.asarray(a, dtype=np.float64)
    finite = np.abs(a[np.isfinite(a)])  # NaN and infinity pass through, and the server refuses to send them
    top = finite.max() if finite.size else 0.0
    decimals = digits - 1 - int(np.floor(np.log10(top))) if top > 0 else digits
    return np.round(a, decimals).tolist()


def integer(payload, key, low, high):
    value = payload.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise BadRequest(400, f'"{key}" must be a whole number from {low} to {high}')
    return value


def number(payload, key, low, high):
    value = payload.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low < value <= high:
        raise BadRequest(400, f'"{key}" must be a number above {low}, at most {high}')
    return float(value)


def layer_indices(model):
    """Indices of the layers shown: the first two convs and pools, and the first fully connected layer."""
    kinds = [type(layer).__name__ for layer in model.layers]
    convs = [i for i, k in enumerate(kinds) if k == "Conv2D"][:2]
    pools = [i for i, k in enumerate(kinds) if k == "MaxPool2D"][:2]
    return dict(zip(SHOWN, (convs[0], pools[0], convs[1], pools[1]))) | {"fc": kinds.index("Linear")}


def channels_first(a):
    return a[0].transpose(2, 0, 1)  # (1, H, W, C) -> (C, H, W)


class Explorer:
    """The model, its run's snapshots, and what the page needs from them."""

    def __init__(self, model, meta, build, snapshot_folder=None):
        self.model, self.meta, self.data = model, meta, meta["data"]
        self.at = layer_indices(model)
        self.snapshots = []  # (label, model) in training order
        for path in list_snapshots(snapshot_folder) if snapshot_folder else []:
            twin = build()
            try:
                label = read_snapshot(path, twin)["snapshot"]
            except (ValueError, KeyError) as err:
                print(f"warning: skipping snapshot {path}: {err}")
                continue
            self.snapshots.append((str(label), twin))

    def info(self):
        conv1 = self.model.layers[self.at["conv1"]].params
        return {
            "classes": list(self.data["classes"]),
            "dataset": self.data.get("dataset_name") or "a dataset it does not name",
            "epoch": self.meta["epoch"],
            "stage": stage_of("the checkpoint", self.meta),  # older files: told apart by their config
            "filters": rounded(conv1["W"][:, 0], 5),  # (32, 5, 5)
            "bias": rounded(conv1["b"], 6),
            "snapshots": [label for label, _ in self.snapshots],
        }

    def prepare(self, gray):
        """Grayscale (H, W) -> (the uint8 28x28 digit, the model's input (1, 28, 28, 1))."""
        try:
            digit = mnistify(gray, "the image")
        except ImageError as err:
            raise BadRequest(422, str(err).removeprefix("the image: ")) from None
        return digit, to_model_input(to_float(digit[None], self.data["mean"], self.data["std"]))

    def normalized(self, u):
        """Pixels u in [0, 1] (28, 28) -> the model's input, as to_float normalizes."""
        x = (u.astype(np.float32) - np.float32(self.data["mean"])) / np.float32(self.data["std"])
        return x[None, :, :, None]

    def predict(self, gray):
        digit, x = self.prepare(gray)
        outputs = forward(self.model, x)
        probs = softmax(outputs[-1].astype(np.float64))[0]
        return {
            "digit": digit.tolist(),  # the 28x28 uint8 image after preprocessing
            "input": rounded(x[0, :, :, 0], 5),  # the same, normalized: what conv1 sees
            "probabilities": rounded(probs, 6),
            "predicted": int(probs.argmax()),
            "maps": {name: rounded(channels_first(outputs[self.at[name]]), 4) for name in SHOWN},
        }

    def target(self, payload):
        return integer(payload, "target", 0, len(self.data["classes"]) - 1)

    def score(self, payload):
        score = payload.get("score", "logit")
        if score not in SCORES:
            raise BadRequest(400, '"score" must be "logit" or "log_p"')
        return score

    def backward(self, gray, payload):
        digit, x = self.prepare(gray)
        target, score = self.target(payload), self.score(payload)
        net, outputs, grads, dx, probs = backward_pass(self.model, x, target, score)
        saliency = dx[0, :, :, 0] / np.float32(self.data["std"])  # per pixel on the [0, 1] scale
        conv1 = net.layers[self.at["conv1"]].grads
        push, constant = logit_contributions(net, outputs, self.at["fc"], target)
        push = push.reshape(outputs[self.at["pool2"]].shape[1:])  # flatten keeps (h, w, c) order
        return {
            "target": target,
            "score": score,
            "probabilities": rounded(probs, 6),
            "predicted": int(probs.argmax()),
            "saliency": significant(saliency),
            "grad_x_input": significant(saliency * (digit / 255.0)),
            "grads": {name: significant(channels_first(grads[self.at[name]])) for name in SHOWN},
            "dW": significant(conv1["W"][:, 0]),
            "db": significant(conv1["b"]),
            "logits": rounded(outputs[-1][0], 5),
            "push": {
                "channels": significant(push.sum(axis=(0, 1))),  # each pool-2 channel's total push
                "maps": significant(push.transpose(2, 0, 1)),
                "constant": round(constant, 5),  # the biases' share of the logit
            },
        }

    def explain(self, gray, payload):
        _, x = self.prepare(gray)
        net, outputs, grads, dx, _ = backward_pass(self.model, x, self.target(payload), self.score(payload))
        kind = payload.get("kind")
        conv1 = self.at["conv1"]
        if kind == "dW":
            f, p, q = (integer(payload, k, 0, n - 1) for k, n in (("channel", 32), ("row", 5), ("column", 5)))
            terms = dw_sum(x[0], grads[conv1][0], f, 0, p, q, net.layers[conv1].pad)
            value = net.layers[conv1].grads["W"][f, 0, p, q]
        elif kind == "dx":
            y, col = integer(payload, "row", 0, 27), integer(payload, "column", 0, 27)
            layer = net.layers[conv1]
            terms = dx_sum(grads[conv1][0], layer.params["W"], y, col, 0, layer.pad)
            terms["filters"] = terms["products"].sum(axis=(1, 2))
            value = dx[0, y, col, 0]
            terms["std"] = float(self.data["std"])
        elif kind in ("pool1", "pool2"):
            conv, pool = self.at["conv1" if kind == "pool1" else "conv2"], self.at[kind]
            size, (h, w, c) = net.layers[pool].size, outputs[conv].shape[1:]
            i, j, ch = (integer(payload, k, 0, n - 1) for k, n in (("row", h), ("column", w), ("channel", c)))
            terms = pool_route(outputs[conv][0], grads[pool][0], i, j, ch, size)
            value = grads[conv][0, i, j, ch]
        else:
            raise BadRequest(400, '"kind" must be "dW", "dx", "pool1" or "pool2"')
        shown = {k: significant(v) if isinstance(v, np.ndarray) else v for k, v in terms.items()}
        for key in ("upstream", "routed"):
            if key in shown:
                shown[key] = float(shown[key])
        return shown | {"kind": kind, "numpy": float(value)}

    def fool(self, gray, payload):
        """Steps u <- clip(u + step * g / |g|, 0, 1), g = d log p(target) / d u, until the answer is target."""
        digit, _ = self.prepare(gray)
        target = self.target(payload)
        step, most = number(payload, "step", 0, 5), integer(payload, "steps", 1, MAX_STEPS)
        start = u = np.round(digit / 255.0, 4)
        steps, flipped = [], None
        for s in range(most + 1):
            _, _, _, dx, probs = backward_pass(self.model, self.normalized(u), target)
            change = u - start
            l2, most_change = float(np.sqrt(np.square(change).sum())), float(np.abs(change).max())
            shown = {"image": u.tolist(), "probabilities": rounded(probs, 6), "predicted": int(probs.argmax())}
            steps.append(shown | {"l2": l2, "max_change": most_change})
            if probs.argmax() == target:
                flipped = s
                break
            g = dx[0, :, :, 0].astype(np.float64) / self.data["std"]
            norm = np.sqrt(np.square(g).sum())
            if norm == 0:  # no pixel moves p(target): nothing more to try
                break
            u = np.round(np.clip(u + step * g / norm, 0.0, 1.0), 4)  # pixels keep 4 decimals: replayable
        return {"target": target, "step": step, "flipped_at": flipped, "steps": steps}

    def replay(self, gray, payload):
        if not self.snapshots:
            raise BadRequest(404, "this run saved no snapshots (train it again to get them)")
        label, model = self.snapshots[integer(payload, "index", 0, len(self.snapshots) - 1)]
        _, x = self.prepare(gray)
        outputs = forward(model, x)
        probs = softmax(outputs[-1].astype(np.float64))[0]
        conv1 = self.at["conv1"]
        return {
            "label": label,
            "probabilities": rounded(probs, 6),
            "predicted": int(probs.argmax()),
            "filters": rounded(model.layers[conv1].params["W"][:, 0], 5),
            "maps": {"conv1": rounded(channels_first(outputs[conv1]), 4)},
        }


def forward(model, x):
    """The network's forward pass on one prepared image, keeping every layer's output."""
    outputs = []
    for layer in model.layers:
        x = layer.forward(x, train=False)
        outputs.append(x)
    return outputs
