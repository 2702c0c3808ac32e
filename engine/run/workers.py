"""Worker processes of a batch run: each builds its own `Checker` from the rules folder (durable-rules hosts
cannot be pickled) and checks chunks (`chunks.check_chunk`); `in_order` hands the chunks out, with a bounded
window in flight so memory stays flat, and takes their outputs back in input order."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path

from ..packs.load import PackError, load_rules
from ..reference import references_in
from .check import Checker
from .chunks import Chunk, ChunkOut, check_chunk, rules_hash

GC_THRESHOLD = 50_000  # allocations between collections of the youngest generation (Python's default: 700)


class WorkerError(Exception):
    """A worker process stopped. The message is one line."""


_worker: Checker | None = None


@dataclass(frozen=True)
class WorkerSpec:
    rules: Path | None
    law_as_of: dt.date
    destination: str | None
    rules_hash: str
    parent: int
    reference_db: Path | None = None


def _start_worker(spec: WorkerSpec) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the main process's handler, inherited by fork
    _die_with_parent(spec.parent)
    packs = load_rules(spec.rules)
    if rules_hash(packs) != spec.rules_hash:
        raise PackError("the rule packs changed while the run was starting")
    _worker = Checker(packs, spec.law_as_of, spec.destination, references_in(spec.reference_db))
    gc.freeze()  # the packs and compiled rules live as long as the worker: never scan them again
    gc.set_threshold(GC_THRESHOLD, 10, 10)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Checking allocates many short-lived, acyclic objects (results, reasons, duty lines): at Python's
    default threshold the cyclic collector runs every 700 allocations and rescans every live object,
    a third of the checking time (README, Speed). Refcounting frees these objects anyway."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _work(chunk: Chunk, keep: str) -> ChunkOut:
    assert _worker is not None, "worker not started"
    return check_chunk(_worker, chunk, keep)


def _die_with_parent(parent: int) -> None:
    """On Linux, ask the kernel to end this worker if the main process is killed (no orphans)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the main process died before the request was made
        os._exit(1)


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def in_order(
    checker: Checker, chunks: Iterator[Chunk], keep: str, workers: int, spec: WorkerSpec
) -> Iterator[ChunkOut]:
    """Each chunk's output in input order: in this process for one worker or one chunk, else across
    a pool of worker processes with a bounded window of chunks in flight."""
    first = list(islice(chunks, 2))
    if workers <= 1 or len(first) < 2:
        for chunk in chain(first, chunks):
            with fewer_collections():
                out = check_chunk(checker, chunk, keep)
            yield out
        return
    pool = ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(spec,))
    window: deque[Future[ChunkOut]] = deque()
    try:
        for chunk in chain(first, chunks):
            window.append(pool.submit(_work, chunk, keep))
            if len(window) > 2 * workers:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    except BrokenProcessPool as exc:
        raise WorkerError(f"a worker process stopped: {exc}") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
