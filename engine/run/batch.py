"""A batch run: `clearance check` over whole files, in chunks, across worker processes, recorded in the run
store, and `check`, the library function of that command.

The main process reads the files into chunks, has them checked (`workers.in_order`: in this process, across
worker processes or on a Dask cluster, outputs back in input order), runs `chunks.settle` (the cross-line caps) on each,
then writes the chunk and the run's totals in one transaction. A resumed run skips the stored lines and
replays the stored quota claims (`Checker.replay`), so its answers are those of an uninterrupted run."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from functools import partial
from importlib import metadata
from itertools import islice
from pathlib import Path
from typing import Protocol, TextIO

from ..entries.date_order import dates_read
from ..entries.headers import ColumnMap
from ..entries.readers import RecordSource
from ..packs.load import load_rules
from ..reference import references_in
from ..report.formats import write
from ..report.options import Options
from ..report.result import Result
from ..report.summary import Summary
from .check import CHUNK, Checker, require_pack
from .chunks import Chunk, ChunkOut, minor_units, put, rules_hash, settle, split_line
from .held import HeldChunks
from .inputs import file_digest, input_file, read_as_recorded, running_elsewhere
from .interrupts import held_signals
from .parts import Part, check_part, file_parts
from .store import Store, StoreError
from .workers import Executor, WorkerError, WorkerSpec, fewer_collections, in_order, reference_ids


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
    columns: tuple[tuple[str, tuple[str, ...]], ...] | None = None  # the user's column map (ColumnMap.user)
    date_order: str | None = None  # mdy: MM/DD/YYYY dates read as such (entries/date_order.py); None: YYYY-MM-DD
    workers: int = 1
    chunk_size: int = CHUNK
    reference_db: Path | None = None  # a database holding reference data (HTSUS editions) to check lines against
    executor: str = "local"  # where the chunks are checked: local processes or a Dask cluster (engine/run/workers.py)
    scheduler: str | None = None  # the Dask scheduler's address (None: a local cluster of `workers` processes)
    connect_timeout: float = 10.0  # seconds to reach the Dask scheduler


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
        self._ends: dict[tuple[int, int], int] = {}  # (file, first row) of a partition -> bytes read at its end
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
        as_run["columns"] = tuple((c, tuple(names)) for c, names in as_run["columns"] or ()) or None
        for key, value in as_run.items():
            if given[key] is not None and given[key] != value:
                option = key.replace("_", "-")
                raise BatchError(f"run {self.run_id} was checked with --{option} {value}, not {given[key]}")
        self.settings = replace(self.settings, **as_run)
        self.done = [f["lines"] for f in self.store.files(self.run_id)]
        self.totals = self.store.totals(self.run_id)

    def _replay_quota(self) -> None:
        """Rebuild the caps' ledger from the stored claims, in input order."""
        assert self.store is not None and self.run_id is not None
        with held_signals():  # durable-rules counts them in this process
            self.checker.replay(self.store.quota_claims(self.run_id))

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
        s = self.settings
        references = reference_ids(self.checker.references)
        spec = WorkerSpec(s.rules, self.law_as_of, s.destination, self.hash, os.getpid(), s.reference_db, references)
        if s.executor == "dask":  # the workers read the files themselves, in partitions
            from .dask_executor import DaskCluster  # the optional extra: imported only when asked for

            run = DaskCluster(spec, s.scheduler, s.workers, s.connect_timeout)
            ordered = run.map(partial(check_part, keep=keep), self._parts(run))
        else:
            ordered = in_order(self.checker, self._chunks(), keep, s.workers, spec, s.executor, s.scheduler)
        held = HeldChunks(self.checker, put, split_line)
        try:
            # fewer collections for the whole run, between chunks too: restoring Python's default at each chunk's
            # end had the collector rescan that chunk's young objects (README, Speed)
            with fewer_collections():
                for out in ordered:
                    if not len(out.batch):  # a partition whose records a resumed run had all stored
                        continue
                    with held_signals():
                        ready = held.feed(settle(self.checker, out))
                        for done in ready:
                            self._record(done)
                    yield from ready
                with held_signals():
                    ready = held.close()
                    for done in ready:
                        self._record(done)
                yield from ready
            status = "finished"
        except WorkerError as exc:
            raise BatchError(str(exc)) from exc
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
        batch = out.batch
        self.totals.add(batch)
        last = batch.row[-1]
        self.done[batch.file] = last
        if self.store is not None and self.run_id is not None:
            self.store.write_batch(self.run_id, batch, last, self.totals)
        if self.progress is not None:
            end = self._ends.pop((batch.file, batch.row[0]), None)  # a partition's end (--executor dask)
            self.progress.update(self.totals.lines, self._bytes_read() if end is None else end)

    def _chunks(self, only: int | None = None) -> Iterator[Chunk]:
        """The files' records, read here, in chunks (`only`: of that file)."""
        s = self.settings
        for n, path in enumerate(self.paths):
            if only is not None and n != only:
                continue
            columns = ColumnMap(s.columns or ())
            self._source = source = RecordSource(path, s.input_format, s.encoding, s.sheet, columns)
            records = dates_read(source, s.date_order)
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

    def _parts(self, run: Executor) -> Iterator[Chunk | Part]:
        """With --executor dask: each file's partitions, which the workers read from the file's path (standard
        input, which they cannot, in chunks read here). Each file is hashed again once its partitions are all given
        out: a file changed since the run began is refused (as a local run refuses it), not recorded."""
        s = self.settings
        for n, path in enumerate(self.paths):
            if self.files[n].sha256 is None:  # a stream: read here, once
                yield from self._chunks(only=n)
                continue
            where = os.path.abspath(path)
            whole = Part(n, path, where, s.input_format, s.encoding, s.sheet, s.columns or (), date_order=s.date_order)
            for part in file_parts(run, whole, s.chunk_size, self.done[n]):
                end = part.end if part.end is not None else self.files[n].size or 0
                self._ends[(n, part.first_row + part.skip)] = self._finished_bytes + end
                yield part
            read_as_recorded(self.files[n], file_digest(path))
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


# --- the library function of `clearance check` ---------------------------------------------------------


class Interrupted(Exception):
    """A run stopped by Ctrl-C (or SIGTERM turned into it): `run_id` is the run left unfinished in the
    database, which `resume=True` continues (None when the run was not recorded or had not begun)."""

    def __init__(self, run_id: int | None) -> None:
        super().__init__(f"run {run_id} interrupted" if run_id is not None else "interrupted")
        self.run_id = run_id


@dataclass(frozen=True)
class Checked:
    """What `check` did: the whole run's summary (a resumed run counts the lines stored before too) and
    its id in the run database (None with no database)."""

    summary: Summary
    run_id: int | None


def check(
    paths: list[str],
    settings: Settings,
    output: TextIO | None = None,
    fmt: str = "text",
    options: Options | None = None,
    db: Store | Path | None = None,
    resume: bool = False,
    progress: Callable[[int], ProgressSink] | None = None,
) -> Checked:
    """Check the entry files `paths` and write one result per input line to `output` in `fmt` (a format of
    `report.formats`, or `none`: nothing per line), recording the run in `db` if given (`resume`: continue
    the unfinished run over the same files there). `progress(total_bytes)` makes the sink the run reports to.
    Raises PackError, InputFileError, MatchError, StoreError, BatchError, OutputError or NoPackError (one-line
    messages), and `Interrupted` on Ctrl-C."""
    batch = None
    try:
        batch = Batch(paths, settings, db, resume=resume, keep_results=fmt != "none")
        if progress is not None:
            batch.progress = progress(sum(f.size or 0 for f in batch.files))
        if fmt == "none":
            for _ in batch.results():
                pass
        elif fmt == "jsonl":  # rendered by the workers: the same text as report/jsonl_format.py
            assert output is not None
            for text in batch.json_records():
                output.write(text)
                output.write("\n")
        else:
            assert output is not None
            write(fmt, batch.results(), output, options)
    except KeyboardInterrupt:
        raise Interrupted(batch.run_id if batch is not None else None) from None
    return Checked(batch.totals, batch.run_id)


_RESULT_OPTIONS = ("input_format", "encoding", "sheet", "columns", "date_order")
_SPEED_OPTIONS = ("workers", "chunk_size", "executor")


__all__ = ["Batch", "BatchError", "Interrupted", "Settings", "StoreError", "check"]
