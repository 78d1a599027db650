"""Read and write IDX files, the format MNIST and Fashion-MNIST ship in.

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension,
then the elements in row-major order:

    magic = 0x00 0x00 <type code> <number of dimensions>

Every problem with a file (missing, not gzip, truncated, wrong magic, a payload
that does not match its header) raises `IDXError`, which names the file and
what is wrong, never a bare numpy or zlib traceback.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path

import numpy as np

from shared.files import write_bytes

GZIP_MAGIC = b"\x1f\x8b"

# Type codes from the IDX specification, with their big-endian numpy dtypes.
TYPE_CODES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class IDXError(ValueError):
    """A file that cannot be read as IDX. The message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


def _read_stored_and_content(path: Path) -> tuple[bytes, bytes]:
    """The file's bytes as stored, and decompressed when its name ends in .gz."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise IDXError(path, "file not found") from None
    except OSError as err:
        raise IDXError(path, f"cannot read the file ({err.strerror})") from None
    if path.suffix != ".gz":
        return raw, raw
    stored = raw
    if raw[:2] != GZIP_MAGIC:
        raise IDXError(path, "not a gzip file, although its name ends in .gz") from None
    parts = []
    while raw:  # a gzip file may hold several members, one after another
        stream = zlib.decompressobj(wbits=31)  # 31: expect a gzip header
        try:
            parts.append(stream.decompress(raw))
        except zlib.error as err:
            raise IDXError(path, f"the gzip stream is corrupt ({err}); download it again") from None
        if not stream.eof:
            raise IDXError(path, "the gzip stream is truncated: the file is incomplete; download it again")
        raw = stream.unused_data
        if raw and raw[:2] != GZIP_MAGIC:
            junk = f"{len(raw)} bytes of junk follow the gzip data"
            raise IDXError(path, f"{junk}: the file is damaged; download it again")
    return stored, b"".join(parts)


def read_idx(path: str | Path, expect_ndim: int | None = None, check=None) -> np.ndarray:
    """Read an IDX file (raw or .gz) into a native-endian numpy array.

    Checks the magic number's two zero bytes, the type code, the number of
    dimensions (against `expect_ndim` when given) and that the payload length is
    exactly the product of the dimensions times the element size. `check(stored,
    content)`, if given, sees the file's bytes as stored and decompressed before
    they are parsed, and raises IDXError to refuse them (datasets.py checks the
    published hashes with it, so each file is read and decompressed once).
    """
    path = Path(path)
    stored, data = _read_stored_and_content(path)
    if check is not None:
        check(stored, data)
    if len(data) < 4:
        raise IDXError(path, f"only {len(data)} bytes, too short for an IDX header")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise IDXError(path, f"bad magic number 0x{data[:4].hex()}: an IDX file starts with two zero bytes")
    if code not in TYPE_CODES:
        raise IDXError(path, f"unknown element type code 0x{code:02x} in the magic number")
    if expect_ndim is not None and ndim != expect_ndim:
        raise IDXError(path, f"has {ndim} dimensions, expected {expect_ndim}")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXError(path, f"truncated header: {ndim} dimensions need {header_len} bytes, found {len(data)}")
    shape = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = TYPE_CODES[code]
    expected = math.prod(shape) * dtype.itemsize  # Python integers: 3 or 4 large sizes overflow int64
    found = len(data) - header_len
    if found != expected:
        raise IDXError(path, f"payload is {found} bytes, but the header's shape {shape} needs {expected}")
    array = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> None:
    """Write `array` as an IDX file (gzip-compressed when the name ends in .gz)."""
    path = Path(path)
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in TYPE_CODES.items()}
    if array.dtype not in codes:
        raise ValueError(f"IDX cannot store dtype {array.dtype}; use one of {sorted(map(str, codes))}")
    header = bytes([0, 0, codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    write_bytes(path, gzip.compress(payload, mtime=0) if path.suffix == ".gz" else payload)
