"""`clearance explain` output: the trace as text (for a person) or as a JSON-ready dict."""

from __future__ import annotations

from ..duty.codes import format_code
from ..report.emit import text_and_json
from ..report.findings import rank
from ..resolve.amount import cite
from .explain import Explanation, MeasureTrace

MARK = {"applied": "+", "reduced": "+", "excluded": "x", "not matched": ".", "not in force": "-"}


def _line_summary(e: Explanation) -> str:
    line = e.line
    if line is None:
        return f"Row {e.row}: not checked"
    extras = [f"loaded {line.loaded_date}" if line.loaded_date else "", line.transport_mode or ""]
    extras += [f"mfn_rate {line.mfn_rate}" if line.mfn_rate else ""]
    extras += [
        f"{k} {getattr(line, k)}"
        for k in ("steel_value", "aluminum_value", "copper_value", "us_content_value", "quantity")
        if getattr(line, k) is not None
    ]
    extras += [f"documents {', '.join(sorted(line.documents))}" if line.documents else ""]
    extras += [f"attributes {', '.join(f'{k}={v}' for k, v in line.attributes.items())}" if line.attributes else ""]
    more = "; ".join(x for x in extras if x)
    return (
        f"Row {e.row}: {format_code(line.hts_code)} from {line.origin} to {line.destination}, value {line.value}, "
        f"entered {line.entry_date}" + (f" ({more})" if more else "")
    )


def _measure(mt: MeasureTrace, verbose: bool) -> list[str]:
    m = mt.measure
    head = f"  {MARK[mt.outcome]} {m.id}: {mt.outcome}" + (f" ({mt.detail})" if mt.detail else "")
    out = [head]
    out.append(f"      {m.title} [{cite(m.citations)}]")
    for p in mt.parts:
        if p.name.startswith("condition "):
            out.append(f"      {p.name}: {'met' if p.matched else 'UNMET'}: {p.test}")
        else:
            out.append(f"      {p.name}: {'yes' if p.matched else 'no'}: {p.test}")
    if not mt.consistent:
        out.append("      (the parts disagree with the matcher: please report this as a bug)")
    return out


def render_text(e: Explanation, verbose: bool = False) -> str:
    """What a person asks first, first: the verdict, the duties with their arithmetic, the reasons (errors and
    warnings before notes); then the measures that applied or were excluded, part by part, precedence and
    stacking. Measures that did not match or are not in force show only with `verbose` (every part)."""
    r = e.result
    lines = [_line_summary(e)]
    if e.pack is not None:
        lines.append(f"Law as of {e.law_as_of}; pack {e.pack.id} ({e.pack.header.title})")
    for p in e.problems:
        lines.append(f"  input problem: {p.column}: {p.message}")
    others = "".join(f"; total {k} {v} {r.currency}" for k, v, xs in r.other_charges() if xs)
    total = "none (the line could not be checked)" if r.total_duty is None else f"{r.total_duty} {r.currency}{others}"
    lines += ["", f"Total duty {total}; verdict {r.verdict}"]
    lines += _duties(e)
    lines += ["", "Reasons"]
    for x in sorted(r.reasons, key=rank):
        lines.append(f"  [{x.severity}] {x.rule}: {x.message}" + (f" [{x.citation}]" if x.citation else ""))
    lines += _measures(e, verbose)
    if e.precedence:
        lines += ["", "Precedence orders"]
        for p, active in e.precedence:
            lines.append(f"  {p.id}: {'in force' if active else 'not in force'} for this line: {p.title}")
    if e.stacking:
        lines += ["", "Stacking"]
        for s in e.stacking:
            x = s.edge
            how = "on its basis" if x.portion == "basis" else "wholly"
            lines.append(f"  {x.source} excludes {x.target} {how} (when {x.when}): {s.effect}")
            lines.append(f"      {x.reason} [{x.citation}]")
    return "\n".join(lines)


def _duties(e: Explanation) -> list[str]:
    lines: list[str] = []
    for charge, title in (("duty", "Duties"), ("tax", "Taxes"), ("fee", "Fees")):
        traces = [t for t in e.duties if t.charge == charge]
        if traces:
            lines += ["", title]
        for t in traces:
            d = t.duty
            lines.append(f"  {d.heading}  {d.measure}  {d.rate}: {d.amount} {e.result.currency}")
            lines += [f"      {step}" for step in t.steps]
            if t.citations:
                lines.append(f"      [{cite(t.citations)}]")
            if not t.reproduced:
                lines.append("      (this arithmetic does not reproduce the engine's amount: please report it)")
    return lines


def _measures(e: Explanation, verbose: bool) -> list[str]:
    shown = [mt for mt in e.measures if verbose or mt.outcome not in ("not matched", "not in force")]
    if not e.measures:
        return []
    lines = ["", "Measures (+ applies, x excluded, . not matched, - not in force on the law date)"]
    for mt in shown:
        lines += _measure(mt, verbose)
    if not verbose:
        unmatched = sum(1 for mt in e.measures if mt.outcome == "not matched")
        later = [mt.measure.id for mt in e.measures if mt.outcome == "not in force"]
        if unmatched:
            lines.append(f"  . {unmatched} measure(s) not matched (-v shows each and the part that failed)")
        if later:
            lines.append(f"  - published after {e.law_as_of}, so not in force under that law: {', '.join(later)}")
    return lines


def to_json(e: Explanation) -> dict:
    """The trace as a JSON-ready dict (decimals as strings)."""
    return {
        "row": e.row,
        "law_as_of": e.law_as_of.isoformat(),
        "pack": e.pack.id if e.pack else None,
        "line": e.line.model_dump(mode="json") if e.line else None,
        "problems": [p.model_dump() for p in e.problems],
        "measures": [
            {
                "id": mt.measure.id,
                "title": mt.measure.title,
                "outcome": mt.outcome,
                "detail": mt.detail,
                "in_force": mt.known,
                "applies": mt.applies,
                "citations": mt.measure.citations,
                "parts": [{"part": p.name, "test": p.test, "matched": p.matched} for p in mt.parts],
            }
            for mt in e.measures
        ],
        "precedence": [{"id": p.id, "in_force": active, "title": p.title} for p, active in e.precedence],
        "stacking": [
            {
                "source": s.edge.source,
                "target": s.edge.target,
                "when": s.edge.when,
                "portion": s.edge.portion,
                "reason": s.edge.reason,
                "citation": s.edge.citation,
                "effect": s.effect,
            }
            for s in e.stacking
        ],
        "duties": [
            {
                **t.duty.model_dump(mode="json"),
                "charge": t.charge,
                "steps": t.steps,
                "reproduced": t.reproduced,
                "citations": t.citations,
            }
            for t in e.duties
        ],
        "result": e.result.record(),
    }


EXPLANATION = text_and_json(render_text, to_json)
EXPLANATION_VERBOSE = text_and_json(lambda e: render_text(e, verbose=True), to_json)
