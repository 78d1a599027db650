import dataclasses
import gzip
import hashlib

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


def _publish(monkeypatch, name, folder):
    """Make the files in `folder` the 'published' ones of dataset `name` (their md5s become the known ones)."""
    md5 = {part: hashlib.md5((folder / (part + ".gz")).read_bytes()).hexdigest() for part in PARTS}
    monkeypatch.setitem(datasets.SOURCES, name, dataclasses.replace(datasets.SOURCES[name], md5=md5))


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
    _publish(monkeypatch, "mnist", tmp_path / "a" / "mnist")
    assert load_dataset("mnist", data_dir=tmp_path / "a").source == str(tmp_path / "a" / "mnist")
    _write_four(tmp_path / "b" / "MNIST" / "raw")
    assert load_dataset("mnist", data_dir=tmp_path / "b").train_images.shape == (6, 28, 28)


def test_environment_variable_names_the_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_download", _no_network)
    monkeypatch.setenv(datasets.ENV_VAR, str(tmp_path))
    _write_four(tmp_path / "fashion-mnist")
    _publish(monkeypatch, "fashion-mnist", tmp_path / "fashion-mnist")
    data = load_dataset("fashion-mnist")
    assert data.class_names[0] == "T-shirt/top"


def test_other_files_under_a_known_name_are_refused_not_trained_on(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_download", _no_network)
    _write_four(tmp_path / "MNIST" / "raw")  # random digits where MNIST is expected
    with pytest.raises(IDXError, match=r"is not the published mnist file .*--dataset .*MNIST/raw"):
        load_dataset("mnist", data_dir=tmp_path)
    _write_four(tmp_path / "raw" / "MNIST" / "raw", gz=False)  # uncompressed, unverifiable: refused too
    with pytest.raises(IDXError, match="is not the published mnist file"):
        load_dataset("mnist", data_dir=tmp_path / "raw")


def test_a_recompressed_copy_is_accepted_by_its_content(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_download", _no_network)
    _write_four(tmp_path / "fashion-mnist")
    folder = tmp_path / "fashion-mnist"
    content = {p: hashlib.sha256(gzip.decompress((folder / (p + ".gz")).read_bytes())).hexdigest() for p in PARTS}
    spec = dataclasses.replace(datasets.SOURCES["fashion-mnist"], content_sha256=content)
    monkeypatch.setitem(datasets.SOURCES, "fashion-mnist", spec)
    assert load_dataset("fashion-mnist", data_dir=tmp_path).train_images.shape == (6, 28, 28)


def test_a_damaged_download_is_fetched_again_or_explained_offline(tmp_path, monkeypatch):
    _write_four(tmp_path / "mnist")
    _publish(monkeypatch, "mnist", tmp_path / "mnist")
    published = datasets.SOURCES["mnist"]
    good = (tmp_path / "mnist" / (PARTS[0] + ".gz")).read_bytes()
    (tmp_path / "mnist" / (PARTS[0] + ".gz")).write_bytes(good[: len(good) // 2])  # a download cut short
    fetched = []

    def fetch(name, cache):
        fetched.append(name)
        (cache / name / (PARTS[0] + ".gz")).write_bytes(good)
        return [cache / name / (p + ".gz") for p in PARTS]

    monkeypatch.setattr(datasets, "_download", fetch)
    assert load_dataset("mnist", data_dir=tmp_path).train_images.shape == (6, 28, 28) and fetched == ["mnist"]
    (tmp_path / "mnist" / (PARTS[0] + ".gz")).write_bytes(good[: len(good) // 2])
    monkeypatch.undo()
    monkeypatch.setitem(datasets.SOURCES, "mnist", published)
    _unreachable_mirror(monkeypatch)
    with pytest.raises(DatasetNotFound, match=r"(?s)train-images.*truncated.*delete .*train-images.*when online"):
        load_dataset("mnist", data_dir=tmp_path)
    data, banner = load_default(tmp_path)  # --dataset auto falls back, and says why
    assert data.name == "mnist-sample" and "truncated" in banner


@pytest.mark.parametrize(
    ("part", "array", "problem"),
    [
        (0, np.zeros((6, 32, 32), np.uint8), "holds uint8 images of 32x32 pixels; this network needs"),
        (0, np.zeros((6, 28, 28), np.float32), "holds float32 images of 28x28 pixels"),
        (1, np.array([0, 1, -1, 2, 3, 4], np.int8), "label -1 is out of range: labels must be 0 to 9"),
        (1, np.array([0, 1, 10, 2, 3, 4], np.uint8), "label 10 is out of range"),
        (1, np.full(6, 0.5), "holds float64 labels; class labels must be integers"),
        (3, np.zeros(5, np.uint8), "has 5 labels but t10k-images-idx3-ubyte.gz has 4 images"),
    ],
)
def test_images_and_labels_the_network_cannot_use_are_refused_naming_the_file(tmp_path, part, array, problem):
    _write_four(tmp_path)
    write_idx(tmp_path / (PARTS[part] + ".gz"), array)
    with pytest.raises(IDXError) as info:
        load_dataset(str(tmp_path))
    assert str(info.value).startswith(str(tmp_path / PARTS[part])) and problem in str(info.value)


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


def test_default_uses_mnist_when_present(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_download", _no_network)
    _write_four(tmp_path / "mnist")
    _publish(monkeypatch, "mnist", tmp_path / "mnist")
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
