"""Batch checking: whole files in chunks, across worker processes, recorded in the run store.

The unit of work is `check_chunk(checker, chunk)`: a pure function of the rule packs and one chunk of
raw records, which returns each line's store rows (and the `Result`s that the sequential step needs).
Workers build their own `Checker` from the rules folder (durable-rules hosts cannot be pickled), so a
distributed engine could run the same function elsewhere. The main process reads the files, keeps a
bounded window of chunks in flight (memory stays flat), and takes the chunks back in input order:
it runs `Checker.settle` (the cross-line caps) on each, then writes the chunk and the run's totals in
one transaction. A resumed run skips the stored lines and replays the stored quota claims through
`settle`, so its answers are those of an uninterrupted run."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import json
import os
import signal
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from importlib import metadata
from itertools import chain, islice
from pathlib import Path
from typing import Protocol

from ..entries.readers import RecordSource
from ..packs.load import Pack, PackError, load_rules
from ..reference import references_in
from ..report.result import Result
from ..report.summary import Summary
from .check import CHUNK, Checker, require_pack
from .held import HeldChunks
from .inputs import input_file, read_as_recorded, running_elsewhere
from .store import Row, Store, StoreError, add_rows, encode

GC_THRESHOLD = 50_000  # allocations between collections of the youngest generation (Python's default: 700)


class BatchError(Exception):
    """A run cannot start or resume as asked. The message is one line."""


@dataclass(frozen=True)
class Settings:
    """What a run is asked to do. `None` means "not given": the default, or the resumed run's value."""

    rules: Path | None = None
    law_as_of: dt.date | None = None
    destination: str | None = None
    input_format: str | None = None
    encoding: str | None = None
    sheet: str | None = None
    workers: int = 1
    chunk_size: int = CHUNK
    reference_db: Path | None = None  # a database holding reference data (HTSUS editions) to check lines against


@dataclass(frozen=True)
class Chunk:
    file: int
    first_row: int
    records: list[dict]
    path: str | None = None  # the file's name, as results name it


@dataclass
class ChunkOut:
    """One chunk's lines as store rows (and duty rows per line), in input order. `pending` holds the
    results that `settle` must see (those with quota claims); `results` every result, or `texts` every
    result's JSON record, if asked for."""

    file: int
    first_row: int
    rows: list[Row]
    duties: list[list[Row]]
    pending: dict[int, Result] = field(default_factory=dict)
    results: list[Result] | None = None
    texts: list[str] | None = None


KEEP = ("none", "results", "json")  # what a chunk's output carries besides its store rows


def needs_settle(checker: Checker, result: Result) -> bool:
    """Whether the sequential step can change this result: lines with quota claims (the cross-line caps) and
    lines settled with their whole entry (`Checker.takes_part`); settle returns every other result unchanged
    (tests/run/test_batch.py checks this)."""
    return bool(result.quota) or checker.takes_part(result)


def minor_units(packs: dict[str, Pack]) -> dict[str, int]:
    return {p.header.currency: p.header.minor_unit for p in packs.values()}


def check_chunk(checker: Checker, chunk: Chunk, keep: str = "none") -> ChunkOut:
    """The pure unit of work: rule packs + one chunk of raw records -> the chunk's rows and, as `keep`
    asks (see KEEP), its results or their JSON records (rendered here, in the worker)."""
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {', '.join(KEEP)}, not {keep!r}")
    results = checker.check_chunk(chunk.records, chunk.first_row)
    if keep != "none" and chunk.path is not None:  # named here, in the worker, not in the main process
        results = [r.model_copy(update={"file": chunk.path}) for r in results]
    units = minor_units(checker.packs)
    encoded = [encode(r, chunk.file, units) for r in results]
    return ChunkOut(
        file=chunk.file,
        first_row=chunk.first_row,
        rows=[row for row, _ in encoded],
        duties=[duties for _, duties in encoded],
        pending={n: r for n, r in enumerate(results) if needs_settle(checker, r)},
        results=results if keep == "results" else None,
        texts=[r.record_json() for r in results] if keep == "json" else None,
    )


def settle(checker: Checker, out: ChunkOut) -> ChunkOut:
    """The sequential step, in the main process and in input order: caps across the whole run."""
    if not out.pending:
        return out
    offsets = sorted(out.pending)
    units = minor_units(checker.packs)
    for n, result in zip(offsets, checker.settle([out.pending[n] for n in offsets]), strict=True):
        put(out, n, result, units)
    return out


def put(out: ChunkOut, n: int, result: Result, units: dict[str, int]) -> None:
    """Line `n` of the chunk, settled: its store rows and what the chunk carries."""
    out.pending[n] = result
    out.rows[n], out.duties[n] = encode(result, out.file, units)
    if out.results is not None:
        out.results[n] = result
    if out.texts is not None:
        out.texts[n] = result.record_json()


def rules_hash(packs: dict[str, Pack]) -> str:
    text = json.dumps(sorted((p.header.jurisdiction, p.id, p.content_hash) for p in packs.values()))
    return hashlib.sha256(text.encode()).hexdigest()


# --- worker processes -----------------------------------------------------------------------------------

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


class ProgressSink(Protocol):
    """Where a run reports how far it got (the CLI's progress bar): lines done and input bytes read."""

    def update(self, lines: int, bytes_read: int) -> None: ...

    def close(self) -> None: ...


# --- a run ----------------------------------------------------------------------------------------------


class Batch:
    """One run of `clearance check` over `paths`, recorded in `store` (if any)."""

    def __init__(
        self,
        paths: list[str],
        settings: Settings,
        store: Store | Path | None = None,
        resume: bool = False,
        keep_results: bool = True,
        progress: ProgressSink | None = None,
    ) -> None:
        self.paths = list(paths)
        self.settings = settings
        self.keep_results = keep_results
        self.progress = progress
        self.run_id: int | None = None
        self.totals = Summary()
        self.done = [0] * len(self.paths)
        self._source: RecordSource | None = None
        self._finished_bytes = 0
        self.files = [input_file(p) for p in self.paths]
        self.packs = load_rules(settings.rules)
        require_pack(self.packs, settings.destination)
        self.hash = rules_hash(self.packs)
        self.store = Store(store) if isinstance(store, str | Path) else store  # opened once the inputs are known
        if resume:
            self._resume()
        else:
            self.settings = replace(self.settings, law_as_of=settings.law_as_of or dt.date.today())
            if self.store is not None:
                self.run_id = self.store.begin_run(self._meta(), self.files, minor_units(self.packs))
        s = self.settings
        self.law_as_of: dt.date = s.law_as_of  # type: ignore[assignment]
        self.checker = Checker(self.packs, self.law_as_of, s.destination, references_in(s.reference_db))
        if resume:
            self._replay_quota()

    def _meta(self) -> dict:
        s = self.settings
        return {
            "version": metadata.version("clearance"),
            "law_as_of": s.law_as_of.isoformat() if s.law_as_of else None,
            "destination": s.destination,
            "rules": str(s.rules) if s.rules else "bundled",
            "rule_packs": json.dumps(
                [{"id": p.id, "jurisdiction": j, "content_hash": p.content_hash} for j, p in sorted(self.packs.items())]
            ),
            "rules_hash": self.hash,
            "options": json.dumps({k: v for k, v in asdict(s).items() if k in _RESULT_OPTIONS + _SPEED_OPTIONS}),
        }

    def _resume(self) -> None:
        if self.store is None:
            raise BatchError("--resume needs a run database (--db)")
        if any(f.sha256 is None for f in self.files):
            raise BatchError("standard input cannot be resumed: give the file")
        run = self.store.resumable(self.files, self.hash)
        if run is None:
            raise BatchError(f"{self.store.path}: no unfinished run over these files with these rule packs")
        if pid := running_elsewhere(run):
            raise BatchError(f"run {run['id']} is still being checked by process {pid}: let it finish or stop it first")
        self.run_id = run["id"]
        stored = json.loads(run["options"])
        given = asdict(self.settings)
        as_run = {"law_as_of": dt.date.fromisoformat(run["law_as_of"]), "destination": run["destination"]}
        as_run |= {k: stored.get(k) for k in _RESULT_OPTIONS if k not in as_run}
        for key, value in as_run.items():
            if given[key] is not None and given[key] != value:
                option = key.replace("_", "-")
                raise BatchError(f"run {self.run_id} was checked with --{option} {value}, not {given[key]}")
        self.settings = replace(self.settings, **as_run)
        self.done = [f["lines"] for f in self.store.files(self.run_id)]
        self.totals = self.store.totals(self.run_id)

    def _replay_quota(self) -> None:
        """Rebuild the caps' ledger from the stored claims, as they stood before settling."""
        assert self.store is not None and self.run_id is not None
        for stored in self.store.quota_results(self.run_id):
            claims = [q.model_copy(update={"used_before": None, "within": None}) for q in stored.quota]
            self.checker.settle([stored.model_copy(update={"quota": claims})])

    def results(self) -> Iterator[Result]:
        """Run: yield each line's result in input order (only if `keep_results`), storing as it goes."""
        for out in self._run("results" if self.keep_results else "none"):
            yield from out.results or ()

    def json_records(self) -> Iterator[str]:
        """Run: yield each line's JSON record (as `--format jsonl` writes it) in input order, storing as
        it goes. The workers render them, so the main process only writes them out."""
        for out in self._run("json"):
            yield from out.texts or ()

    def _run(self, keep: str) -> Iterator[ChunkOut]:
        """Each chunk's output in input order, settled and stored; the run is finished, or marked
        interrupted or failed, when this generator ends."""
        status = "failed"
        ordered = self._ordered(self._chunks(), keep)
        held = HeldChunks(self.checker, partial(put, units=minor_units(self.packs)))
        try:
            for out in ordered:
                with fewer_collections():
                    ready = held.feed(settle(self.checker, out))
                    for done in ready:
                        self._record(done)
                yield from ready
            for done in held.close():
                self._record(done)
                yield done
            status = "finished"
        except (KeyboardInterrupt, GeneratorExit):
            status = "interrupted"
            raise
        finally:
            ordered.close()
            if self.progress is not None:
                self.progress.close()
            if self.store is not None and self.run_id is not None:
                self._finish(status)

    def _finish(self, status: str) -> None:
        try:
            self.store.finish(self.run_id, status)  # type: ignore[union-attr,arg-type]
        except StoreError:
            if status == "finished":
                raise
            # the run stays unfinished (as it is): the first error is the one to report

    def _record(self, out: ChunkOut) -> None:
        add_rows(self.totals, out.rows)
        last = out.first_row + len(out.rows) - 1
        self.done[out.file] = last
        if self.store is not None and self.run_id is not None:
            duties = [d for per_line in out.duties for d in per_line]
            self.store.write_chunk(self.run_id, out.file, last, out.rows, duties, self.totals)
        if self.progress is not None:
            self.progress.update(self.totals.lines, self._bytes_read())

    def _chunks(self) -> Iterator[Chunk]:
        s = self.settings
        for n, path in enumerate(self.paths):
            self._source = source = RecordSource(path, s.input_format, s.encoding, s.sheet)
            records = iter(source)
            row = self.done[n] + 1
            if self.done[n]:
                skipped = sum(1 for _ in islice(records, self.done[n]))
                if skipped < self.done[n]:
                    raise BatchError(f"{path}: has fewer lines ({skipped}) than run {self.run_id} stored")
            while chunk := list(islice(records, s.chunk_size)):
                yield Chunk(n, row, chunk, path)
                row += len(chunk)
            self._read(n, source)
            self._finished_bytes += self.files[n].size or 0

    def _read(self, n: int, source: RecordSource) -> None:
        """A file read to its end: its bytes must be the ones recorded; a stream's are recorded now."""
        given = self.files[n]
        read_as_recorded(given, source.sha256)
        if given.sha256 is None and source.sha256 is not None:
            self.files[n] = replace(given, sha256=source.sha256, size=source.bytes_read)
            if self.store is not None and self.run_id is not None:
                self.store.record_input(self.run_id, n, source.sha256, source.bytes_read or 0)

    def _bytes_read(self) -> int:
        position = self._source.position() if self._source is not None else None
        return self._finished_bytes + (position or 0)

    def _ordered(self, chunks: Iterator[Chunk], keep: str) -> Iterator[ChunkOut]:
        """Each chunk's output in input order: in this process for one worker or one chunk, else across
        a pool of worker processes with a bounded window of chunks in flight."""
        first = list(islice(chunks, 2))
        if self.settings.workers <= 1 or len(first) < 2:
            for chunk in chain(first, chunks):
                with fewer_collections():
                    out = check_chunk(self.checker, chunk, keep)
                yield out
            return
        s = self.settings
        spec = WorkerSpec(s.rules, self.law_as_of, s.destination, self.hash, os.getpid(), s.reference_db)
        pool = ProcessPoolExecutor(self.settings.workers, initializer=_start_worker, initargs=(spec,))
        window: deque[Future[ChunkOut]] = deque()
        try:
            for chunk in chain(first, chunks):
                window.append(pool.submit(_work, chunk, keep))
                if len(window) > 2 * self.settings.workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        except BrokenProcessPool as exc:
            raise BatchError(f"a worker process stopped: {exc}") from exc
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


_RESULT_OPTIONS = ("input_format", "encoding", "sheet")
_SPEED_OPTIONS = ("workers", "chunk_size")


__all__ = ["Batch", "BatchError", "Settings", "StoreError", "check_chunk", "settle"]
