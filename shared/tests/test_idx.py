import gzip

import numpy as np
import pytest

from shared.idx import IDXError, read_idx, write_idx


@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32, np.float64])
def test_round_trip(tmp_path, name, dtype):
    a = (np.arange(2 * 3 * 5) - 7).astype(dtype).reshape(2, 3, 5)
    if dtype == np.uint8:
        a = np.arange(30, dtype=np.uint8).reshape(2, 3, 5)
    write_idx(tmp_path / name, a)
    b = read_idx(tmp_path / name)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(a, b)


def test_header_layout_is_the_standard_one(tmp_path):
    write_idx(tmp_path / "l.idx", np.array([3, 1, 4], np.uint8))
    assert (tmp_path / "l.idx").read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 3, 1, 4])


def _broken(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IDXError) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    return str(info.value)


def test_bad_magic(tmp_path):
    assert "magic" in _broken(tmp_path, "x.idx", bytes([1, 2, 8, 1, 0, 0, 0, 1, 9]))


def test_unknown_type_code(tmp_path):
    assert "type code 0x07" in _broken(tmp_path, "x.idx", bytes([0, 0, 7, 1, 0, 0, 0, 1, 9]))


def test_payload_shorter_than_header_says(tmp_path):
    msg = _broken(tmp_path, "x.idx", bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]))
    assert "payload is 3 bytes" in msg and "needs 4" in msg


def test_payload_longer_than_header_says(tmp_path):
    assert "payload is 2 bytes" in _broken(tmp_path, "x.idx", bytes([0, 0, 8, 1, 0, 0, 0, 1, 5, 6]))


def test_truncated_header(tmp_path):
    assert "truncated header" in _broken(tmp_path, "x.idx", bytes([0, 0, 8, 3, 0, 0, 0, 1]))


def test_too_short(tmp_path):
    assert "too short" in _broken(tmp_path, "x.idx", b"\x00\x00")


def test_not_gzip(tmp_path):
    assert "not a gzip file" in _broken(tmp_path, "x.idx.gz", b"this is not gzip data at all")


def test_truncated_gzip(tmp_path):
    good = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 100]) + bytes(range(100)))
    assert "truncated" in _broken(tmp_path, "x.idx.gz", good[: len(good) // 2])


def test_junk_after_the_gzip_data(tmp_path):
    good = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 100]) + bytes(range(100)))
    assert "13 bytes of junk follow the gzip data" in _broken(tmp_path, "x.idx.gz", good + b"junk appended")[:200]


def test_several_gzip_members_are_one_file(tmp_path):
    payload = bytes([0, 0, 8, 1, 0, 0, 0, 100]) + bytes(range(100))
    (tmp_path / "x.idx.gz").write_bytes(gzip.compress(payload[:50]) + gzip.compress(payload[50:]))
    np.testing.assert_array_equal(read_idx(tmp_path / "x.idx.gz"), np.arange(100))


def test_corrupt_gzip(tmp_path):
    good = bytearray(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 1, 0]) + bytes(range(256))))
    good[15:25] = b"\xff" * 10
    msg = _broken(tmp_path, "x.idx.gz", bytes(good))
    assert "gzip" in msg


def test_missing_file(tmp_path):
    with pytest.raises(IDXError, match="file not found"):
        read_idx(tmp_path / "nope.idx.gz")


def test_wrong_number_of_dimensions(tmp_path):
    write_idx(tmp_path / "l.idx", np.zeros(4, np.uint8))
    with pytest.raises(IDXError, match="has 1 dimensions, expected 3"):
        read_idx(tmp_path / "l.idx", expect_ndim=3)
