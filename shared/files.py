"""Files in and out: inputs checked before they are opened, outputs written atomically.

    check_input(path, "checkpoint")   # a regular file, or one clear FileProblem
    writable_folder(out, "--out")     # create it and prove we can write there, before the work
    write_text(path, text)            # also write_bytes, and `with replacing(path) as fh:`

Every output goes to a temporary file in the same folder, is flushed to disk and then
renamed over the target (os.replace). A crash mid-write leaves the old file whole (the
next write into that folder removes the crashed one's temporary file), and a symbolic
link planted at the target is replaced by the new file, never written through: its
target is left as it was.

An input that is not a regular file (a folder, a FIFO, a device) is refused before it
is opened: opening a FIFO would wait forever for a writer. A path the system cannot
even look up (a name longer than 255 bytes, a loop of links) gets the system's reason.
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

UMASK = os.umask(0o022)  # read once, at import (setting it is process-wide), and put back
os.umask(UMASK)


class FileProblem(ValueError):
    """A path that cannot be used; the message names it, the problem and the fix."""


def kind_of(path) -> str:
    """'file', 'folder', 'missing', or what else is there ('a FIFO', ...). OSError for a path
    the system refuses to look up (too long, a loop of links, no permission)."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return "missing"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a device"


def lookup(path, label="") -> str:
    """kind_of, with the system's refusal as a FileProblem naming the path (after `label`)."""
    try:
        return kind_of(path)
    except OSError as err:
        raise FileProblem(f"{label}{path}: cannot be looked up ({err.strerror}); give a shorter or valid one") from None


def check_input(path, what="file"):
    """Refuse, with one line, a `what` at `path` that is missing or not a regular file."""
    kind = lookup(path)
    if kind == "missing":
        raise FileProblem(f"{path}: no such {what}")
    if kind != "file":
        it = "a folder" if kind == "folder" else kind
        raise FileProblem(f"{path}: is {it}, not a regular file, so it cannot be read as the {what}")


def writable_folder(folder, option="--out"):
    """Create `folder` if needed and prove a file can be written there; FileProblem otherwise."""
    folder = Path(folder)
    kind = lookup(folder, f"{option} ")
    if kind not in ("folder", "missing"):
        it = "a file" if kind == "file" else kind
        raise FileProblem(f"{option} {folder}: this is {it}, not a folder; name a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        why = err.strerror or str(err)
        raise FileProblem(f"{option} {folder}: cannot write there ({why}); choose a folder you can write") from None
    return folder


@contextmanager
def replacing(path, mode="wb"):
    """A file object whose content replaces `path` atomically when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for orphan in path.parent.glob(f"{path.name}*.tmp"):  # left by a write that was killed
        orphan.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"newline": "", "encoding": "utf-8"})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~UMASK)  # mkstemp makes it private; outputs are ordinary files
        os.replace(tmp, path)  # a link at `path` is replaced, not followed
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(path, data: bytes):
    with replacing(path) as fh:
        fh.write(data)
    return path


def write_text(path, text: str):
    with replacing(path, "w") as fh:
        fh.write(text)
    return path
