import dataclasses

import numpy as np
import pytest

from shared import datasets
from shared.datasets import PARTS, DatasetNotFound, load_dataset, load_default, load_sample
from shared.idx import IDXError, write_idx


def _write_four(folder, n_train=6, n_test=4, gz=True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = [
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_train).astype(np.uint8),
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, n_test).astype(np.uint8),
    ]
    for part, a in zip(PARTS, arrays):
        write_idx(folder / (part + (".gz" if gz else "")), a)
    return arrays


def test_sample_is_real_mnist_split_4000_1000():
    data = load_sample()
    assert data.train_images.shape == (4000, 28, 28) and data.test_images.shape == (1000, 28, 28)
    assert data.train_images.dtype == np.uint8
    # 500 digits of each class across the two splits
    counts = np.bincount(np.concatenate([data.train_labels, data.test_labels]), minlength=10)
    np.testing.assert_array_equal(counts, 500)
    # real digits: dark background, about 19% of pixels lit, like MNIST
    lit = (data.train_images > 127).mean()
    assert 0.1 < lit < 0.3


def test_folder_dataset_raw_and_gz(tmp_path):
    arrays = _write_four(tmp_path / "gz")
    data = load_dataset(str(tmp_path / "gz"))
    np.testing.assert_array_equal(data.train_images, arrays[0])
    np.testing.assert_array_equal(data.test_labels, arrays[3])
    _write_four(tmp_path / "raw", gz=False)
    assert load_dataset(str(tmp_path / "raw")).train_images.shape == (6, 28, 28)


def test_finds_files_in_data_dir_and_torchvision_layout_without_network(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_download", _no_network)
    _write_four(tmp_path / "a" / "mnist")
    assert load_dataset("mnist", data_dir=tmp_path / "a").source == str(tmp_path / "a" / "mnist")
    _write_four(tmp_path / "b" / "MNIST" / "raw", gz=False)
    assert load_dataset("mnist", data_dir=tmp_path / "b").train_images.shape == (6, 28, 28)


def test_environment_variable_names_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_download", _no_network)
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    _write_four(tmp_path / "fashion-mnist")
    data = load_dataset("fashion-mnist")
    assert data.class_names[0] == "T-shirt/top"


def _unreachable_mirror(monkeypatch):
    """Point MNIST's mirrors at a closed local port: a download is tried and fails fast."""
    spec = dataclasses.replace(datasets.SOURCES["mnist"], mirrors=("http://127.0.0.1:9/",))
    monkeypatch.setitem(datasets.SOURCES, "mnist", spec)


def _no_network(name, target):
    raise AssertionError("tried to download although the files are on disk")


def test_offline_and_absent_gives_a_clear_error(tmp_path, monkeypatch):
    _unreachable_mirror(monkeypatch)
    with pytest.raises(DatasetNotFound) as info:
        load_dataset("mnist", data_dir=tmp_path)
    msg = str(info.value)
    for part in PARTS:
        assert part + ".gz" in msg
    assert "--data-dir" in msg and "MNIST/raw" in msg
    assert f"put them in {tmp_path / 'mnist'} (the cache)" in msg


def test_no_download_flag(tmp_path):
    with pytest.raises(DatasetNotFound, match="downloading is switched off"):
        load_dataset("mnist", data_dir=tmp_path, download=False)


def test_default_falls_back_to_the_sample_with_a_banner(tmp_path, monkeypatch):
    _unreachable_mirror(monkeypatch)
    data, banner = load_default(tmp_path)
    assert data.name == "mnist-sample"
    assert "mnist-sample" in banner and "--data-dir" in banner and "127.0.0.1" in banner


def test_default_uses_mnist_when_present(tmp_path):
    _write_four(tmp_path / "mnist")
    data, banner = load_default(tmp_path)
    assert data.name == "mnist" and banner is None


def test_corrupt_file_in_folder_names_the_file(tmp_path):
    _write_four(tmp_path)
    (tmp_path / (PARTS[0] + ".gz")).write_bytes(b"garbage")
    with pytest.raises(IDXError, match=r"train-images-idx3-ubyte\.gz: not a gzip file"):
        load_dataset(str(tmp_path))


def test_label_count_mismatch(tmp_path):
    _write_four(tmp_path)
    write_idx(tmp_path / (PARTS[1] + ".gz"), np.zeros(5, np.uint8))
    with pytest.raises(IDXError, match=r"has 5 labels but train-images-idx3-ubyte\.gz has 6 images"):
        load_dataset(str(tmp_path))


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
        load_dataset("cifar")


def test_missing_parts_in_folder(tmp_path):
    _write_four(tmp_path)
    (tmp_path / (PARTS[3] + ".gz")).unlink()
    with pytest.raises(DatasetNotFound, match="missing t10k-labels-idx1-ubyte"):
        datasets.load_folder(tmp_path)
