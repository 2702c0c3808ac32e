"""Lint checks on what validated: references (lists, targets, documents, origins, attributes), windows
that end before they start, unconfirmed measures, and the durable-rules limits a pack would break."""

from __future__ import annotations

import datetime as dt

from ..match.compile import compile_pack
from ..match.limits import OPERATORS_ADVICE, too_many_fact_fields, too_many_operators, too_many_paths
from ..packs.load import Pack
from ..packs.model import Measure
from ..packs.queries import known_origin
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
    first = unique_measures(src)
    groups = {loc.measure.stacking.group for loc in src.measures if loc.measure.stacking.group}
    for loc in src.measures:
        m = loc.measure
        if first[m.id] is not loc:
            other = first[m.id]
            src.add(
                "CL011",
                loc.doc.path,
                loc.line("id"),
                f"duplicate measure id {m.id} (first in {other.doc.path.name}:{other.line('id')})",
            )
        _lists(src, loc)
        _origins(src, loc)
        _conditions(src, loc)
        _attributes(src, loc, "scope", m.scope.attributes, "scope", "attributes")
        _attributes(src, loc, "scope", m.scope.exclude_attributes, "scope", "exclude_attributes")
        _in_transit(src, loc)
        for i, ex in enumerate(m.stacking.excludes):
            known = ex.target[6:] in groups if ex.target.startswith("group:") else ex.target in first
            if not known:
                src.add(
                    "CL005",
                    loc.doc.path,
                    loc.line("stacking", "excludes", i, "target"),
                    f"measure {m.id}: unknown stacking target {ex.target!r}",
                )
        for i, target in enumerate(m.basis.of):
            if target not in first:
                src.add("CL005", loc.doc.path, loc.line("basis", "of", i), f"measure {m.id}: unknown basis {target!r}")
        if m.status == "unconfirmed":
            note = f" ({m.note})" if m.note else ""
            src.add("CL009", loc.doc.path, loc.line("status"), f"measure {m.id} is unconfirmed{note}")
    _precedence(src, set(first))


def _lists(src: PackSource, loc: Located) -> None:
    codes = loc.measure.scope.codes
    if codes is None:
        return
    for key, names in (("lists", codes.lists), ("exclude_lists", codes.exclude_lists)):
        for j, name in enumerate(names):
            if name not in src.lists:
                src.add(
                    "CL004",
                    loc.doc.path,
                    loc.line("scope", "codes", key, j),
                    f"measure {loc.measure.id}: unknown list {name!r} (no lists/{name}.yaml or .csv)",
                )


def _origins(src: PackSource, loc: Located) -> None:
    if src.header is None:
        return
    scope = loc.measure.scope
    for key, origins in (("origins", scope.origins), ("exclude_origins", scope.exclude_origins)):
        for j, origin in enumerate(origins):
            if not known_origin(src.header, origin):
                src.add(
                    "CL012",
                    loc.doc.path,
                    loc.line("scope", key, j),
                    f"measure {loc.measure.id}: unknown origin or area {origin!r}",
                )


def _conditions(src: PackSource, loc: Located) -> None:
    m = loc.measure
    documents = src.header.documents if src.header else {}
    for ci, cond in enumerate(m.conditions):
        for di, alt in enumerate(cond.alternatives()):
            line = loc.line("conditions", ci, "documents", di)
            if documents and alt.document not in documents:
                src.add(
                    "CL006",
                    loc.doc.path,
                    line,
                    f"measure {m.id}: condition {cond.id}: unknown document code {alt.document!r}",
                )
            if alt.from_ and alt.until and alt.until <= alt.from_:
                src.add(
                    "CL003",
                    loc.doc.path,
                    line,
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


def _precedence(src: PackSource, ids: set[str]) -> None:
    if src.header is None or src.header_doc is None:
        return
    for pi, p in enumerate(src.header.precedence):
        for ri, rank in enumerate(p.order):
            for ti, target in enumerate(rank):
                if not target.startswith("group:") and target not in ids:
                    line = src.header_doc.line(("precedence", pi, "order", ri, ti))
                    src.add(
                        "CL005",
                        src.header_doc.path,
                        line,
                        f"precedence {p.id}: unknown measure {target!r} (a group is written group:NAME)",
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
