"""Data parallelism on threads: every part of a step on both cores, not just the matmuls.

A NumPy training step spends its time in three kinds of work: matrix products
(OpenBLAS, which already splits each one over all cores), and copies and
elementwise operations (im2col, pooling, ReLU, Adam), which NumPy runs on ONE core.
On a 2-core machine the second core idles through the copies.

Data parallelism splits each batch into one share per thread. Every thread runs
the whole network, forward and backward, on its share, with its own layer caches:
a *replica* of the model whose layers hold the very same parameter arrays. BLAS is
held to one thread per call, so two Python threads use two cores for everything.
They truly run at once because NumPy releases Python's global interpreter lock
inside its copies, ufuncs and matmuls, where the time goes.

Why the gradients add up exactly: the loss is the batch mean, so softmax
cross-entropy's dlogits already carries the factor 1/N for the WHOLE batch. Each
replica's backward on its rows of dlogits gives its share of the sum over images,
and the batch gradient is the sum of the shares:

    dL/dW = sum over images n of dL/dW|n  =  grads(replica 1) + grads(replica 2)

`DataParallel` has the model's interface (forward, backward, params, grads,
predict), so the training loop does not change. Only rounding differs from one
thread: float sums in another order (tests/test_parallel.py checks 1e-12 in
float64). The result is the same for the same number of threads on every run.
"""

from __future__ import annotations

import copy
import itertools
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits


def available_cores():
    """The CPU cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def replica(model):
    """A model whose layers share `model`'s parameter arrays but keep their own caches and gradients."""
    twin = copy.copy(model)
    twin.layers = [copy.copy(layer) for layer in model.layers]
    for layer in twin.layers:
        layer.grads, layer.cache = {}, None
    return twin


def shares(n, parts):
    """Split range(n) into at most `parts` contiguous, non-empty slices of nearly equal size."""
    bounds = np.linspace(0, n, parts + 1).round().astype(int)
    return [slice(a, b) for a, b in itertools.pairwise(bounds) if b > a]


# --8<-- [start:data_parallel]
class DataParallel:
    """The model on `threads` threads, each on its share of every batch.

        with DataParallel(model, threads=2) as net:
            logits = net.forward(x)        # (N, 10), rows computed by both threads
            net.backward(dlogits)          # each replica backpropagates its rows
            opt.step(net.params(), net.grads())

    While it is open, BLAS runs one thread per call (two threads of ours = two cores).
    """

    def __init__(self, model, threads=None):
        self.model, self.threads = model, threads or available_cores()
        self.replicas = [replica(model) for _ in range(self.threads)]
        self.pool = ThreadPoolExecutor(self.threads)
        self.blas_limit = threadpool_limits(1, user_api="blas")
        self.parts = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self.pool.shutdown()
        self.blas_limit.restore_original_limits()

    def _on_threads(self, fn, parts, *arrays):
        """fn(replica, its part of each array) on every thread; the results in order."""
        jobs = zip(self.replicas, parts)
        futures = [self.pool.submit(fn, r, *(a[part] for a in arrays)) for r, part in jobs]
        return [f.result() for f in futures]

    def forward(self, x, train=True):
        self.parts = shares(len(x), self.threads)  # kept: backward splits dout the same way
        return np.concatenate(self._on_threads(lambda r, xs: r.forward(xs, train), self.parts, x))

    def backward(self, dout):
        dx = self._on_threads(lambda r, ds: r.backward(ds), self.parts, dout)
        return None if dx[0] is None else np.concatenate(dx)  # None: a first layer that skips dx

    def params(self):
        return self.model.params()

    def buffers(self):
        return self.model.buffers()

    def grads(self):
        """The batch gradient: the sum of the replicas' gradients (see the module docstring)."""
        per_replica = [r.grads() for r in self.replicas[: len(self.parts)]]  # those that had a share
        return {name: sum(g[name] for g in per_replica) for name in per_replica[0]}

    # --8<-- [end:data_parallel]

    def predict(self, x, batch_size=64):
        """Logits for x: each thread runs Sequential.predict on its share, `batch_size` images at a
        time, with nothing cached. 64 measured faster than 16 on two threads: each call into NumPy
        holds Python's interpreter lock for a moment, and smaller batches make more calls."""
        logits = self._on_threads(lambda r, xs: r.predict(xs, batch_size), shares(len(x), self.threads), x)
        return np.concatenate(logits)  # (N, 10): small, unlike the activations
