"""JSON records rendered from result batches: each line's record as the text of `Result.record_json()`, byte for
byte, built from the batch's columns and from pieces of JSON made once per plan, reason, exclusion and component.

Fields come in the order of `Result`'s fields. A field that the batch keeps in `other` (one added to `Result` but
not yet given columns) is written from its stored JSON where pydantic would put it: at the end on the fast path
(fields added after `extra`), else by the general path that walks `Result`'s fields one by one."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from string import Formatter

from pydantic_core import to_json

from .result import Result
from .result_batch import CHARGES, IDENTITY, SCALARS, Component, Exclusion, Plan, ResultBatch, Text, holes, money

KNOWN = (
    "row",
    "file",
    *IDENTITY,
    "verdict",
    "total_duty",
    "currency",
    "duties",
    "total_taxes",
    "taxes",
    "total_fees",
    "fees",
    "reasons",
    "excluded",
    "quota",
    "extra",
)
Piece = tuple[str, str | None]  # JSON-escaped literal text, then the hole after it (if any)
Filled = tuple[str, tuple[Piece, ...], str, int | None]  # a reason's JSON around a message to fill, its duty line


def js(value: object) -> str:
    """A value as pydantic writes it in a record (compact JSON, non-ASCII kept)."""
    return to_json(value).decode()


_CACHED = 100_000
_strings: dict[str | None, str] = {None: "null"}


def jc(value: str | None) -> str:
    """`js` of a value that repeats from line to line (codes, dates, origins), remembered (bounded)."""
    text = _strings.get(value)
    if text is None:
        if len(_strings) > _CACHED:
            _strings.clear()
            _strings[None] = "null"
        text = _strings[value] = js(value)
    return text


@lru_cache(maxsize=65_536)
def _component(c: Component) -> str:
    return f'{{"measure":{js(c.measure)},"heading":{js(c.heading)},"rate":{js(c.rate)},"basis":{js(c.basis)},'


@lru_cache(maxsize=65_536)
def _exclusion(x: Exclusion) -> str:
    return f'{{"measure":{js(x.measure)},"excluded_by":{js(x.excluded_by)},"reason":{js(x.reason)},"portion":'


@lru_cache(maxsize=65_536)
def compiled(template: str) -> tuple[Piece, ...]:
    """A message template as JSON-escaped literal pieces and the holes after them."""
    return tuple((js(literal)[1:-1], name) for literal, name, _, _ in Formatter().parse(template))


@lru_cache(maxsize=65_536)
def _text(t: Text, duty: int | None) -> str | Filled:
    """A plan reason's JSON, or (when its message has holes) the JSON around the message and the message's pieces."""
    head = f'{{"severity":{js(t.severity)},"rule":{js(t.rule)},"message":'
    tail = f',"citation":{js(t.citation)}}}'
    pieces = compiled(t.message)
    if all(name is None for _, name in pieces):
        return head + '"' + "".join(literal for literal, _ in pieces) + '"' + tail
    return head, pieces, tail, duty


def _literal(t: Text) -> str:
    return f'{{"severity":{js(t.severity)},"rule":{js(t.rule)},"message":{js(t.message)},"citation":{js(t.citation)}}}'


class Renderer:
    """Renders the records of one batch. What its lines share (plans, components) is looked up by identity: the
    batch holds them, and equal values in different objects only cost a second lookup."""

    def __init__(self, b: ResultBatch) -> None:
        self.b = b
        self.path = "null" if b.path is None else js(b.path)
        self.components: dict[int, str] = {}
        self.plans: dict[int, tuple[tuple[str | Filled, ...], tuple[str, ...]]] = {}

    def _plan(self, plan: Plan) -> tuple[tuple[str | Filled, ...], tuple[str, ...]]:
        parts = self.plans.get(id(plan))
        if parts is None:
            parts = self.plans[id(plan)] = (
                tuple(_text(t, duty) for t, duty in plan.reasons),
                tuple(_exclusion(x) for x, _ in plan.excluded),
            )
        return parts

    def charges(self, n: int, digits: int) -> dict[str, str]:
        """The line's duties, taxes and fees, each list as JSON (keyed by charge kind)."""
        b, parts = self.b, {"duty": [], "tax": [], "fee": []}
        for d in range(b.duty_start[n], b.duty_start[n + 1]):
            c = b.duty_component[d]
            head = self.components.get(id(c)) or self.components.setdefault(id(c), _component(c))
            parts[c.charge].append(f'{head}"basis_value":"{b.duty_basis[d]}","amount":"{b.amount(d, digits)}"}}')
        return {kind: "[" + ",".join(lines) + "]" for kind, lines in parts.items()}

    def reasons(self, n: int) -> str:
        b = self.b
        parts = [p if p.__class__ is str else self._fill(n, p) for p in self._plan(b.plan[n])[0]]  # type: ignore[arg-type]
        for after, text in reversed(b.line_reasons.get(n, ())):  # each after the first `after` plan reasons
            parts.insert(after, _literal(text))
        return "[" + ",".join(parts) + "]"

    def _fill(self, n: int, part: Filled) -> str:
        head, pieces, tail, duty = part
        values = holes(self.b, n, duty)
        text = "".join(literal + (js(values[name])[1:-1] if name else "") for literal, name in pieces)
        return f'{head}"{text}"{tail}'

    def excluded(self, n: int) -> str:
        b = self.b
        heads = self._plan(b.plan[n])[1]
        if not heads:
            return "[]"
        portions = iter(b.portions.get(n, ()))
        flags = b.plan[n].excluded
        parts = [h + (f'"{next(portions)}"}}' if has else "null}") for h, (_, has) in zip(heads, flags, strict=True)]
        return "[" + ",".join(parts) + "]"

    def quota(self, n: int) -> str:
        claims = self.b.quota.get(n)
        return js(claims) if claims else "[]"

    def extra(self, n: int) -> str:
        extra = self.b.extra.get(n)
        return js(extra) if extra else "{}"

    def record(self, n: int) -> str:
        """Line `n`'s record as `Result.record_json()` writes it."""
        if not FAST:
            return self.general(n)
        b = self.b
        digits = b.minor_units.get(b.currency[n], 0)
        entry = b.entry_number[n]
        charges = self.charges(n, digits)
        text = (
            f'{{"row":{b.row[n]},"file":{self.path},"entry_number":{"null" if entry is None else js(entry)},'
            f'"line_number":{jc(b.line_number[n])},"destination":{jc(b.destination[n])},'
            f'"hts_code":{jc(b.hts_code[n])},"origin":{jc(b.origin[n])},"entry_date":{jc(b.entry_date[n])},'
            f'"verdict":{jc(b.verdict[n])},"total_duty":{_amount(b.total_duty[n], digits)},'
            f'"currency":{jc(b.currency[n])},"duties":{charges["duty"]},'
            f'"total_taxes":"{money(b.total_taxes[n], digits)}","taxes":{charges["tax"]},'
            f'"total_fees":"{money(b.total_fees[n], digits)}","fees":{charges["fee"]},"reasons":{self.reasons(n)},'
            f'"excluded":{self.excluded(n)},"quota":{self.quota(n)},"extra":{self.extra(n)}'
        )
        if OTHER:
            values = b.other.get(n, {})
            text += "".join(f',"{name}":{values.get(name, default)}' for name, default in OTHER)
        return text + "}"

    def general(self, n: int) -> str:
        """The record field by field in `Result`'s order (any order of known and other fields)."""
        values = self.b.other.get(n, {})
        parts = [
            f'"{name}":{FIELDS[name](self, n) if name in FIELDS else values.get(name, default)}'
            for name, default in ORDER
        ]
        return "{" + ",".join(parts) + "}"

    def records(self) -> list[str]:
        return [self.record(n) for n in range(len(self.b))]


def _scalar(name: str) -> Callable[[Renderer, int], str]:
    return lambda r, n: js(getattr(r.b, name)[n])


def _amount(minor: int | None, digits: int) -> str:
    """A line's total as the record has it: decimal text, or null (an invalid line has no duty)."""
    return "null" if minor is None else f'"{money(minor, digits)}"'


def _money(column: str) -> Callable[[Renderer, int], str]:
    return lambda r, n: _amount(getattr(r.b, column)[n], r.b.digits(n))


def _charge(kind: str) -> Callable[[Renderer, int], str]:
    return lambda r, n: r.charges(n, r.b.digits(n))[kind]


FIELDS: dict[str, Callable[[Renderer, int], str]] = {
    **{name: _scalar(name) for name in SCALARS},
    "row": lambda r, n: str(r.b.row[n]),
    "file": lambda r, n: r.path,
    **{total: _money(total) for _, total, _ in CHARGES},
    **{lines: _charge(kind) for lines, _, kind in CHARGES},
    "reasons": Renderer.reasons,
    "excluded": Renderer.excluded,
    "quota": Renderer.quota,
    "extra": Renderer.extra,
}
ORDER = tuple(
    (name, "null" if name in FIELDS or info.is_required() else js(info.get_default(call_default_factory=True)))
    for name, info in Result.model_fields.items()
    if not info.exclude
)
OTHER = tuple((name, default) for name, default in ORDER if name not in FIELDS)
FAST = tuple(name for name, _ in ORDER[: len(KNOWN)]) == KNOWN  # the known fields first, others after them


def records_json(b: ResultBatch) -> list[str]:
    return Renderer(b).records()
