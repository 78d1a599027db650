"""Find, download and load MNIST-style datasets.

    load_dataset("mnist")          # cache, torchvision folder, or download (checked by md5)
    load_dataset("fashion-mnist")  # also finds Debian's dataset-fashion-mnist package
    load_dataset("mnist-sample")   # 5,000 real digits shipped in this repo: always offline
    load_dataset("path/to/folder") # any folder holding the four standard IDX files

Where files are looked for, in order: the folder you name (`data_dir=` or the
`CNN_SCRATCH_DATA` environment variable), the cache folder (`~/.cache/cnn-from-scratch`
or your platform's equivalent), a torchvision `MNIST/raw` (or `FashionMNIST/raw`) folder
inside either, and system folders such as `/usr/share/datasets/fashion-mnist`. Files
found there are used without touching the network, once checked: a named dataset's
files must be the published ones (the md5 of each .gz, or the sha256 of its content
where a distribution recompressed it), so other data is never trained on under
MNIST's name. Only when nothing is found does it download, into the cache (or
`data_dir`), trying each mirror in order and checking every file's md5; a damaged
file in the cache is downloaded again.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shared.files import lookup
from shared.idx import IDXError, read_idx

ENV_VAR = "CNN_SCRATCH_DATA"
SAMPLE_DIR = Path(__file__).parent / "data" / "mnist-sample"
SAMPLE_TRAIN_SIZE = 4000  # the first 4,000 sample digits train, the last 1,000 test

# The four standard file names and the md5 of each published .gz (torchvision uses the same).
PARTS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


@dataclass(frozen=True)
class Source:
    mirrors: tuple[str, ...]
    md5: dict[str, str]
    torchvision_dir: str
    system_dirs: tuple[str, ...] = ()
    class_names: tuple[str, ...] = tuple(str(d) for d in range(10))
    content_sha256: dict[str, str] = field(default_factory=dict)  # of the decompressed files, where known


SOURCES = {
    "mnist": Source(
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        md5=dict(
            zip(
                PARTS,
                (
                    "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                    "d53e105ee54ea40749a09fcbcd1e9432",
                    "9fb629c4189551a2d022fa330f9573f3",
                    "ec29112dd5afa0611ce80d1b7f02629c",
                ),
            )
        ),
        torchvision_dir="MNIST/raw",
    ),
    "fashion-mnist": Source(
        mirrors=(
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        ),
        md5=dict(
            zip(
                PARTS,
                (
                    "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                    "25c81989df183df01b3e8a0aad5dffbe",
                    "bef4ecab320f06d8554ea6380940ec79",
                    "bb300cfdad3c16e7a12a480ee83cd310",
                ),
            )
        ),
        torchvision_dir="FashionMNIST/raw",
        system_dirs=("/usr/share/datasets/fashion-mnist",),
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        # Debian's dataset-fashion-mnist recompresses the files: their .gz md5s differ, their content not.
        content_sha256=dict(
            zip(
                PARTS,
                (
                    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                ),
            )
        ),
    ),
}
NAMES = (*SOURCES, "mnist-sample")


class DatasetNotFound(FileNotFoundError):
    """The dataset is neither on disk nor downloadable. The message says how to provide it."""


@dataclass(frozen=True)
class Dataset:
    """uint8 images (N, 28, 28) and int64 labels (N,), as stored; see shared.preprocess."""

    name: str
    source: str  # where the files came from, for the log
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    class_names: tuple[str, ...]


def cache_dir() -> Path:
    """The user's cache folder for datasets ($CNN_SCRATCH_DATA overrides it)."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    import pooch  # imported here: loading the offline sample must not need it

    return Path(pooch.os_cache("cnn-from-scratch"))


def _find_part(folder: Path, part: str) -> Path | None:
    for name in (part + ".gz", part):
        kind = lookup(folder / name)
        if kind == "file":
            return folder / name
        if kind != "missing":  # a FIFO would block the read; a folder is no data file
            raise IDXError(folder / name, f"is {'a folder' if kind == 'folder' else kind}, not a data file")
    return None


def _complete_folder(folders: list[Path], test_only=False) -> tuple[Path, list[Path | None]] | None:
    """The first folder holding all four files (or the two test files), with their paths."""
    for folder in folders:
        paths = [_find_part(folder, part) for part in PARTS]
        if all(paths[2:] if test_only else paths):
            return folder, paths
    return None


def load_folder(folder: str | Path, class_names=SOURCES["mnist"].class_names, test_only=False) -> Dataset:
    """Load the four standard IDX files (.gz or raw) from one folder."""
    folder = Path(folder)
    found = _complete_folder([folder], test_only)
    if found is None:
        missing = [p for p in (PARTS[2:] if test_only else PARTS) if _find_part(folder, p) is None]
        raise DatasetNotFound(f"{folder}: missing {', '.join(missing)} (each may end in .gz)")
    return _load_paths(folder.name, str(folder.resolve()), found[1], class_names, test_only)


def check_images_and_labels(images, labels, image_path, label_path, num_classes):
    """The network's needs: uint8 images (N, 28, 28), integer labels 0..classes-1, one per image."""
    if images.dtype != np.uint8 or images.shape[1:] != (28, 28):
        found = f"{images.dtype} images of {'x'.join(map(str, images.shape[1:]))} pixels"
        raise IDXError(image_path, f"holds {found}; this network needs uint8 images of 28x28 pixels, as MNIST's")
    if labels.dtype.kind not in "iu":
        raise IDXError(label_path, f"holds {labels.dtype} labels; class labels must be integers")
    if len(images) != len(labels):
        raise IDXError(label_path, f"has {len(labels)} labels but {Path(image_path).name} has {len(images)} images")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels.min() if labels.min() < 0 else labels.max()
        raise IDXError(label_path, f"label {bad} is out of range: labels must be 0 to {num_classes - 1}")


def _load_paths(name: str, source: str, paths: list[Path], class_names, test_only=False, published=None) -> Dataset:
    """Read and check the four files (only the two test files when test_only: empty train arrays).

    published: the dataset name whose published files these must be (see _published), or None.
    """

    def read(j, ndim):
        check = _published(published, PARTS[j], paths[j]) if published else None
        return read_idx(paths[j], expect_ndim=ndim, check=check)

    arrays = []
    for i in (0, 2):
        if test_only and i == 0:
            arrays += [np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)]
            continue
        images, labels = read(i, 3), read(i + 1, 1)
        check_images_and_labels(images, labels, paths[i], paths[i + 1], len(class_names))
        arrays += [images, labels.astype(np.int64)]
    return Dataset(name, source, *arrays, tuple(class_names))


def _published(name: str, part: str, path: Path):
    """A read_idx check: the file must be the published one, by its .gz md5 or the sha256 of its content."""
    spec = SOURCES[name]

    def check(stored: bytes, content: bytes) -> None:
        md5 = hashlib.md5(stored).hexdigest()
        if md5 != spec.md5[part] and hashlib.sha256(content).hexdigest() != spec.content_sha256.get(part):
            raise IDXError(
                path,
                f"is not the published {name} file (md5 {md5}, expected {spec.md5[part]}): damaged, or other data. "
                f"Delete it to download it again, or pass its folder as --dataset {path.parent} to use it as your own",
            )

    return check


def load_sample() -> Dataset:
    """The embedded 5,000-digit MNIST sample, split 4,000 train / 1,000 test."""
    images = read_idx(SAMPLE_DIR / "images-idx3-ubyte.gz", expect_ndim=3)
    labels = read_idx(SAMPLE_DIR / "labels-idx1-ubyte.gz", expect_ndim=1).astype(np.int64)
    k = SAMPLE_TRAIN_SIZE
    return Dataset(
        "mnist-sample", str(SAMPLE_DIR), images[:k], labels[:k], images[k:], labels[k:], SOURCES["mnist"].class_names
    )


def _download(name: str, cache: Path) -> list[Path]:
    """Download the four files into cache/name, trying each mirror; md5-checked by pooch."""
    import pooch

    spec, target = SOURCES[name], cache / name
    paths, errors = [], []
    for part in PARTS:
        fname = part + ".gz"
        for mirror in spec.mirrors:
            try:
                path = pooch.retrieve(
                    mirror + fname,
                    known_hash=f"md5:{spec.md5[part]}",
                    fname=fname,
                    path=target,
                    downloader=pooch.HTTPDownloader(progressbar=True, timeout=30),
                )
                paths.append(Path(path))
                break
            except Exception as err:  # network errors come in many types; report each, then try the next mirror
                errors.append(f"  {mirror}{fname}: {type(err).__name__}: {err}")
        else:
            raise DatasetNotFound(_not_found_message(name, cache, "downloading failed:\n" + "\n".join(errors)))
    return paths


def _not_found_message(name: str, cache: Path, reason: str) -> str:
    spec = SOURCES[name]
    files = "\n".join(f"  {p}.gz" for p in PARTS)
    return (
        f"Dataset '{name}' is not on this machine, and {reason}\n"
        f"It needs these four files (gzip-compressed or not):\n{files}\n"
        "Provide them in any one of these ways:\n"
        f"  - put them in {cache / name} (the cache), or in a folder named by ${ENV_VAR} or --data-dir;\n"
        f"  - point --data-dir at a torchvision root holding {spec.torchvision_dir}/;\n"
        "  - pass the folder itself as the dataset (--dataset path/to/folder);\n"
        + (f"  - install Debian's package: apt-get install dataset-{name}\n" if spec.system_dirs else "")
        + "  - or connect to the internet and run again, to download them."
    )


def load_dataset(
    name: str, data_dir: str | Path | None = None, download: bool = True, test_only: bool = False
) -> Dataset:
    """Load a dataset by name ('mnist', 'fashion-mnist', 'mnist-sample') or folder path.

    test_only reads just the two test files (the train arrays are then empty).
    """
    if name == "mnist-sample":
        return load_sample()
    if name not in SOURCES:
        if lookup(name) == "folder":
            return load_folder(name, test_only=test_only)
        raise ValueError(f"unknown dataset '{name}': use one of {', '.join(NAMES)}, or a folder of IDX files")
    spec = SOURCES[name]
    cache = Path(data_dir).expanduser() if data_dir else cache_dir()
    candidates = [cache, cache / name, cache / spec.torchvision_dir, *map(Path, spec.system_dirs)]
    found = _complete_folder(candidates)
    if found is not None:
        folder, paths = found
        try:
            return _load_paths(name, str(folder), paths, spec.class_names, test_only, published=name)
        except IDXError as err:
            if folder != cache / name or not download:
                raise  # not our download: the user's own files are never replaced
            damaged = err  # ours: download it again (pooch replaces a file whose md5 is wrong)
    elif not download:
        raise DatasetNotFound(_not_found_message(name, cache, "downloading is switched off."))
    else:
        damaged = None
    try:
        paths = _download(name, cache)
    except DatasetNotFound as err:
        if damaged is None:
            raise
        advice = f"Downloading a fresh copy failed too, so delete {damaged.path} and run again when online."
        raise DatasetNotFound(f"{damaged}\n{advice}\n{err}") from None
    return _load_paths(name, f"downloaded into {cache / name}", paths, spec.class_names, test_only)


def load_default(data_dir: str | Path | None = None) -> tuple[Dataset, str | None]:
    """MNIST if it is on disk or can be downloaded; otherwise the embedded sample.

    Returns the dataset and, when it fell back, a banner to print that says what
    happened, what to expect and how to provide MNIST. Asking for "mnist" by name
    (load_dataset) never falls back.
    """
    try:
        return load_dataset("mnist", data_dir), None
    except (DatasetNotFound, IDXError) as err:
        banner = (
            "=" * 78 + "\n"
            "MNIST is not available, so this run trains on the embedded mnist-sample\n"
            "(4,000 training and 1,000 test digits of real MNIST, shipped in this repo).\n"
            "Expect about 97% test accuracy on its 1,000 test digits; the 60,000 digits\n"
            "of full MNIST do better.\n"
            "Why MNIST was not found:\n" + "\n".join("  " + line for line in str(err).splitlines()) + "\n" + "=" * 78
        )
        return load_sample(), banner
