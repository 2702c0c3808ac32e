"""Charts as inline SVG, drawn here (no script, no network at view time): horizontal bars and stacked columns.

Each chart is an `<svg role="img">` with a `<title>` and a `<desc>` (its text alternative; the page prints the
same figures in a table beside it), every bar labelled with its value in text, and every series of a stacked chart
filled with a pattern as well as a colour, so it reads in grey print and without colour vision. Values are the
integers the caller measures with (minor units, line counts): bar lengths are geometry, never money."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 720
BAR = 22  # height of a bar
LABEL = 230  # width of the labels left of the bars
COLORS = ("#1f5f99", "#c2571a", "#2e7d32", "#7b3294", "#8c6d1f", "#555555")
PATTERNS = (  # drawn over the colour: none, diagonal, dots, cross, horizontal, vertical
    "",
    '<path d="M0,6 L6,0" stroke="#fff" stroke-width="1.5"/>',
    '<circle cx="3" cy="3" r="1.3" fill="#fff"/>',
    '<path d="M0,0 L6,6 M0,6 L6,0" stroke="#fff" stroke-width="1"/>',
    '<path d="M0,3 L6,3" stroke="#fff" stroke-width="1.5"/>',
    '<path d="M3,0 L3,6" stroke="#fff" stroke-width="1.5"/>',
)


@dataclass(frozen=True)
class Bar:
    label: str
    value: int  # what the length measures
    text: str  # what the bar is labelled with


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[int, ...]  # one per column


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-t '
        f'{escape(chart_id)}-d" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="{escape(chart_id)}-t">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>{body}</svg>'
    )


def _fill(chart_id: str, n: int) -> str:
    return f"url(#{escape(chart_id)}-p{n % len(COLORS)})"


def _defs(chart_id: str, count: int) -> str:
    patterns = "".join(
        f'<pattern id="{escape(chart_id)}-p{n}" width="6" height="6" patternUnits="userSpaceOnUse">'
        f'<rect width="6" height="6" fill="{COLORS[n]}"/>{PATTERNS[n]}</pattern>'
        for n in range(min(count, len(COLORS)))
    )
    return f"<defs>{patterns}</defs>"


def bars(chart_id: str, title: str, desc: str, items: list[Bar]) -> Markup:
    """One horizontal bar per item, longest = the largest value, each labelled left and valued right."""
    top = max((b.value for b in items), default=0) or 1
    span = WIDTH - LABEL - 190  # room right of the longest bar for its value
    rows = []
    for n, b in enumerate(items):
        y = 6 + n * (BAR + 8)
        length = max(1.0, round(span * b.value / top, 1)) if b.value else 0
        rows.append(
            f'<text x="{LABEL - 8}" y="{y + 16}" text-anchor="end">{escape(_short(b.label, 34))}</text>'
            f'<rect x="{LABEL}" y="{y}" width="{length}" height="{BAR}" fill="{_fill(chart_id, 0)}">'
            f"<title>{escape(b.label)}: {escape(b.text)}</title></rect>"
            f'<text x="{LABEL + length + 6}" y="{y + 16}">{escape(b.text)}</text>'
        )
    height = 12 + len(items) * (BAR + 8)
    return _svg(chart_id, title, desc, WIDTH, height, _defs(chart_id, 1) + "".join(rows))


def columns(chart_id: str, title: str, desc: str, labels: list[str], series: list[Series], scale: str = "") -> Markup:
    """Stacked columns, one per label (e.g. month), the series stacked bottom up, with a legend of swatches;
    `scale` labels the line drawn at the height of the tallest column (its value)."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    plot_h, base, left = 220, 250, 10
    step = max(12.0, (WIDTH - left - 10) / max(1, len(labels)))
    width = int(left + step * len(labels) + 10)
    body = [_defs(chart_id, len(series))]
    if scale:
        body.append(
            f'<line x1="{left}" y1="{base - plot_h}" x2="{width - 10}" y2="{base - plot_h}" stroke="#888" '
            f'stroke-dasharray="4 3"/><text x="{left}" y="{base - plot_h - 5}">{escape(scale)}</text>'
        )
    for i, label in enumerate(labels):
        x, y = left + i * step, float(base)
        for n, s in enumerate(series):
            h = round(plot_h * s.values[i] / top, 1)
            if h > 0:
                y -= h
                body.append(
                    f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{step - 2:.1f}" height="{h}" '
                    f'fill="{_fill(chart_id, n)}">'
                    f"<title>{escape(label)} {escape(s.name)}</title></rect>"
                )
        if i % max(1, round(len(labels) / 12)) == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{base + 14}" text-anchor="middle" class="tick">{escape(label)}</text>'
            )
    body.append(f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#333"/>')
    for n, s in enumerate(series):  # legend: swatch + name, in rows of three
        lx, ly = left + (n % 3) * 240, base + 34 + (n // 3) * 20
        body.append(
            f'<rect x="{lx}" y="{ly - 11}" width="14" height="14" fill="{_fill(chart_id, n)}" stroke="#333"/>'
            f'<text x="{lx + 20}" y="{ly}">{escape(_short(s.name, 30))}</text>'
        )
    height = base + 34 + ((len(series) + 2) // 3) * 20
    return _svg(chart_id, title, desc, max(width, 3 * 240 + 20), height, "".join(body))


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
