"""The regularized CNN: the switches, train/eval behaviour, training, resume, evaluate and predict."""

import numpy as np
import pytest
from PIL import Image

from shared.datasets import load_sample
from stage07_full_cnn.checkpoint import load_checkpoint
from stage07_full_cnn.model import build_cnn
from stage08_regularization.layers import BatchNorm, Dropout
from stage08_regularization.model import build_regularized_cnn
from stage08_regularization.train import main as train
from tools.evaluate import main as evaluate
from tools.predict import main as predict

TINY = ["--dataset", "mnist-sample", "--limit", "640", "--no-progress"]


def test_with_the_switches_off_it_is_stage_7s_network():
    plain = build_regularized_cnn(np.random.default_rng(0), None, batch_norm=False, dropout=0)
    reference = build_cnn(np.random.default_rng(0))
    assert [type(a) for a in plain.layers] == [type(b) for b in reference.layers]
    for name, p in reference.params().items():
        np.testing.assert_array_equal(plain.params()[name], p)


def test_every_layer_respects_the_train_switch():
    model = build_regularized_cnn(np.random.default_rng(0), np.random.default_rng(1), dtype=np.float64)
    assert sum(isinstance(layer, BatchNorm) for layer in model.layers) == 2
    assert sum(isinstance(layer, Dropout) for layer in model.layers) == 1
    x = np.random.default_rng(2).standard_normal((6, 28, 28, 1))
    eval_out = model.forward(x, train=False)
    np.testing.assert_array_equal(model.forward(x, train=False), eval_out)  # deterministic, and it learns nothing
    assert all(layer.cache is None for layer in model.layers)
    a, b = model.forward(x), model.forward(x)  # new dropout masks each time, batch statistics
    assert not np.allclose(a, b) and not np.allclose(a, eval_out)
    single = model.forward(x[:1], train=False)  # inference: an image's output does not depend on its batch
    np.testing.assert_allclose(single, model.forward(x, train=False)[:1], rtol=1e-10)


@pytest.fixture(scope="module")
def run8(tmp_path_factory):
    out = tmp_path_factory.mktemp("run8")
    summary = train([*TINY, "--epochs", "2", "--out", str(out)])
    return out, summary


def test_training_writes_a_checkpoint_with_the_architecture_and_running_statistics(run8):
    out, summary = run8
    ckpt = load_checkpoint(out / "best.npz")
    config = ckpt.meta["config"]
    assert config["batch_norm"] is True and config["dropout"] == 0.5 and config["augment"] is True
    assert config["schedule"] == "cosine"
    assert set(ckpt.buffers) == {"2.running_mean", "2.running_var", "6.running_mean", "6.running_var"}
    assert not np.allclose(ckpt.buffers["2.running_var"], 1.0)  # they were updated
    assert 0.5 < summary["test_acc"] <= 1.0


def test_resume_with_dropout_and_augmentation_is_exact(run8, tmp_path, monkeypatch):
    from stage07_full_cnn import train as base

    out = tmp_path / "r"
    with monkeypatch.context() as m:
        m.setattr(base, "write_metrics", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
        with pytest.raises(KeyboardInterrupt):
            train([*TINY, "--epochs", "2", "--out", str(out)])
    train([*TINY, "--out", str(out), "--resume"])
    resumed, straight = load_checkpoint(out / "last.npz"), load_checkpoint(run8[0] / "last.npz")
    for name, value in straight.params.items():
        np.testing.assert_array_equal(resumed.params[name], value, err_msg=name)
    for name, value in straight.buffers.items():
        np.testing.assert_array_equal(resumed.buffers[name], value, err_msg=name)


def test_the_switches_change_the_network_and_are_refused_on_resume(tmp_path, run8):
    summary = train([*TINY, "--epochs", "1", "--no-batch-norm", "--dropout", "0", "--out", str(tmp_path / "p")])
    ckpt = load_checkpoint(tmp_path / "p" / "best.npz")
    assert ckpt.buffers == {} and len(ckpt.params) == 8 and summary["epoch"] == 1
    with pytest.raises(SystemExit) as info:
        train(["--out", str(run8[0]), "--resume", "--no-augment", "--epochs", "3"])
    assert "drop --augment False" in str(info.value.code)
    with pytest.raises(SystemExit) as info:
        train([*TINY, "--dropout", "1.5", "--out", str(tmp_path / "q")])
    assert "--dropout 1.5: drop a share of at least 0 and below 1" in str(info.value.code)


def test_evaluate_and_predict_work_on_a_stage_8_checkpoint(run8, tmp_path, capsys):
    out, _ = run8
    cm = evaluate([str(out / "best.npz"), "--out", str(tmp_path)])
    assert cm.sum() == 1000
    digit = load_sample().test_images[0]
    Image.fromarray(255 - np.asarray(Image.fromarray(digit).resize((112, 112)))).save(tmp_path / "d.png")
    predict([str(out / "best.npz"), str(tmp_path / "d.png")])
    assert capsys.readouterr().out.count("%") >= 3 + 3  # evaluate's table, then predict's top 3


def test_the_explorer_serves_a_stage_8_checkpoint(run8):
    import base64
    import io
    import json
    import threading
    import urllib.request

    from tools.explore import make_server

    server = make_server(run8[0] / "best.npz", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    buffer = io.BytesIO()
    Image.fromarray(255 - np.asarray(Image.fromarray(load_sample().test_images[2]).resize((140, 140)))).save(
        buffer, format="PNG"
    )
    body = json.dumps({"image": "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()}).encode()
    url = f"http://127.0.0.1:{server.server_port}/api/predict"
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    server.shutdown()
    server.server_close()
    assert np.array(answer["maps"]["pool2"]).shape == (64, 7, 7) and len(answer["probabilities"]) == 10
