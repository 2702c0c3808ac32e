"""`report`: one stored run as ONE self-contained HTML page (Jinja2 templates, inline CSS, inline SVG charts, a small
inline script that sorts and filters the table of flagged lines; nothing fetched at view time).

The page: what was checked (files and packs with their hashes, law as of, HTSUS editions), verdicts, charges by
measure family, by heading other than the line's own code, and by month of entry, declared against computed duty,
the top reasons, and the review / reject / invalid lines (the largest of each, the rest left to `clearance runs
export`), each with its calculation table. Figures come from `run_queries.RunFigures` (SQL aggregates)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from importlib.metadata import version

import jinja2
from markupsafe import Markup

from ..run.store_lines import family
from . import charts
from .calculation import Step, calculation
from .result import Result
from .run_queries import FLAGGED, Charges, RunFigures, decimal_text, minor_of
from .summary import CHECKED

LINES = 100  # lines listed per flagged verdict
FAMILIES = 5  # families drawn one by one in the monthly chart; the rest are "other"
VERDICTS = (*CHECKED, "invalid")

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("clearance.engine.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Row:
    """A row of a figures table: label, lines, money text (or count), and the integer it measures."""

    label: str
    lines: int
    text: str
    value: int


def report(figures: RunFigures, lines: int = LINES, db_name: str = "clearance.db") -> str:
    """The HTML page of the run behind `figures`."""
    return _ENV.get_template("report.html.j2").render(**page(figures, lines, db_name))


def page(figures: RunFigures, lines: int = LINES, db_name: str = "clearance.db") -> dict:
    """Everything the template shows, computed here (the template only lays it out)."""
    run, digits = figures.run, figures.digits
    counts = figures.counts()
    total_lines = sum(counts.values())
    charges = figures.charges()
    first, last = figures.entry_dates()
    flagged = list(figures.flagged(lines))
    return {
        "run": run,
        "db_name": db_name,
        "made": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": version("clearance"),
        "packs": figures.packs,
        "files": figures.files,
        "editions": figures.hts_editions(first, last),
        "entry_dates": (first, last),
        "verdicts": _verdict_rows(counts, total_lines),
        "lines": total_lines,
        "totals": [
            (name, cur, decimal_text(minor, digits.get(cur, 0)))
            for name, sums in figures.totals().items()
            for cur, minor in sorted(sums.items())
        ],
        "verdict_chart": charts.bars(
            "chart-verdicts",
            "Lines by verdict",
            ", ".join(f"{v}: {n:,} lines ({s})" for v, n, s in _verdict_rows(counts, total_lines)),
            [charts.Bar(v, n, f"{n:,} ({s})") for v, n, s in _verdict_rows(counts, total_lines)],
        ),
        "by_family": _by(charges, digits, lambda c: family(c.measure), "family", "by measure family"),
        "by_heading": _by(
            [c for c in charges if c.heading],
            digits,
            lambda c: c.heading or "",
            "heading",
            "by heading other than the line's own tariff code (e.g. HTSUS Chapter 99)",
        ),
        "by_month": _by_month(charges, digits),
        "declared": [
            (d.kind, d.currency, d.lines, decimal_text(d.minor, digits.get(d.currency, 0))) for d in figures.declared()
        ],
        "refunds": [(r["status"], r["currency"], r["entries"], f"{r['refundable']:,}") for r in figures.refunds()],
        "reasons": figures.top_reasons(),
        "flagged": [Listed(file, r, calculation(r), _sort_key(r, digits), _headline(r)) for file, r in flagged],
        "more": [(v, counts[v] - sum(r.verdict == v for _, r in flagged)) for v in FLAGGED],
    }


@dataclass(frozen=True)
class Listed:
    """A flagged line as the page lists it: its file, result, calculation, sort key and headline reason."""

    file: int
    result: Result
    steps: list[Step]
    sort: str
    headline: str


def _headline(r: Result) -> str:
    """The line's most severe reason (the first error, else the first warning), as `rule: message`."""
    for severity in ("error", "warning"):
        for reason in r.reasons:
            if reason.severity == severity:
                return f"{reason.rule}: {reason.message}"
    return ""


def _sort_key(r: Result, digits: dict[str, int]) -> str:
    """A line's total duty as fixed-width digits of minor units, for the table's script to sort as text."""
    return "" if r.total_duty is None else f"{minor_of(str(r.total_duty), digits.get(r.currency, 0)):020d}"


def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "0.0%"


def _verdict_rows(counts: dict[str, int], total: int) -> list[tuple[str, int, str]]:
    return [(v, counts[v], _share(counts[v], total)) for v in VERDICTS]


def _by(charges: list[Charges], digits: dict[str, int], key, what: str, title: str) -> list[dict]:
    """Duty (and taxes, fees) summed by `key` per currency and charge: a table and a chart of each."""
    sums: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for c in charges:
        cell = sums[(c.charge, c.currency)][key(c)]
        cell[0] += c.lines
        cell[1] += c.minor
    out = []
    for n, ((charge, cur), groups) in enumerate(sorted(sums.items())):
        rows = [
            Row(label, lines, decimal_text(minor, digits.get(cur, 0)), minor)
            for label, (lines, minor) in sorted(groups.items(), key=lambda kv: (-kv[1][1], kv[0]))
        ]
        name = f"{charge.capitalize()} {title} ({cur})"
        chart = charts.bars(
            f"chart-{what}-{n}",
            name,
            "; ".join(f"{r.label}: {r.text} {cur} on {r.lines:,} charge lines" for r in rows),
            [charts.Bar(r.label, r.value, f"{r.text} {cur}") for r in rows[:12]],
        )
        out.append({"title": name, "currency": cur, "charge": charge, "rows": rows, "chart": chart})
    return out


def _by_month(charges: list[Charges], digits: dict[str, int]) -> list[dict]:
    """Duty per month of entry and currency, stacked by measure family (the largest few, then `other`)."""
    out = []
    for n, cur in enumerate(sorted({c.currency for c in charges if c.charge == "duty"})):
        duty = [c for c in charges if c.charge == "duty" and c.currency == cur and c.month]
        months = sorted({c.month or "" for c in duty})
        weight: dict[str, int] = defaultdict(int)
        for c in duty:
            weight[family(c.measure)] += c.minor
        drawn = sorted(weight, key=lambda f: (-weight[f], f))[:FAMILIES]
        cells: dict[tuple[str, str], int] = defaultdict(int)
        for c in duty:
            f = family(c.measure)
            cells[(f if f in drawn else "other", c.month or "")] += c.minor
        names = drawn + (["other"] if len(weight) > len(drawn) else [])
        series = [charts.Series(f, tuple(cells[(f, m)] for m in months)) for f in names]
        totals = [sum(s.values[i] for s in series) for i in range(len(months))]
        text = [decimal_text(t, digits.get(cur, 0)) for t in totals]
        desc = "; ".join(f"{m}: {t} {cur}" for m, t in zip(months, text, strict=True))
        top = max(totals, default=0)
        chart = charts.columns(
            f"chart-month-{n}",
            f"Duty by month of entry ({cur}), stacked by measure family",
            desc,
            months,
            series,
            f"{decimal_text(top, digits.get(cur, 0))} {cur} (the largest month)",
        )
        rows = [
            (m, t, [decimal_text(s.values[i], digits.get(cur, 0)) for s in series])
            for i, (m, t) in enumerate(zip(months, text, strict=True))
        ]
        out.append({"currency": cur, "chart": Markup(chart), "families": names, "rows": rows})
    return out
