"""The pipeline: load -> match -> resolve -> report, over a stream of input records.

`Checker` holds the packs of one run and, per destination, the compiled rules and their matcher. Lines
are checked in chunks: each chunk is parsed, turned into facts, matched by durable-rules in one session,
then resolved line by line. Every record yields exactly one `Result`."""

from __future__ import annotations

import datetime as dt
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from decimal import Decimal
from itertools import islice

from ..compute.program import Program, Programs
from ..entries.columns import LineView, Validator, view_of, with_rate
from ..entries.line import COLUMNS, InputProblem, Line, normalise_keys, parse_line
from ..entries.readers import check_readable, read_records
from ..entries.records import LINE, NOTES, NUMERIC, PROBLEM, PROBLEM_COLUMN, RESERVED
from ..match.compile import CompiledPack, compile_pack
from ..match.keys import MatchKeys
from ..match.matcher import Matcher, QuotaLedger
from ..packs.load import Pack, contract_of
from ..reference import HtsReference as Reference
from ..reference import reference_check
from ..report.result import SEVERITY_OF_ACTION, QuotaClaim, Reason, Result, verdict_of, with_reasons
from ..resolve.per_entry import EntryGroups, entry_law, takes_part
from ..resolve.stacking import resolve

Prepared = tuple[CompiledPack, LineView, "frozenset | Exception", list[Reason]]
CHUNK = 1000  # lines per work unit: larger chunks gain nothing measurable and hold more memory per process


class Checker:
    def __init__(
        self,
        packs: dict[str, Pack],
        law_as_of: dt.date | None = None,
        default_destination: str | None = None,
        references: dict[str, Reference] | None = None,
    ) -> None:
        """`references` maps a schedule name (a pack's `schedule`, e.g. `htsus`) to its reference data,
        which fills missing MFN rates and refuses codes that do not exist (see engine/reference/__init__.py)."""
        self.packs = packs
        require_pack(packs, default_destination)
        self.law_as_of = law_as_of or dt.date.today()
        self.contract = contract_of([p.header for p in packs.values()])
        self.default_destination = default_destination or self.contract.default
        self.references = references or {}
        self._engines: dict[str, tuple[CompiledPack, Matcher]] = {}
        self._match_keys: dict[str, MatchKeys] = {}
        self._programs: dict[str, Programs] = {}
        self._validator = Validator(self.default_destination, self.contract)
        self._ledger = QuotaLedger()
        # One thread at a time: the matchers keep per-session state (the hit set, the key cache) that two threads
        # would mix up, silently (tests/run/test_threads.py). An executor runs one thread per Checker anyway.
        self._lock = threading.RLock()
        self.entry_law = entry_law(packs.items())
        for destination in packs:  # compile now: a pack durable-rules cannot hold fails before any output
            self.engine(destination)

    def engine(self, destination: str) -> tuple[CompiledPack, Matcher] | None:
        if destination not in self.packs:
            return None
        if destination not in self._engines:
            compiled = compile_pack(self.packs[destination], self.law_as_of)
            self._engines[destination] = (compiled, Matcher(compiled))
        return self._engines[destination]

    def check(self, records: Iterable[dict], start_row: int = 1) -> Iterator[Result]:
        """One result per record, in input order. Rows are numbered from `start_row`. A line whose entry is
        settled as a whole (`takes_part`) waits until the entry's last line has passed."""
        it = iter(records)
        row = start_row
        entries = self.entry_groups()
        waiting: deque[Result | None] = deque()
        first = 0  # the position of waiting[0] in the stream
        while chunk := list(islice(it, CHUNK)):
            for result in self.settle(self.check_chunk(chunk, row)):
                position = first + len(waiting)
                if self.takes_part(result):
                    waiting.append(None)
                    for at, settled in entries.add(position, result):
                        waiting[at - first] = settled  # type: ignore[operator]
                else:
                    waiting.append(result)
                while waiting and waiting[0] is not None:
                    yield waiting.popleft()  # type: ignore[misc]
                    first += 1
            row += len(chunk)
        for at, settled in entries.close():
            waiting[at - first] = settled  # type: ignore[operator]
        yield from waiting  # type: ignore[misc]

    def takes_part(self, result: Result) -> bool:
        """Whether the result's entry must be settled as a whole before the result is final."""
        return takes_part(result, self.entry_law.get(result.destination or ""))

    def entry_groups(self) -> EntryGroups:
        """A fresh grouping of results into entries, in input order (one per run)."""
        return EntryGroups(lambda destination: self.entry_law.get(destination or ""))

    def settle(self, results: list[Result]) -> list[Result]:
        """The sequential step after `check_chunk`: cross-line rules (quantity caps) that depend on every
        earlier line of the run. Call it on each chunk's results in input order, in one process."""
        with self._lock:
            return [self._settle_one(r) if r.quota else r for r in results]

    def replay(self, claims: Iterable[QuotaClaim]) -> None:
        """Count claims settled before (a resumed run's stored lines, in input order) against their caps."""
        for q in claims:
            self._ledger.claim(_cap_key(q), q.units, q.limit)

    def _settle_one(self, result: Result) -> Result:
        claims, reasons = [], list(result.reasons)
        for q in result.quota:
            used, within = self._ledger.claim(_cap_key(q), q.units, q.limit)
            if q.within is not None:  # settled before (a resumed run replays it): counted, decision kept
                claims.append(q)
                continue
            claims.append(q.model_copy(update={"used_before": used, "within": within}))
            if not within:
                reasons.append(_over_cap(self.packs, result.destination, q, used))
        return result.model_copy(update={"quota": claims, "reasons": reasons, "verdict": verdict_of(reasons)})

    def check_chunk(self, records: list[dict], first_row: int) -> list[Result]:
        """A pure unit of work: the same chunk and packs always give the same results. The chunk is read
        column by column (`Validator`) and matched by key (`MatchKeys`); each line is then resolved."""
        with self._lock:
            return self._check_chunk(records, first_row)

    def _check_chunk(self, records: list[dict], first_row: int) -> list[Result]:
        out = []
        for offset, item in enumerate(self.prepared(records, first_row)):
            res = item if isinstance(item, Result) else self.resolved(*item)
            out.append(finished(records[offset], res))
        return out

    def prepared(self, records: list[dict], first_row: int) -> list[Result | Prepared]:
        """Each record of a chunk, in input order: its `invalid` result, or what resolving it takes (the compiled
        pack, the line, the rules it matched, what the reference schedule said of it). The chunk is read column by
        column (`Validator`) and matched by key (`MatchKeys`)."""
        views = self._validator.lines(records, first_row)
        results: dict[int, Result | Prepared] = {}
        groups: dict[str, list[LineView]] = {}
        for offset, view in enumerate(views):
            row = first_row + offset
            if view is None:  # not clean: the per-line parser names its problems (or reads it after all)
                parsed = self._parse(row, records[offset])
                if not isinstance(parsed, Line):
                    results[row] = self.invalid(row, records[offset], parsed)
                    continue
                view = view_of(parsed)
            if view.destination in self.packs:
                groups.setdefault(view.destination, []).append(view)
            else:
                results[row] = self.invalid(row, records[offset], [no_pack(view.destination)])
        for destination, group in groups.items():
            keys = self._keys(destination)
            notes = self._with_reference(keys.compiled, group)
            for view, refs, note in zip(group, keys.refs(group), notes, strict=True):
                results[view.row] = (keys.compiled, view, refs, note)
        return [results[first_row + offset] for offset in range(len(records))]

    def programs(self) -> int:
        """How many programs the run has compiled (and still keeps)."""
        return sum(len(p) for p in self._programs.values())

    def program(self, destination: str, compiled: CompiledPack, refs: frozenset) -> Program:
        """The program of a matched-rule set of a destination's pack (compiled once, kept for the run)."""
        programs = self._programs.get(destination)
        if programs is None:
            programs = self._programs[destination] = Programs(compiled)
        return programs(refs)

    def _keys(self, destination: str) -> MatchKeys:
        """The match keys of a destination's pack (made once, kept for the run: its cache serves every chunk)."""
        if destination not in self._match_keys:
            compiled, matcher = self.engine(destination)  # type: ignore[misc]
            self._match_keys[destination] = MatchKeys(compiled, matcher)
        return self._match_keys[destination]

    def resolved(self, compiled: CompiledPack, view: LineView, refs: frozenset | Exception, note: list) -> Result:
        if isinstance(refs, Exception):
            return self.invalid(view.row, {}, [engine_error(refs)], view)  # type: ignore[arg-type]
        try:
            return with_reasons(resolve(compiled, view, refs), note, first=True)  # type: ignore[arg-type]
        except Exception as exc:  # an arithmetic or rule fault on one line must not stop the run
            problem = InputProblem(column="*", message=f"cannot compute this line: {type(exc).__name__}: {exc}")
            return self.invalid(view.row, {}, [problem], view)  # type: ignore[arg-type]

    def _with_reference(self, compiled: CompiledPack, group: list[LineView]) -> list[list[Reason]]:
        """Fill each line's MFN rate from the pack's reference schedule; what it said of each line."""
        ref = self.references.get(compiled.pack.header.schedule or "")
        if ref is None:
            return [[] for _ in group]
        notes = []
        for view in group:
            mfn_rate, reasons = reference_check(view, ref)  # type: ignore[arg-type]
            if mfn_rate != view.mfn_rate:
                with_rate(view, mfn_rate)
            notes.append(reasons)
        return notes

    def _parse(self, row: int, raw: dict) -> Line | list[InputProblem]:
        if PROBLEM in raw:
            return [InputProblem(column=str(raw.get(PROBLEM_COLUMN) or "row"), message=str(raw[PROBLEM]))]
        try:
            parsed = parse_line(row, raw, self.default_destination, self.contract)
        except Exception as exc:  # a parser bug must still give this line an answer
            return [InputProblem(column="row", message=f"cannot read this line: {exc}")]
        return with_hints(parsed, raw[NOTES]) if NOTES in raw and not isinstance(parsed, Line) else parsed

    def invalid(self, row: int, raw: dict, problems: list[InputProblem], line: Line | None = None) -> Result:
        """The `invalid` result of a line that could not be checked: no duty, a reason naming each bad column."""
        cols = normalise_keys(raw) if raw else {}
        destination = (
            line.destination if line else ((cols.get("destination") or self.default_destination or "").upper())
        )
        pack = self.packs.get(destination)
        zero = Decimal(0).scaleb(-pack.header.minor_unit) if pack else Decimal(0)  # no taxes or fees: 0.00 USD
        return _invalid(row, cols, problems, line, destination, pack.header.currency if pack else "", zero)


class NoPackError(ValueError):
    """A destination was asked for (`--destination`) that no rule pack covers: a usage error."""


def require_pack(packs: dict[str, Pack], destination: str | None) -> None:
    """Refuse, before any line is read, a default destination that no pack covers (it would make every
    line invalid)."""
    if destination is not None and destination not in packs:
        raise NoPackError(f"no rule pack for destination {destination!r} (packs: {', '.join(sorted(packs)) or 'none'})")


def _cap_key(q: QuotaClaim) -> str:
    return f"{q.measure}|{q.condition}|{q.key}|{q.year}"


def no_pack(destination: str) -> InputProblem:
    return InputProblem(column="destination", message=f"no rule pack for destination {destination}")


def engine_error(exc: Exception) -> InputProblem:
    return InputProblem(column="*", message=f"rule engine error on this line: {exc}")


def _invalid(
    row: int,
    cols: dict[str, str],
    problems: list[InputProblem],
    line: Line | None,
    destination: str,
    currency: str,
    zero: Decimal,
) -> Result:
    return Result(
        row=row,
        entry_number=line.entry_number if line else (cols.get("entry_number") or None),
        line_number=line.line_number if line else (cols.get("line_number") or None),
        destination=destination,
        hts_code=line.hts_code if line else (cols.get("hts_code") or None),
        origin=line.origin if line else (cols.get("origin") or None),
        entry_date=line.entry_date.isoformat() if line else (cols.get("entry_date") or None),
        verdict="invalid",
        total_duty=None,
        total_taxes=zero,  # rounded like every total of a line (the record prints 0.00 in USD)
        total_fees=zero,
        currency=currency,
        reasons=[
            Reason(severity="error", rule=f"input.{p.column}", message=f"{p.column}: {p.message}") for p in problems
        ],
    )


_KNOWN = frozenset(COLUMNS) | RESERVED


def with_hints(problems: list[InputProblem], notes: tuple) -> list[InputProblem]:
    """A missing required column's problem says which names the header has closest to it."""
    hints = {column: message for kind, column, message in notes if kind == "missing"}
    return [
        InputProblem(column=p.column, message=f"missing (required): {hints[p.column]}") if p.column in hints else p
        for p in problems
    ]


def input_notes(raw: dict, result: Result) -> list[Reason]:
    """What the file's header said of this line (a column close to a known one, not read), and a tariff
    code whose spreadsheet cell was a number and lost its leading zero (restored)."""
    reasons = [
        Reason(severity="warning", rule=f"input.{column}", message=f"{column}: {message}")
        for kind, column, message in raw.get(NOTES, ())
        if kind == "warning"
    ]
    cell = str(raw.get("hts_code") or "")
    if "hts_code" in raw.get(NUMERIC, ()) and result.verdict != "invalid" and result.hts_code != cell:
        message = f"hts_code: the workbook cell {cell} is a number (leading zeros dropped): read as {result.hts_code}"
        reasons.append(Reason(severity="info", rule="input.hts_code", message=message))
    return reasons


def finished(raw: dict, res: Result) -> Result:
    """A line's result with what its record says of the input: header notes, where it is in its file, the columns
    passed through."""
    if NOTES in raw or NUMERIC in raw:
        res = with_reasons(res, input_notes(raw, res), first=True)
    update = _located(raw)
    extra = extra_columns(raw)
    if extra:
        update["extra"] = extra
    return res.model_copy(update=update) if update else res


def _located(raw: dict) -> dict:
    """The physical line the reader found the record on, if it said."""
    line = raw.get(LINE)
    return {"line": line} if isinstance(line, int) else {}


def extra_columns(raw: dict) -> dict[str, str]:
    """The columns the contract does not know, passed through (names normalised)."""
    if _KNOWN.issuperset(raw):  # the usual case: nothing to pass through
        return {}
    return {k: v for k, v in normalise_keys(raw).items() if k not in _KNOWN}


def _over_cap(packs: dict[str, Pack], destination: str | None, q: QuotaClaim, used: Decimal) -> Reason:
    """The condition's own action (e.g. reject) for a line past its cap."""
    pack = packs[destination or ""]
    m = pack.measure(q.measure)
    cond = next(c for c in m.conditions if c.id == q.condition)
    alt = cond.capped()
    document = alt.document if alt else "the capped document"
    severity = SEVERITY_OF_ACTION[cond.action]
    return Reason(
        severity=severity,
        rule=f"{m.id}.{cond.id}.cap",
        message=f"{cond.message} ({document} is limited to {q.limit} units per {q.key} in {q.year}: "
        f"{used} already used in this run, this line has {q.units})",
        citation="; ".join(cond.citations or m.citations),
    )


def check_files(paths: Iterable[str], checker: Checker, fmt: str | None = None) -> Iterator[Result]:
    """Results of every line of every file, in order; rows are numbered within each file.
    Every path is checked to be a readable file now, before any line is read."""
    paths = list(paths)
    for path in paths:
        check_readable(path)
    return _results(paths, checker, fmt)


def _results(paths: list[str], checker: Checker, fmt: str | None) -> Iterator[Result]:
    for path in paths:
        for result in checker.check(read_records(path, fmt)):
            yield result.model_copy(update={"file": path})
