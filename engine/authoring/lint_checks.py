"""Lint checks on what validated: references (lists, targets, documents, origins, attributes), windows
that end before they start, unconfirmed measures, and the durable-rules limits a pack would break."""

from __future__ import annotations

import datetime as dt

from ..match.compile import compile_pack
from ..match.limits import OPERATORS_ADVICE, too_many_fact_fields, too_many_operators, too_many_paths
from ..packs.load import Pack
from ..packs.model import Measure
from ..packs.references import reference_problems
from .lint_read import Located, PackSource


def unique_measures(src: PackSource) -> dict[str, Located]:
    """The first measure of each id (a repeated id is reported by `check_references`)."""
    out: dict[str, Located] = {}
    for loc in src.measures:
        out.setdefault(loc.measure.id, loc)
    return out


def usable_measures(src: PackSource) -> dict[str, Located]:
    """The measures that can be compiled and compared: first of their id, every list they name known
    (the others are reported as CL011 and CL004)."""
    out = {}
    for mid, loc in unique_measures(src).items():
        codes = loc.measure.scope.codes
        if codes is None or set(codes.lists + codes.exclude_lists) <= set(src.lists):
            out[mid] = loc
    return out


def check_references(src: PackSource) -> None:
    """The pack's cross-references (see `packs.references`), each at its line; then what only lint checks of
    each measure: attributes declared, windows of documents and in-transit relief in order, unconfirmed."""
    measures = [loc.measure for loc in src.measures]
    for p in reference_problems(src.header, measures, src.lists):
        if p.where[0] == "header":
            if src.header_doc is not None:
                src.add(p.code, src.header_doc.path, src.header_doc.line(p.where[1:]), p.message)
            continue
        loc = src.measures[int(p.where[1])]
        message = p.message
        if p.first is not None:
            other = src.measures[p.first]
            message += f" (first in {other.doc.path.name}:{other.line('id')})"
        src.add(p.code, loc.doc.path, loc.line(*p.where[2:]), message)
    for loc in src.measures:
        m = loc.measure
        _conditions(src, loc)
        _attributes(src, loc, "scope", m.scope.attributes, "scope", "attributes")
        _attributes(src, loc, "scope", m.scope.exclude_attributes, "scope", "exclude_attributes")
        _in_transit(src, loc)
        if m.status == "unconfirmed":
            note = f" ({m.note})" if m.note else ""
            src.add("CL009", loc.doc.path, loc.line("status"), f"measure {m.id} is unconfirmed{note}")


def _conditions(src: PackSource, loc: Located) -> None:
    m = loc.measure
    for ci, cond in enumerate(m.conditions):
        for di, alt in enumerate(cond.alternatives()):
            if alt.from_ and alt.until and alt.until <= alt.from_:
                src.add(
                    "CL003",
                    loc.doc.path,
                    loc.line("conditions", ci, "documents", di),
                    f"measure {m.id}: condition {cond.id}: document "
                    f"{alt.document} `from` {alt.from_} must be before `until` {alt.until}",
                )
            if alt.cap is not None:
                _attributes(src, loc, "cap", {alt.cap.per_attribute: []}, "conditions", ci, "documents", di, "cap")
        _attributes(src, loc, f"condition {cond.id}", cond.attributes, "conditions", ci, "attributes")


def _attributes(src: PackSource, loc: Located, what: str, names: dict, *path: str | int) -> None:
    declared = {k.lower() for k in src.header.attributes} if src.header else set()
    if not declared:
        return
    for name in names:
        if name.lower() not in declared:
            src.add(
                "CL013",
                loc.doc.path,
                loc.line(*path, name),
                f"measure {loc.measure.id}: {what} tests attribute {name!r}, not declared in pack.yaml",
            )


def _in_transit(src: PackSource, loc: Located) -> None:
    t = loc.measure.dates.in_transit
    if t is not None and t.loaded_from is not None and t.loaded_from >= t.loaded_before:
        src.add(
            "CL003",
            loc.doc.path,
            loc.line("dates", "in_transit"),
            f"measure {loc.measure.id}: in-transit "
            f"`loaded_from` {t.loaded_from} must be before `loaded_before` {t.loaded_before}",
        )


def check_limits(src: PackSource) -> None:
    """Compile the whole pack (every measure, whatever its publication date) and measure it against the
    limits `Matcher` enforces at run time."""
    if src.header is None:
        return
    first = usable_measures(src)
    pack = Pack(
        header=src.header,
        measures=tuple(loc.measure for loc in first.values()),
        lists=src.lists,
        root=src.root,
        files=(),
        content_hash="",
    )
    compiled = compile_pack(pack, dt.date.max)
    header_path = src.root / "pack.yaml"
    for ref, cond in compiled.rules.values():
        where = first.get(ref.target)
        file, line = (where.doc.path, where.line()) if where else (header_path, 1)
        what = f"condition {ref.condition} of {ref.target}" if ref.condition else ref.target
        for problem, advice in (
            (too_many_paths(cond), _hint(where.measure if where else None)),
            (too_many_operators(cond), OPERATORS_ADVICE),
        ):
            if problem:
                src.add("CL010", file, line, f"{what}: the rule {problem}: {advice}")
    too_wide = too_many_fact_fields(compiled)
    if too_wide:
        src.add("CL010", header_path, 1, too_wide)


def _hint(m: Measure | None) -> str:
    if m is not None and m.scope.codes is not None and len(m.scope.codes.prefixes) > 20:
        return f"move its {len(m.scope.codes.prefixes)} `codes.prefixes` into a named list"
    return "split it, or use named lists and areas instead of long alternatives"
