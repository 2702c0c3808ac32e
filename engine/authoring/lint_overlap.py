"""CL002, the ME32 of this project: two measures that compete for the same goods, origins and dates with
nothing to decide between them.

Sets are compared exactly where the pack says enough (date windows, origins with areas expanded, tariff
codes with named lists read), and conservatively elsewhere: modes, SPI, attributes and content shares only
separate two measures when they plainly rule each other out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ..packs.load import CodeList
from ..packs.model import Measure, PackHeader, Scope
from ..packs.queries import code_sets, target_names, targets, under
from .lint_checks import usable_measures
from .lint_read import PackSource

Window = tuple[dt.date, dt.date | None]  # from inclusive, until exclusive (None: open)


def competing(a: Measure, b: Measure) -> str | None:
    """Why two duty measures compete for one line, or None: one group, or one heading. (Exemptions of one
    group or heading may overlap: each only takes measures out, and the first to do so reports its heading.)"""
    if a.kind != "duty" or b.kind != "duty":
        return None
    group = a.stacking.group
    if group and group == b.stacking.group:
        return f"both duties of group {group}"
    if a.heading and a.heading == b.heading:
        return f"both report heading {a.heading}"
    return None


def intersect(a: Window, b: Window) -> Window | None:
    start = max(a[0], b[0])
    ends = [e for e in (a[1], b[1]) if e is not None]
    end = min(ends) if ends else None
    return None if end is not None and end <= start else (start, end)


def covered(window: Window, by: list[Window]) -> bool:
    """Whether the union of `by` covers all of `window`."""
    cursor: dt.date | None = window[0]
    progress = True
    while progress and cursor is not None:
        progress = False
        for start, end in by:
            if start <= cursor and (end is None or end > cursor):
                cursor, progress = end, True
                break
        if cursor is not None and window[1] is not None and cursor >= window[1]:
            return True
    return cursor is None


def _countries(origins: list[str], areas: dict[str, list[str]]) -> set[str]:
    out: set[str] = set()
    for o in origins:
        out.update(areas.get(o[5:], []) if o.startswith("area:") else [o])
    return out


def _origin_sets(a: Scope, b: Scope, areas: dict[str, list[str]]) -> tuple[set[str] | None, set[str]]:
    """The origins both scopes cover: (None, X) for every country but X, or (S, set()) for the set S."""
    excluded = _countries(a.exclude_origins, areas) | _countries(b.exclude_origins, areas)
    ia = None if "*" in a.origins else _countries(a.origins, areas)
    ib = None if "*" in b.origins else _countries(b.origins, areas)
    if ia is None and ib is None:
        return None, excluded
    both = ib if ia is None else ia if ib is None else ia & ib
    return both - excluded, set()  # type: ignore[operator]


def origins_overlap(a: Scope, b: Scope, areas: dict[str, list[str]]) -> str | None:
    """The origins both measures cover ('all' when both cover every country; at most five), or None."""
    both, excluded = _origin_sets(a, b, areas)
    if both is None:
        return "all" + (f" but {', '.join(sorted(excluded))}" if excluded else "")
    left = sorted(both)
    return ", ".join(left[:5]) + (", ..." if len(left) > 5 else "") if left else None


def _covers_origins(c: Scope, a: Scope, b: Scope, areas: dict[str, list[str]]) -> bool:
    both, excluded = _origin_sets(a, b, areas)
    ic = None if "*" in c.origins else _countries(c.origins, areas)
    ec = _countries(c.exclude_origins, areas)
    if both is None:
        return ic is None and ec <= excluded
    return not both & ec if ic is None else both <= ic - ec


def codes_overlap(a: Scope, b: Scope, lists: dict[str, CodeList]) -> str | None:
    """A tariff-code prefix both measures cover ('all' when both cover every code), or None. The subtree of a code is
    shared when one measure's prefix lies under the other's, and no exclusion of either covers it."""
    ia, ea = code_sets(a.codes, lists)
    ib, eb = code_sets(b.codes, lists)
    excluded = ea | eb
    if ia is None and ib is None:
        return "all"
    if ia is None or ib is None:
        candidates = ib if ia is None else ia
    else:
        candidates = {c for c in ib if under(c, ia)} | {c for c in ia if under(c, ib)}
    return next((c for c in sorted(candidates or ()) if not under(c, excluded)), None)


def _share_range(scope: Scope, field: str) -> tuple[Decimal, Decimal]:
    low, high = Decimal(0), Decimal(101)
    for t in scope.shares:
        if t.field == field:
            if t.gte is not None:
                low = max(low, Decimal(t.gte.rstrip("%")))
            if t.lt is not None:
                high = min(high, Decimal(t.lt.rstrip("%")))
    return low, high


def _one_way_apart(a: Scope, b: Scope) -> bool:
    if a.spi and {s.upper() for s in a.spi} <= {s.upper() for s in b.exclude_spi}:
        return True
    for name, values in a.attributes.items():
        if "*" in values:
            continue
        if name in b.attributes and "*" not in b.attributes[name] and not set(values) & set(b.attributes[name]):
            return True
        if set(values) <= set(b.exclude_attributes.get(name, [])):
            return True
    return False


def facets_apart(a: Measure, b: Measure) -> bool:
    """Whether modes, SPI, attributes, content shares or in-transit windows plainly separate the two."""
    sa, sb = a.scope, b.scope
    if sa.modes and sb.modes and not set(sa.modes) & set(sb.modes):
        return True
    if _one_way_apart(sa, sb) or _one_way_apart(sb, sa):
        return True
    for field in {t.field for t in sa.shares} & {t.field for t in sb.shares}:
        (la, ha), (lb, hb) = _share_range(sa, field), _share_range(sb, field)
        if min(ha, hb) <= max(la, lb):
            return True
    ta, tb = a.dates.in_transit, b.dates.in_transit
    if ta is not None and tb is not None:
        if ta.modes and tb.modes and not set(ta.modes) & set(tb.modes):
            return True
        start = max(ta.loaded_from or dt.date.min, tb.loaded_from or dt.date.min)
        if min(ta.loaded_before, tb.loaded_before) <= start:
            return True
    return False


def excludes(a: Measure, b: Measure) -> bool:
    return any(targets(ex.target, b) for ex in a.stacking.excludes)


def _rank(order: list[list[str]], m: Measure) -> int | None:
    names = target_names(m)
    return next((i for i, rank in enumerate(order) if names & set(rank)), None)


def precedence_windows(header: PackHeader, a: Measure, b: Measure) -> list[Window]:
    """The windows of the precedence orders that rank `a` and `b` apart."""
    out = []
    for p in header.precedence:
        ra, rb = _rank(p.order, a), _rank(p.order, b)
        if ra is not None and rb is not None and ra != rb:
            out.append((p.dates.from_, p.dates.until))
    return out


def _window(m: Measure) -> Window:
    return m.dates.from_, m.dates.until


def _unrestricted(c: Measure) -> bool:
    """Applies to every line of its origins and dates (no codes, modes, SPI, attributes, shares, fields)."""
    s = c.scope
    narrowed = s.modes or s.spi or s.exclude_spi or s.attributes or s.exclude_attributes or s.shares or s.value
    return s.codes is None and not narrowed and not s.requires_fields and c.dates.in_transit is None


def closing_windows(measures: list[Measure], a: Measure, b: Measure, areas: dict[str, list[str]]) -> list[Window]:
    """The windows of third measures that wholly exclude `a` or `b` on every line the two share (a
    suspension, a replacement or an end written as its own instrument, rather than an `until`)."""
    out = []
    for c in measures:
        if c.id in (a.id, b.id) or not _unrestricted(c) or not _covers_origins(c.scope, a.scope, b.scope, areas):
            continue
        for ex in c.stacking.excludes:
            if ex.when == "applies" and ex.portion == "all":
                one = targets(ex.target, a) or targets(ex.target, b)
                if one:
                    out.append(_window(c))
                    break
    return out


def conflict(src: PackSource, a: Measure, b: Measure, measures: list[Measure]) -> str | None:
    """Why `a` and `b` overlap with nothing to decide, or None."""
    why = competing(a, b)
    if why is None or excludes(a, b) or excludes(b, a):
        return None
    window = intersect(_window(a), _window(b))
    if window is None or facets_apart(a, b):
        return None
    areas = src.header.areas if src.header else {}
    deciding = precedence_windows(src.header, a, b) if src.header is not None else []
    if covered(window, deciding + closing_windows(measures, a, b, areas)):
        return None
    origin = origins_overlap(a.scope, b.scope, areas)
    code = codes_overlap(a.scope, b.scope, src.lists) if origin else None
    if origin is None or code is None:
        return None
    until = f"until {window[1]}" if window[1] else "with no end"
    return f"{why}; from {window[0]} {until}; origins {origin}; codes {code}"


def check_overlaps(src: PackSource) -> None:
    """CL002 for each pair of measures that overlap undecided, on the later one."""
    usable = list(usable_measures(src).values())
    measures = [loc.measure for loc in usable]
    for j, lb in enumerate(usable):
        for la in usable[:j]:
            why = conflict(src, la.measure, lb.measure, measures)
            if why:
                src.add(
                    "CL002",
                    lb.doc.path,
                    lb.line("id"),
                    f"measures {la.measure.id} ({la.doc.path.name}:{la.line('id')}) and {lb.measure.id} overlap "
                    f"({why}): nothing excludes either or ranks them for the whole window",
                )
