"""`clearance runs list` and `runs show`: the records of `engine.run.history` as text for people or JSON."""

from __future__ import annotations

from decimal import Decimal

from .emit import printable, text_and_json
from .summary import CHECKED

OWN_CODE = "(own code)"  # the heading of a charge under the line's own tariff code (the general rate, say)


def _status(run: dict) -> str:
    return "finished" if run["finished"] else f"{run['status']}*" if run["status"] == "running" else run["status"]


def _sums(sums: dict[str, str]) -> str:
    return ", ".join(f"{v} {k}" for k, v in sums.items())


def render_runs(rows: list[dict]) -> str:
    out = [
        f"{'id':>4}  {'started':<25} {'status':<11} {'law as of':<10} {'lines':>9} {'accept':>9} "
        f"{'review':>9} {'reject':>9} {'invalid':>9}  duty / files"
    ]
    for run in rows:
        files = run["files"]
        names = ", ".join(printable(f["path"]) for f in files[:2]) + (f" (+{len(files) - 2})" if len(files) > 2 else "")
        out.append(
            f"{run['id']:>4}  {run['started']:<25} {_status(run):<11} {run['law_as_of']:<10} {run['lines']:>9,} "
            f"{run['accept']:>9,} {run['review']:>9,} {run['reject']:>9,} {run['invalid']:>9,}  "
            f"{_sums(run['duty']) or '0'}; {names}"
        )
    return "\n".join(out)


def render_run(run: dict) -> str:
    out = [
        f"run {run['id']}: {_status(run)}; started {run['started']}, finished {run['finished'] or '-'}",
        f"law as of {run['law_as_of']}; clearance {run['version']}; rules {printable(run['rules'])}",
    ]
    out += [f"  pack {p['id']} ({p['jurisdiction']}) content sha256 {p['content_hash']}" for p in run["rule_packs"]]
    out += [
        f"  file {printable(f['path'])}: {f['lines']:,} lines stored; sha256 {f['sha256'] or '-'}" for f in run["files"]
    ]
    counts = ", ".join(f"{run[v]:,} {v}" for v in CHECKED) + (f"; {run['invalid']:,} invalid" if run["invalid"] else "")
    others = "".join(f"; total {kind} {_sums(run[kind])}" for kind in ("taxes", "fees") if run[kind])
    out.append(f"{run['lines']:,} lines: {counts}; total duty {_sums(run['duty']) or '0'}{others}")
    rows = run["duty_by_measure"]
    out.append(f"\nduty by measure and heading ({len(rows)}):")
    out += [
        f"  {r['measure']:<44} {r['heading'] or OWN_CODE:<14} {r['lines']:>9,} lines {r['amount']:>18} {r['currency']}"
        for r in top_by_measure(rows)
    ]
    out.append("\ntop reasons (errors and warnings):")
    out += [
        f"  {r['lines']:>9,}  {r['severity']:<7} {r['rule']:<32} e.g. {printable(r['example'])[:100]}"
        for r in run["top_reasons"]
    ]
    if run.get("refunds"):
        out.append("\nrefunds by status (entries, `clearance refunds`):")
        for r in run["refunds"]:
            out.append(f"  {r['status']:<9} {r['entries']:>9,} entries {r['refundable']:>18,} {r['currency']}")
    return "\n".join(out)


def top_by_measure(rows: list[dict]) -> list[dict]:
    """Every measure with its most frequent headings (a measure charged under each line's own code,
    like the general rate, would otherwise list every code), then one total line per measure."""
    out: list[dict] = []
    by_measure: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        by_measure.setdefault((r["measure"], r["currency"]), []).append(r)
    for (measure, currency), group in by_measure.items():
        out.extend(group[:3])
        if len(group) > 3:
            rest = group[3:]
            amount = sum((r["amount"] for r in rest), start=Decimal(0))
            out.append(
                {
                    "measure": measure,
                    "heading": f"+{len(rest)} more",
                    "currency": currency,
                    "amount": amount,
                    "lines": sum(r["lines"] for r in rest),
                }
            )
    return out


RUN_LIST = text_and_json(render_runs, lambda rows: rows)
RUN_SHOW = text_and_json(render_run, lambda run: run)
