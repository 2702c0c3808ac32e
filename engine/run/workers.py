"""Where the unit of work of a batch run runs: one small executor interface, whatever runs it.

An executor maps a unit of work (`chunks.check_chunk` with what to keep: rule packs + one chunk of raw records
-> the chunk's output) over a stream of chunks and gives the outputs back in input order. What follows (the
cross-line caps, per-entry settlement, recording) happens in the calling process, in one code path, whatever
the executor. The unit of work runs on a `Checker` that the executor builds where the work runs, once per
process, from a `WorkerSpec` (durable-rules hosts cannot be pickled, so a Checker never travels):

- `InProcess`: this process, the run's own Checker (one worker, or a run of one chunk);
- `ProcessPool`: worker processes on this machine (`--workers N`), a bounded window of chunks in flight;
- `DaskCluster` (engine/run/dask_executor.py, the `clearance[dask]` extra): the workers of a Dask cluster."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice
from pathlib import Path
from typing import Any, Protocol, TypeVar

from ..packs.load import PackError, load_rules
from ..reference import HtsReference, references_in
from .check import Checker
from .chunks import Chunk, ChunkOut, check_chunk, rules_hash
from .interrupts import held_signals
from .wire import Memo, Tables

GC_THRESHOLD = 50_000  # allocations between collections of the youngest generation (Python's default: 700)
EXECUTORS = ("local", "dask")

T = TypeVar("T")
R = TypeVar("R")
Unit = Callable[[Checker, T], R]  # the unit of work: a module-level function (or a partial of one), so it pickles


class WorkerError(Exception):
    """The work could not be run (a worker process stopped, no cluster at the address). One line."""


class Executor(Protocol):
    def map(self, unit: Unit[T, R], items: Iterable[T]) -> Iterator[R]:
        """`unit(checker, item)` for each item, the outputs in input order. A generator: closing it (or its
        end) stops the work still in flight."""
        ...


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to build the run's Checker itself: the rules folder (None: the bundled packs) and
    their hash (a worker that loads other packs refuses to start), the law date, the default destination."""

    rules: Path | None
    law_as_of: dt.date
    destination: str | None
    rules_hash: str
    parent: int
    reference_db: Path | None = None
    references: tuple = ()  # `reference_ids` of the reference data the run found in `reference_db`

    def checker(self) -> Checker:
        packs = load_rules(self.rules)
        if rules_hash(packs) != self.rules_hash:
            raise PackError("the rule packs are not the ones the run started with")
        references = references_in(self.reference_db)
        if reference_ids(references) != self.references:  # e.g. a remote worker without the run's database
            raise PackError(f"the HTSUS reference data in {self.reference_db} is not the one the run started with")
        return Checker(packs, self.law_as_of, self.destination, references)


def reference_ids(references: dict[str, HtsReference]) -> tuple:
    """Which reference data a Checker has: per schedule, the SHA-256 of each edition."""
    return tuple(sorted((name, tuple(e.sha256 for e in ref.editions)) for name, ref in references.items()))


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


def long_lived(checker: Checker) -> Checker:
    """The packs and compiled rules live as long as the worker: never scan them again."""
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 10, 10)
    return checker


def windowed(submit: Callable[[T], Any], items: Iterable[T], window: int) -> Iterator[R]:
    """Submit each item (`submit` gives a future with `.result()`), keep at most `window` in flight, and
    yield their results in input order (memory stays flat however long the input)."""
    flight: deque[Any] = deque()
    for item in items:
        flight.append(submit(item))
        if len(flight) > window:
            yield flight.popleft().result()
    while flight:
        yield flight.popleft().result()


class InProcess:
    """The unit of work in this process, on the run's own Checker."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker

    def map(self, unit: Unit[T, R], items: Iterable[T]) -> Iterator[R]:
        for item in items:
            with fewer_collections(), held_signals():  # durable-rules matches in this process
                out = unit(self.checker, item)
            yield out


# --- worker processes on this machine ----------------------------------------------------------------------

_worker: Checker | None = None
_memo: Memo | None = None  # the shared values this worker has sent to the main process (engine/run/wire.py)


def _start_worker(spec: WorkerSpec) -> None:
    global _worker, _memo
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and stops the pool
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the main process's handler, inherited by fork
    _die_with_parent(spec.parent)
    _worker = long_lived(spec.checker())
    _memo = Memo()


def _work(unit: Unit[T, R], item: T) -> bytes:
    """The unit of work on this worker's Checker, its output pickled against the worker's memo."""
    assert _worker is not None and _memo is not None, "worker not started"
    return _memo.dumps(unit(_worker, item))


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


class ProcessPool:
    """Worker processes on this machine, each with its own Checker (built by the pool's initializer)."""

    def __init__(self, spec: WorkerSpec, workers: int) -> None:
        self.spec = spec
        self.workers = workers

    def map(self, unit: Unit[T, R], items: Iterable[T]) -> Iterator[R]:
        pool = ProcessPoolExecutor(self.workers, initializer=_start_worker, initargs=(self.spec,))
        tables = Tables()  # read in input order, as the workers wrote them (engine/run/wire.py)
        try:
            sent: Iterator[bytes] = windowed(lambda item: pool.submit(_work, unit, item), items, 2 * self.workers)
            yield from map(tables.loads, sent)
        except BrokenProcessPool as exc:
            raise WorkerError(f"a worker process stopped: {exc}") from exc
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def executor(
    name: str, spec: WorkerSpec, checker: Checker, workers: int, scheduler: str | None = None, one_chunk: bool = False
) -> Executor:
    """The executor a run asked for: `local` (in this process for one worker or one chunk, else a pool of
    `workers` processes) or `dask` (the cluster at `scheduler`, or a local cluster of `workers` processes)."""
    if name == "dask":
        from .dask_executor import DaskCluster  # the optional extra: imported only when asked for

        return DaskCluster(spec, scheduler, workers)
    if name != "local":
        raise WorkerError(f"no executor {name!r} (executors: {', '.join(EXECUTORS)})")
    if workers <= 1 or one_chunk:
        return InProcess(checker)
    return ProcessPool(spec, workers)


def in_order(
    checker: Checker,
    chunks: Iterator[Chunk],
    keep: str,
    workers: int,
    spec: WorkerSpec,
    name: str = "local",
    scheduler: str | None = None,
) -> Iterator[ChunkOut]:
    """Each chunk's output (`check_chunk`, keeping `keep`) in input order, from the executor `name`."""
    first = list(islice(chunks, 2))
    run = executor(name, spec, checker, workers, scheduler, one_chunk=len(first) < 2)
    yield from run.map(partial(check_chunk, keep=keep), chain(first, chunks))
