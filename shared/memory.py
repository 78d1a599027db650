"""Keep freed memory for reuse, instead of handing it back to the OS every time.

Every batch, the layers allocate the same large arrays again (the CNN's second
conv builds a 40 MB column matrix per batch of 64). glibc's malloc serves blocks
above a threshold with a fresh mmap and unmaps them on free, so each new array
costs one page fault per 4 KB page when it is first written: about 10,000 faults
for 40 MB, which on our 2-core machines took longer than copying the data.

`reuse_freed_memory()` tells glibc to serve large blocks from its heap and keep
freed heap memory, so the next batch reuses warm pages. It changes no result,
only speed. PyTorch solves the same problem with its own caching allocator.
On systems without glibc (macOS, Windows) it does nothing and returns False.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
ONE_GIB = 1 << 30


def reuse_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds to 1 GiB; True if it took effect."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, ONE_GIB)) and bool(mallopt(M_TRIM_THRESHOLD, ONE_GIB))


def fresh_array_seconds(megabytes: int = 40, repeats: int = 20) -> float:
    """Median time to allocate a new float32 array of this size and fill it once."""
    import numpy as np

    from shared.benchmark import median_time

    n = megabytes * (1 << 20) // 4
    return median_time(lambda: np.ones(n, np.float32), repeats=repeats)


def main():
    """python -m shared.memory: what a fresh 40 MB array costs, before and after reuse_freed_memory()."""
    before = fresh_array_seconds()
    took = reuse_freed_memory()
    after = fresh_array_seconds()
    print(f"allocate and fill a new 40 MB float32 array: {before * 1e3:.2f} ms with glibc's defaults")
    print(f"the same after reuse_freed_memory() (took effect: {took}): {after * 1e3:.2f} ms ({before / after:.1f}x)")


if __name__ == "__main__":
    main()
