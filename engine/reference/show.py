"""`clearance hts show` and `hts editions`: one HTSUS line, and the editions of a store, as records with
their text and JSON forms."""

from __future__ import annotations

import datetime as dt

from ..duty.codes import format_code
from ..packs.model import Measure
from ..report.emit import text_and_json
from .edition import Edition, HtsLine, HtsReference


def editions_record(editions: list[Edition]) -> list[dict]:
    return [
        {"name": e.name, "effective": e.effective.isoformat(), "lines": e.lines, "source": e.source, "sha256": e.sha256}
        for e in editions
    ]


def render_editions(rows: list[dict]) -> str:
    return "\n".join(
        f"{e['name']}\tfrom {e['effective']}\t{e['lines']} lines\t{e['source']}\tsha256 {e['sha256'][:12]}"
        for e in rows
    )


def line_record(ref: HtsReference, line: HtsLine, measures: list[Measure], day: dt.date) -> dict:
    """What `clearance hts show` reports of one line: the line, its parents, rates, and the measures covering it."""
    return {
        "code": line.dotted,
        "description": line.description,
        "edition": {"name": line.edition.name, "effective": line.edition.effective.isoformat(), "date": str(day)},
        "parents": [
            {"code": format_code(r.code), "indent": r.indent, "description": r.description} for r in ref.ancestors(line)
        ],
        "units": list(line.units),
        "rates": {
            "general": line.general,
            "general_from": format_code(line.general_from),
            "special": line.special,
            "column2": line.column2,
        },
        "special_programs": line.programs(),
        "quota": line.row.quota,
        "additional": line.row.additional,
        "measures": [
            {
                "id": m.id,
                "kind": m.kind,
                "heading": m.heading,
                "rate": m.rate,
                "origins": m.scope.origins,
                "status": m.status,
                "from": m.dates.from_.isoformat(),
                "until": m.dates.until.isoformat() if m.dates.until else None,
                "title": m.title,
            }
            for m in measures
        ],
    }


def render_line(rec: dict) -> str:
    ed = rec["edition"]
    out = [f"{rec['code']}  {rec['description']}", f"  HTSUS {ed['name']} edition (in force from {ed['effective']})"]
    for p in rec["parents"]:
        out.append(f"  {'  ' * p['indent']}{p['code'] or '-'}  {p['description']}")
    r = rec["rates"]
    inherited = f" (from {r['general_from']})" if r["general_from"] != rec["code"] else ""
    out.append(f"unit of quantity: {', '.join(rec['units']) or '-'}")
    out.append(f"general: {r['general'] or '-'}{inherited}")
    out.append(f"special: {r['special'] or '-'}")
    out.append(f"column 2: {r['column2'] or '-'}")
    for label, key in (("quota", "quota"), ("additional duties", "additional")):
        if rec[key]:
            out.append(f"{label}: {rec[key]}")
    out.append(f"measures covering it on {ed['date']}: {len(rec['measures'])}")
    for m in rec["measures"]:
        where = ",".join(m["origins"])
        out.append(f"  {m['id']}  {m['heading'] or '-'}  {m['rate'] or m['kind']}  origins {where}  ({m['title']})")
    return "\n".join(out)


HTS_LINE = text_and_json(render_line, lambda rec: rec)
HTS_EDITIONS = text_and_json(render_editions, lambda rows: rows)
