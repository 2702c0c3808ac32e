"""The parts of a measure in words, each with the line's own value, for `clearance explain`."""

from __future__ import annotations

from decimal import Decimal

from ..entries.line import Line
from ..packs.load import Pack
from ..packs.model import Condition, Measure


def _origins(pack: Pack, origins: list[str]) -> str:
    out = []
    for o in origins:
        if o.startswith("area:"):
            out.append(f"{o} ({', '.join(pack.header.areas.get(o[5:], []))})")
        else:
            out.append(o)
    return ", ".join(out)


def _origin(pack: Pack, m: Measure, line: Line) -> str:
    s = m.scope
    text = "any origin" if "*" in s.origins else f"origin {_origins(pack, s.origins)}"
    if s.exclude_origins:
        text += f" except {_origins(pack, s.exclude_origins)}"
    return f"{text} (line: {line.origin})"


def _codes(pack: Pack, m: Measure, line: Line) -> str:
    c = m.scope.codes
    assert c is not None
    sizes = {n: len(pack.lists[n].prefixes) for n in c.lists + c.exclude_lists if n in pack.lists}
    wanted = [f"under {p}" for p in c.prefixes] + [f"in list {n} ({sizes.get(n, 0)} prefixes)" for n in c.lists]
    text = "code " + " or ".join(wanted)
    unwanted = [f"under {p}" for p in c.exclude_prefixes] + [f"in list {n}" for n in c.exclude_lists]
    if unwanted:
        text += ", not " + " nor ".join(unwanted)
    return f"{text} (line: {line.hts_code})"


def _share(line: Line, field: str) -> str:
    part = line.content(field)
    if part is None or not line.value:
        return f"{field} not declared"
    return f"{(part * 100 / line.value).quantize(Decimal('0.01'))}%"


def _scope_part(pack: Pack, m: Measure, name: str, line: Line) -> str:
    s = m.scope
    if name == "modes":
        return f"transport by {' or '.join(s.modes)} (line: {line.transport_mode or 'not declared'})"
    if name == "spi":
        tests = [f"SPI {' or '.join(s.spi)}"] if s.spi else []
        tests += [f"not SPI {x}" for x in s.exclude_spi]
        return f"{', '.join(tests)} (line: {', '.join(sorted(line.spi)) or 'none'})"
    if name == "attributes":
        tests = [f"{k} in {', '.join(v)}" for k, v in s.attributes.items()]
        tests += [f"{k} not in {', '.join(v)}" for k, v in s.exclude_attributes.items()]
        names = list(s.attributes) + list(s.exclude_attributes)
        got = ", ".join(f"{k}={line.attributes.get(k.lower(), '-')}" for k in dict.fromkeys(names))
        return f"attributes {'; '.join(tests)} (line: {got})"
    if name == "shares":
        tests = []
        for t in s.shares:
            bounds = []
            if t.gte:
                bounds.append(f">= {t.gte}")
            if t.lt:
                bounds.append(f"< {t.lt}")
            tests.append(f"{t.field} {' and '.join(bounds)} of the value (line: {_share(line, t.field)})")
        return "; ".join(tests)
    if name == "value" and s.value is not None:
        bounds = [f"at most {s.value.lte}" if s.value.lte else "", f"above {s.value.gt}" if s.value.gt else ""]
        return f"customs value {' and '.join(b for b in bounds if b)} {pack.header.currency} (line: {line.value})"
    declared = [f for f in s.requires_fields if (line.loaded_date if f == "loaded_date" else getattr(line, f, None))]
    return f"declares {', '.join(s.requires_fields)} (line declares: {', '.join(declared) or 'none of them'})"


def _transit(m: Measure, line: Line) -> str:
    t = m.dates.in_transit
    assert t is not None
    since = f"on or after {t.loaded_from} and " if t.loaded_from else ""
    modes = f" by {' or '.join(t.modes)}" if t.modes else ""
    loaded = f"loaded {line.loaded_date}" if line.loaded_date else "no loaded_date"
    return f"loaded {since}before {t.loaded_before}{modes} (line: {loaded}, {line.transport_mode or 'no mode'})"


def _condition(cond: Condition, line: Line) -> str:
    docs = []
    for alt in cond.alternatives():
        limits = [f"from {alt.from_}" if alt.from_ else "", f"until {alt.until}" if alt.until else ""]
        limits.append(f"for {', '.join(alt.origins)}" if alt.origins else "")
        extra = ", ".join(x for x in limits if x)
        docs.append(alt.document + (f" ({extra})" if extra else ""))
    tests = [f"document {' or '.join(docs)}"] if docs else []
    tests += [f"{k} in {', '.join(v)}" for k, v in cond.attributes.items()]
    held = ", ".join(sorted(line.documents)) or "none"
    return f"{'; '.join(tests)}, else {cond.action}: {cond.message} (line documents: {held})"


def describe_part(pack: Pack, m: Measure, name: str, line: Line) -> str:
    """What the part `name` of measure `m` requires, and what the line has."""
    if name == "origin":
        return _origin(pack, m, line)
    if name == "codes":
        return _codes(pack, m, line)
    if name == "dates":
        until = f" and before {m.dates.until}" if m.dates.until else ""
        return f"entered on or after {m.dates.from_}{until} (line: {line.entry_date})"
    if name == "in-transit":
        return _transit(m, line)
    if name.startswith("condition "):
        cond = next(c for c in m.conditions if c.id == name[len("condition ") :])
        return _condition(cond, line)
    return _scope_part(pack, m, name, line)
