"""shared/files.py: outputs replace, never write through, a planted link and survive a failed write;
IDX sizes are compared without overflow."""

import struct

import pytest

from shared.idx import IDXError, read_idx


def test_an_output_replaces_a_link_and_leaves_its_target(tmp_path):
    from shared.files import write_text

    (tmp_path / "target").write_text("mine")
    (tmp_path / "out.json").symlink_to(tmp_path / "target")
    write_text(tmp_path / "out.json", "new")
    assert (tmp_path / "target").read_text() == "mine"
    assert not (tmp_path / "out.json").is_symlink() and (tmp_path / "out.json").read_text() == "new"


def test_a_failed_write_leaves_the_old_file_whole_and_no_temporary(tmp_path):
    from shared.files import write_text

    (tmp_path / "out.md").write_text("old")
    with pytest.raises(TypeError):
        write_text(tmp_path / "out.md", 42)
    assert (tmp_path / "out.md").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out.md"]


def test_an_idx_header_whose_sizes_overflow_int64_names_the_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 3]) + struct.pack(">3I", 2**22, 2**21, 2**21))  # 2^64 bytes claimed
    with pytest.raises(IDXError, match="train-images-idx3-ubyte: payload is 0 bytes, but the header's shape"):
        read_idx(path, expect_ndim=3)


def test_a_folder_is_not_an_input_file(tmp_path):
    from shared.files import FileProblem, check_input

    with pytest.raises(FileProblem, match="is a folder, not a regular file, so it cannot be read as the checkpoint"):
        check_input(tmp_path, "checkpoint")
