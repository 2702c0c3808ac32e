"""`clearance rules list | show | schema`: the measures of the packs, one measure documented the way
`ruff rule` documents a rule, and the JSON Schema of the pack format for editors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from ..packs.load import Pack
from ..packs.model import Measure, MeasureFile, PackHeader
from ..packs.programme import ProgrammeFile
from ..packs.queries import admits_origin, in_force, members, target_names
from ..packs.source import SourceError, display, read_doc
from ..packs.walk import pack_files
from ..refunds.golden import RefundCaseFile
from ..report.emit import text_and_json
from .golden import CaseFile

SCHEMA_KINDS = ("all", "pack", "measures", "list", "test", "refund-programme", "refund-test")


class MeasureEntry(Measure):
    """A measure as written in a measure file: `citations` and `dates.published` default to the file's."""

    model_config = ConfigDict(title="Measure")

    citations: list[str] = Field(default=[], description="Legal citations (default: the file's `citations`).")


class MeasureFileSchema(MeasureFile):
    model_config = ConfigDict(title="MeasureFile")

    measures: list[MeasureEntry] = Field(min_length=1)  # type: ignore[assignment]


class CodeListFile(BaseModel):
    """`lists/NAME.yaml`: a named list of tariff-code prefixes (2 to 10 digits; dots and spaces ignored)."""

    model_config = ConfigDict(extra="allow", title="CodeListFile")

    citation: str | None = None
    source: str | None = None
    note: str | None = None
    codes: list[int | str] = Field(min_length=1, json_schema_extra={"items": {"pattern": r"^\d[\d. ]{1,20}$"}})


_MODELS: dict[str, type[BaseModel]] = {
    "pack": PackHeader,
    "measures": MeasureFileSchema,
    "list": CodeListFile,
    "test": CaseFile,
    "refund-programme": ProgrammeFile,
    "refund-test": RefundCaseFile,
}


def schema(kind: str = "all") -> dict:
    """One JSON Schema (draft 2020-12) for the pack files: `pack` (pack.yaml), `measures` (a measure file),
    `list` (lists/*.yaml), `test` (*.test.yaml), or `all` (any of them, for one editor glob)."""
    out: dict = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    if kind != "all":
        return out | _MODELS[kind].model_json_schema()
    refs, doc = models_json_schema([(model, "validation") for model in _MODELS.values()])
    out["title"] = "clearance rule pack file"
    out["description"] = (
        "pack.yaml, a measure file, a code list (lists/), golden cases (*.test.yaml), or a refund programme or "
        "its cases (refunds/)."
    )
    out["anyOf"] = list(refs.values())
    out["$defs"] = doc["$defs"]
    return out


def list_measures(packs: dict[str, Pack], on: dt.date | None = None, origin: str | None = None) -> list[dict]:
    """Every measure (of the packs, in pack order), or only those in force on `on` (published by then
    and with `on` inside their window), and only those whose scope takes in goods of `origin`."""
    rows = []
    for juris, pack in packs.items():
        for m in pack.measures:
            if on is not None and not in_force(m.dates, on, law_as_of=on):
                continue
            if origin is not None and not admits_origin(pack.header, m.scope, origin):
                continue
            rows.append(
                {
                    "jurisdiction": juris,
                    "id": m.id,
                    "kind": m.kind,
                    "heading": m.heading,
                    "rate": m.rate,
                    "from": m.dates.from_.isoformat(),
                    "until": m.dates.until.isoformat() if m.dates.until else None,
                    "status": m.status,
                    "title": m.title,
                }
            )
    return rows


def find_measure(packs: dict[str, Pack], measure_id: str) -> tuple[Pack, Measure]:
    for pack in packs.values():
        for m in pack.measures:
            if m.id == measure_id:
                return pack, m
    raise KeyError(measure_id)


def where(pack: Pack, measure_id: str) -> tuple[Path, int] | None:
    """The file and line that define a measure."""
    for f in pack_files(pack.root, "*.yaml"):
        if f.kind != "measures" or f.problem is not None:
            continue
        path = f.path
        try:
            doc = read_doc(path)
        except SourceError:
            continue
        items = doc.data.get("measures") if isinstance(doc.data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict) and item.get("id") == measure_id:
                return path, doc.line(("measures", i, "id"))
    return None


def _excludes(pack: Pack, m: Measure) -> list[dict]:
    return [
        {
            "target": ex.target,
            "members": [t.id for t in members(ex.target, pack.measures)],
            "when": ex.when,
            "portion": ex.portion,
            "heading": ex.heading,
            "reason": ex.reason,
        }
        for ex in m.stacking.excludes
    ]


def _excluded_by(pack: Pack, m: Measure) -> list[dict]:
    names = target_names(m)
    out = []
    for other in pack.measures:
        for ex in other.stacking.excludes:
            if ex.target in names and other.id != m.id:
                out.append(
                    {"by": other.id, "via": ex.target, "when": ex.when, "portion": ex.portion, "reason": ex.reason}
                )
    return out


def _precedence(pack: Pack, m: Measure) -> list[dict]:
    names = target_names(m)
    out = []
    for p in pack.header.precedence:
        rank = next((i for i, r in enumerate(p.order) if names & set(r)), None)
        if rank is not None:
            out.append(
                {
                    "id": p.id,
                    "title": p.title,
                    "from": p.dates.from_.isoformat(),
                    "until": p.dates.until.isoformat() if p.dates.until else None,
                    "after": [t for r in p.order[:rank] for t in r],
                    "before": [t for r in p.order[rank + 1 :] for t in r],
                    "citations": p.citations,
                }
            )
    return out


def _scope(pack: Pack, m: Measure) -> dict:
    s = m.scope
    out: dict = {"origins": s.origins}
    for name in ("exclude_origins", "modes", "spi", "exclude_spi", "attributes", "exclude_attributes"):
        if getattr(s, name):
            out[name] = getattr(s, name)
    if s.codes is not None:
        codes = s.codes.model_dump(exclude_defaults=True)
        codes["list_sizes"] = {n: len(pack.lists[n].prefixes) for n in s.codes.lists + s.codes.exclude_lists}
        out["codes"] = codes
    if s.shares:
        out["shares"] = [t.model_dump(exclude_none=True) for t in s.shares]
    if s.value is not None:
        out["value"] = s.value.model_dump(exclude_none=True)
    if s.requires_fields:
        out["requires_fields"] = s.requires_fields
    areas = {o[5:]: pack.header.areas[o[5:]] for o in s.origins + s.exclude_origins if o.startswith("area:")}
    if areas:
        out["areas"] = areas
    return out


def show(packs: dict[str, Pack], measure_id: str) -> dict:
    """Everything about one measure: text, citations, dates, scope, rate, what it excludes and what
    excludes it (stacking and precedence). KeyError if no pack has it."""
    pack, m = find_measure(packs, measure_id)
    loc = where(pack, m.id)
    data = m.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return {
        "id": m.id,
        "jurisdiction": pack.header.jurisdiction,
        "pack": pack.id,
        "file": display(loc[0]) if loc else None,
        "line": loc[1] if loc else None,
        "title": m.title,
        "kind": m.kind,
        "charge": m.charge,
        "status": m.status,
        "heading": m.heading,
        "nil_heading": m.nil_heading,
        "rate": m.rate,
        "basis": m.basis.model_dump(exclude_none=True) | {"text": m.basis.describe()},
        "rounding": _rounding(m),
        "citations": m.citations,
        "dates": data["dates"],
        "scope": _scope(pack, m),
        "note": m.note,
        "group": m.stacking.group,
        "group_members": [o.id for o in pack.measures if m.stacking.group and o.stacking.group == m.stacking.group],
        "excludes": _excludes(pack, m),
        "excluded_by": _excluded_by(pack, m),
        "precedence": _precedence(pack, m),
        "conditions": data.get("conditions", []),
    }


def _rounding(m: Measure) -> str | None:
    """The measure's own rounding rules, in words (the pack's rules for its charge kind apply otherwise)."""
    if m.rounding is None:
        return None
    parts = (("basis", m.rounding.basis), ("amount", m.rounding.amount), ("total", m.rounding.total))
    return "; ".join(f"{name} {rule.rounding.describe()}" for name, rule in parts if rule)


def _when(when: str, portion: str, who: str) -> str:
    part = "on the basis of " + who if portion == "basis" else "wholly"
    cond = f"when {who} applies" if when == "applies" else f"when {who} owes duty"
    return f"{part}, {cond}"


def _window(d: dict) -> str:
    until = f"until {d['until']} (exclusive)" if d.get("until") else "no end"
    return f"from {d['from']}, {until}"


def render_show(info: dict) -> str:
    """`clearance rules show` as text (Markdown, like `ruff rule`)."""
    d = info["dates"]
    lines = [f"# {info['id']}", "", info["title"], ""]
    where = f", {info['file']}:{info['line']}" if info["file"] else ""
    lines.append(f"Pack:       {info['pack']} ({info['jurisdiction']}){where}")
    charge = f", charge {info['charge']}" if info["kind"] == "duty" else ""
    lines.append(f"Kind:       {info['kind']} ({info['status']}{charge})")
    if info["heading"]:
        nil = f" ({info['nil_heading']} when the all-in rate tops up nothing)" if info["nil_heading"] else ""
        lines.append(f"Heading:    {info['heading']}{nil}")
    if info["rate"]:
        fallback = " (the full value when it is not declared)" if info["basis"].get("fallback") else ""
        lines.append(f"Rate:       {info['rate']} on {info['basis']['text']}{fallback}")
    if info["rounding"]:
        lines.append(f"Rounding:   {info['rounding']} (over the pack's for its charge kind)")
    published = f"; published {d['published']}" if d.get("published") else ""
    lines.append(f"Dates:      {_window(d)} (entry date){published}")
    t = d.get("in_transit")
    if t:
        since = f"on or after {t['loaded_from']} and " if t.get("loaded_from") else ""
        modes = f" by {' or '.join(t['modes'])}" if t.get("modes") else ""
        lines.append(f"In transit: only goods loaded {since}before {t['loaded_before']}{modes}")
    lines.append("Scope:      " + "\n            ".join(_scope_lines(info["scope"])))
    lines.append("Citations:  " + "\n            ".join(info["citations"]))
    if info["note"]:
        lines.append(f"Note:       {info['note']}")
    lines += ["", "## Excludes"] + (
        [
            f"- {e['target']}"
            + (f" = {', '.join(e['members'])}" if e["target"].startswith("group:") else "")
            + f" ({_when(e['when'], e['portion'], 'this measure')}"
            + (f"; reported under {e['heading']}" if e["heading"] else "")
            + f"): {e['reason'] or '-'}"
            for e in info["excludes"]
        ]
        or ["nothing"]
    )
    by = [
        f"- {e['by']} via {e['via']} ({_when(e['when'], e['portion'], 'it')}): {e['reason'] or '-'}"
        for e in info["excluded_by"]
    ]
    by += [
        f"- precedence {p['id']} ({_window(p)}): ranked after {', '.join(p['after'])}"
        for p in info["precedence"]
        if p["after"]
    ]
    lines += ["", "## Excluded by"] + (by or ["nothing"])
    ranks = [
        f"- precedence {p['id']} ({_window(p)}): ranked before {', '.join(p['before'])}"
        for p in info["precedence"]
        if p["before"]
    ]
    if ranks:
        lines += ["", "## Takes precedence over", *ranks]
    if info["group"]:
        lines += ["", f"## Group {info['group']}", ", ".join(info["group_members"])]
    if info["conditions"]:
        lines += ["", "## Conditions"]
        for c in info["conditions"]:
            docs = " or ".join(x if isinstance(x, str) else x["document"] for x in c.get("documents", []))
            attrs = "; ".join(f"{k} in {v}" for k, v in c.get("attributes", {}).items())
            lines.append(
                f"- {c['id']} ({c['action']} when unmet): {c['message']}; "
                + "; ".join(x for x in (f"documents {docs}" if docs else "", attrs) if x)
            )
    return "\n".join(lines)


def _scope_lines(scope: dict) -> list[str]:
    origins = "all" if "*" in scope["origins"] else ", ".join(scope["origins"])
    out = [
        f"origins {origins}" + (f" except {', '.join(scope['exclude_origins'])}" if "exclude_origins" in scope else "")
    ]
    for name, countries in scope.get("areas", {}).items():
        out.append(f"  area:{name} = {', '.join(countries)}")
    codes = scope.get("codes")
    if codes is None:
        out.append("codes all")
    else:
        sizes = codes["list_sizes"]
        parts = [f"prefixes {', '.join(codes['prefixes'])}" if codes.get("prefixes") else ""]
        parts.append(", ".join(f"list {n} ({sizes[n]} prefixes)" for n in codes.get("lists", [])))
        parts.append(f"except prefixes {', '.join(codes['exclude_prefixes'])}" if codes.get("exclude_prefixes") else "")
        parts.append(", ".join(f"except list {n} ({sizes[n]} prefixes)" for n in codes.get("exclude_lists", [])))
        out.append("codes " + "; ".join(p for p in parts if p))
    shown = ("modes", "spi", "exclude_spi", "attributes", "exclude_attributes", "shares", "value", "requires_fields")
    for name in shown:
        if name in scope:
            out.append(f"{name} {scope[name]}")
    return out


def render_list(rows: list[dict]) -> str:
    """`clearance rules list` as an aligned table."""
    header = ("id", "kind", "heading", "rate", "from", "until", "status")
    table = [header] + [tuple(str(r[k] or "-") for k in header) for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table]
    return "\n".join([*lines, f"{len(rows)} measure(s)"])


MEASURE_LIST = text_and_json(render_list, lambda rows: rows)
MEASURE_SHOW = text_and_json(render_show, lambda info: info)
