import numpy as np
import pytest

from stage06_optimizers.optimizers import Adam
from stage07_full_cnn import checkpoint as ck
from stage07_full_cnn.checkpoint import CheckpointError, load_checkpoint, restore_params, save_checkpoint
from stage07_full_cnn.model import build_cnn
from tools.loader import load_model

DATA = {"dataset_name": "mnist", "source": "test", "mean": 0.13, "std": 0.31, "classes": [str(d) for d in range(10)]}
META = {"epoch": 3, "config": {"lr": 1e-3}, "data": DATA}


def _saved(tmp_path):
    model = build_cnn(np.random.default_rng(0))
    opt = Adam()
    opt.step(model.params(), {k: np.ones_like(v) for k, v in model.params().items()})
    save_checkpoint(tmp_path / "c.npz", model.params(), opt.state_dict(), META)
    return model, opt


def test_round_trip_keeps_weights_optimizer_state_and_meta(tmp_path):
    model, opt = _saved(tmp_path)
    ckpt = load_checkpoint(tmp_path / "c.npz")
    assert ckpt.meta["epoch"] == 3 and ckpt.meta["config"] == {"lr": 1e-3}
    assert ckpt.optimizer["step_count"] == 1 and set(ckpt.optimizer) == set(opt.state_dict())
    other = build_cnn(np.random.default_rng(1))
    restore_params("c.npz", other.params(), ckpt.params)
    for k, v in model.params().items():
        np.testing.assert_array_equal(other.params()[k], v)
    loaded, _ = load_model(tmp_path / "c.npz")
    np.testing.assert_array_equal(loaded.params()["0.W"], model.params()["0.W"])


def test_interrupted_save_leaves_the_old_checkpoint_whole(tmp_path, monkeypatch):
    _saved(tmp_path)
    before = (tmp_path / "c.npz").read_bytes()

    def crash(fh, **arrays):
        fh.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(ck.np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path / "c.npz", {"0.W": np.zeros(1)}, {}, {"epoch": 4})
    assert (tmp_path / "c.npz").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]  # no temporary file left behind


def test_damaged_files_give_clear_errors(tmp_path):
    _saved(tmp_path)
    good = (tmp_path / "c.npz").read_bytes()
    (tmp_path / "trunc.npz").write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match=r"trunc\.npz: not a readable checkpoint"):
        load_checkpoint(tmp_path / "trunc.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(tmp_path / "text.npz")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.npz")
    np.savez(tmp_path / "foreign.npz", w=np.zeros(3))
    with pytest.raises(CheckpointError, match="no 'meta' entry"):
        load_checkpoint(tmp_path / "foreign.npz")


def test_pickled_objects_are_refused(tmp_path):
    # an object array can only be stored with pickle; loading must never unpickle it
    np.savez(tmp_path / "evil.npz", meta=np.array('{"format": "x"}'), payload=np.array([object()], dtype=object))
    with pytest.raises(CheckpointError, match="holds pickled objects, which could run code"):
        load_checkpoint(tmp_path / "evil.npz")


def test_wrong_model_is_named(tmp_path):
    _saved(tmp_path)
    ckpt = load_checkpoint(tmp_path / "c.npz")
    ckpt.params["7.W"] = ckpt.params["7.W"][:10]
    with pytest.raises(
        CheckpointError, match=r"parameter 7\.W is float32\[10, 128\], the model needs float32\[3136, 128\]"
    ):
        restore_params("c.npz", build_cnn(np.random.default_rng(0)).params(), ckpt.params)
    del ckpt.params["0.b"]
    with pytest.raises(CheckpointError, match=r"missing \['0.b'\]"):
        restore_params("c.npz", build_cnn(np.random.default_rng(0)).params(), ckpt.params)
