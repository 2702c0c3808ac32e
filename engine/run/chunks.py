"""The unit of work of a batch run: `check_chunk(checker, chunk)`, a pure function of the rule packs and one
chunk of raw records, which returns the chunk's result batch (and the `Result`s that the sequential step needs);
`settle` is that sequential step (the cross-line caps), run in the main process in input order.

What the law computes per entry is settled where it can be: an entry that lies wholly inside the chunk is settled
by the unit of work itself (`settle_within`); only the chunk's first and last entries (which may run on into the
chunks around) and entries with cap claims (settled after the caps) travel to the main process as `Result`s."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ..compute.columns import computed_batch
from ..packs.load import Pack
from ..report.adapter import from_results, replace_line, settled, to_result
from ..report.records import Renderer
from ..report.result import Result
from ..report.result_batch import ResultBatch
from ..resolve.per_entry import entry_key, inner_entries, settle_entry, split
from .check import Checker


@dataclass(frozen=True)
class Chunk:
    file: int
    first_row: int
    records: list[dict]
    path: str | None = None  # the file's name, as results name it


@dataclass
class ChunkOut:
    """One chunk's lines as a result batch, in input order. `pending` holds the results that the sequential
    step must see (see `needs_settle`); `results` every result, or `texts` every line's JSON record, if asked for.
    `entries`: the entries settled in the unit of work (`settle_within`), each as its key and its lines' offsets."""

    batch: ResultBatch
    pending: dict[int, Result] = field(default_factory=dict)
    entries: list[tuple[tuple, list[int]]] = field(default_factory=list)
    results: list[Result] | None = None
    texts: list[str] | None = None

    @property
    def file(self) -> int:
        return self.batch.file


KEEP = ("none", "results", "json")  # what a chunk's output carries besides its batch


def needs_settle(checker: Checker, result: Result) -> bool:
    """Whether the sequential step can change this result: lines with quota claims (the cross-line caps) and
    lines settled with their whole entry (`Checker.takes_part`); settle returns every other result unchanged
    (tests/run/test_batch.py checks this)."""
    return bool(result.quota) or checker.takes_part(result)


def minor_units(packs: dict[str, Pack]) -> dict[str, int]:
    return {p.header.currency: p.header.minor_unit for p in packs.values()}


def check_chunk(checker: Checker, chunk: Chunk, keep: str = "none") -> ChunkOut:
    """The pure unit of work: rule packs + one chunk of raw records -> the chunk's result batch and, as `keep`
    asks (see KEEP), its results or their JSON records (rendered here, in the worker). The batch is computed by
    the plans' programs (engine/compute); `Result`s are made only for the lines the programs leave to the reference
    resolve and for the lines settled with their entry, or for every line when `keep` asks for them."""
    if keep not in KEEP:
        raise ValueError(f"keep must be one of {', '.join(KEEP)}, not {keep!r}")
    if keep == "results":  # whole Results asked for (the table and CI formats): the reference path
        return _reference_chunk(checker, chunk)
    units = minor_units(checker.packs)
    batch, results, _ = computed_batch(checker, chunk.records, chunk.first_row, chunk.file, chunk.path, units)
    offsets = sorted(results)
    within, entries = settle_within(checker, [results[n] for n in offsets])
    entries = [(key, [offsets[k] for k in inner]) for key, inner in entries]
    for k, n in enumerate(offsets):
        if within[k] is not results[n]:  # settled with its entry in this unit of work
            replace_line(batch, n, within[k])
            results[n] = within[k]
    inside = {n for _, inner in entries for n in inner}
    return ChunkOut(
        batch=batch,
        pending={n: r for n, r in results.items() if n not in inside and needs_settle(checker, r)},
        entries=entries,
        texts=Renderer(batch).records() if keep == "json" else None,
    )


def _reference_chunk(checker: Checker, chunk: Chunk) -> ChunkOut:
    """The chunk resolved line by line (`Checker.check_chunk`), every line's `Result` kept."""
    results = checker.check_chunk(chunk.records, chunk.first_row)
    if chunk.path is not None:  # named here, in the worker, not in the main process
        results = [r.model_copy(update={"file": chunk.path}) for r in results]
    results, entries = settle_within(checker, results)
    batch = from_results(results, chunk.file, chunk.path, minor_units(checker.packs))
    inside = {n for _, offsets in entries for n in offsets}
    return ChunkOut(
        batch=batch,
        pending={n: r for n, r in enumerate(results) if n not in inside and needs_settle(checker, r)},
        entries=entries,
        results=results,
    )


def settle_within(checker: Checker, results: list[Result]) -> tuple[list[Result], list[tuple[tuple, list[int]]]]:
    """The chunk's results with each entry that lies wholly inside it settled (`per_entry.inner_entries`; not an
    entry with cap claims: the caps are settled first, in the main process), and each such entry's key and offsets.
    Whether such an entry's lines turned up after other entries is known only in the main process (`split_line`)."""
    out = list(results)
    entries = []
    for offsets in inner_entries(results, checker.takes_part):
        lines = [results[n] for n in offsets]
        law = checker.entry_law.get(lines[0].destination or "")
        if law is None or any(r.quota for r in lines):
            continue
        for n, result in zip(offsets, settle_entry(lines, law), strict=True):
            out[n] = result
        entries.append((entry_key(lines[0]), offsets))
    return out, entries


def settle(checker: Checker, out: ChunkOut) -> ChunkOut:
    """The sequential step, in the main process and in input order: caps across the whole run."""
    if not out.pending:
        return out
    offsets = sorted(out.pending)
    for n, result in zip(offsets, checker.settle([out.pending[n] for n in offsets]), strict=True):
        if result is not out.pending[n]:  # a cap claim counted: verdict, claims and reasons appended
            settled(out.batch, n, out.pending[n], result)
            kept(out, n, result)
    return out


def put(out: ChunkOut, n: int, result: Result) -> None:
    """Line `n` of the chunk, settled with its entry (its charges, reasons and verdict may all change)."""
    if result is not out.pending.get(n):
        replace_line(out.batch, n, result)
        kept(out, n, result)


def split_line(out: ChunkOut, n: int) -> None:
    """Line `n` of an entry settled in the unit of work whose lines turned up after other entries of its file."""
    result = out.results[n] if out.results is not None else to_result(out.batch, n)
    put(out, n, split(result))


def kept(out: ChunkOut, n: int, result: Result) -> None:
    """What the chunk carries besides its batch, for a line settled after the batch was made."""
    out.pending[n] = result
    if out.results is not None:
        out.results[n] = result
    if out.texts is not None:
        out.texts[n] = result.record_json()  # the text the batch renders (tests/report/test_records.py)


def rules_hash(packs: dict[str, Pack]) -> str:
    text = json.dumps(sorted((p.header.jurisdiction, p.id, p.content_hash) for p in packs.values()))
    return hashlib.sha256(text.encode()).hexdigest()
