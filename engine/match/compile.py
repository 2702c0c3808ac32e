"""Compile a pack into durable-rules conditions, and lines into facts that those conditions match.

Each measure becomes one rule (`scope`, dates, in-transit window); each condition becomes one rule that
fires when the condition is *unmet*; each precedence order becomes one rule on its date window. Large
code lists, areas, documents and attributes become small fact fields (`l3: 1`, `doc2: 1`) so that no
rule needs a thousand-way `$or`. Dates are integers (YYYYMMDD) and content shares are integer basis
points, so durable-rules never compares floats."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from ..entries.line import Line, attribute_value
from ..packs.load import Pack
from ..packs.model import SHARE_FIELDS, Alternative, Condition, Measure, Scope, ValueTest
from ..packs.queries import code_prefixes, known

Cond = dict
MAX_CODE = 10  # digits of the longest tariff code
OTHER = "~other~"  # a string fact field's value that no rule names


def day(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def basis_points(text: str) -> int:
    return int(Decimal(text.rstrip("%")) * 100)


@dataclass(frozen=True)
class RuleRef:
    """What a compiled rule stands for: a measure applying, a condition unmet, a precedence in force."""

    kind: str  # "measure" | "condition" | "cap" | "precedence"
    target: str  # measure id or precedence id
    condition: str | None = None


@dataclass
class Vocabulary:
    """Names used by a pack, each given a short, collision-free fact field."""

    prefix: str
    names: dict[str, str] = field(default_factory=dict)

    def key(self, name: str) -> str:
        if name not in self.names:
            self.names[name] = f"{self.prefix}{len(self.names)}"
        return self.names[name]


@dataclass
class CompiledPack:
    pack: Pack
    law_as_of: dt.date
    rules: dict[str, tuple[RuleRef, Cond]]
    lists: Vocabulary
    areas: Vocabulary
    documents: Vocabulary
    attributes: Vocabulary
    spi: Vocabulary
    measures: tuple[Measure, ...]
    bounds: dict[str, list[int]] = field(default_factory=dict)
    plans: dict = field(default_factory=dict)  # resolve's cache: matched rules -> stacking plan
    records: dict = field(default_factory=dict)  # resolve's cache: records many plans share (edges, reasons)

    def __post_init__(self) -> None:
        use = field_use(cond for _, cond in self.rules.values())
        self.bounds, used, self.constants = use.bounds, use.names, use.constants
        # string fields kept as declared: compared by order, or naming the placeholder itself
        self.kept = {n for n in use.ordered if not canonical_field(n)}
        self.kept |= {n for n, values in self.constants.items() if OTHER in values}
        # only the code lengths some rule tests: lines that differ below them become one fact
        self.code_lengths = [n for n in range(2, MAX_CODE + 1) if f"h{n}" in used]
        self._areas_of: dict[str, tuple[str, ...]] = {}
        self.list_index: dict[str, list[str]] = {}  # code prefix -> fact fields of the lists holding it
        for name, key in self.lists.names.items():
            for prefix in self.pack.lists[name].prefixes:
                self.list_index.setdefault(prefix, []).append(key)

    def canonical(self, name: str, value: int) -> int:
        """The latest date the rules compare `name` with that is not after `value` (0 if none). Every
        rule condition is a comparison with one of these dates, so it matches the canonical date exactly
        when it matches the real one; lines that differ only in date within one interval become one fact."""
        bounds = self.bounds.get(name, [])
        i = bisect_right(bounds, value)
        return bounds[i - 1] if i else 0

    def areas_of(self, origin: str) -> tuple[str, ...]:
        """The fact fields of the areas (named country groups) `origin` belongs to."""
        found = self._areas_of.get(origin)
        if found is None:
            areas = self.pack.header.areas
            found = self._areas_of[origin] = tuple(k for n, k in self.areas.names.items() if origin in areas[n])
        return found

    def keep(self, name: str, value: str) -> str:
        """`value` if some rule compares `name` with it, else `OTHER`: rules test string fields only for
        equality with constants, so every other value matches alike and lines with them share one fact."""
        if name in self.kept:  # compared by order, or a rule names OTHER: every value counts
            return value
        return value if value in self.constants.get(name, ()) else OTHER

    def fact(self, line: Line) -> dict:
        """The line as a flat fact: only fields this pack's rules can test, all ints or strings."""
        code = line.hts_code
        f: dict = {"t": "line", "o": self.keep("o", line.origin), "d": self.canonical("d", day(line.entry_date))}
        for n in self.code_lengths:  # absent lengths are OTHER too, so that `$neq` holds for them
            f[f"h{n}"] = self.keep(f"h{n}", code[:n])
        if line.loaded_date is not None:
            f["ld"] = self.canonical("ld", day(line.loaded_date))
        if line.transport_mode:
            f["mode"] = self.keep("mode", line.transport_mode)
        for prefix in code_prefixes(code):
            for key in self.list_index.get(prefix, ()):
                f[key] = 1
        for key in self.areas_of(line.origin):
            f[key] = 1
        for vocabulary, names in ((self.documents.names, line.documents), (self.spi.names, line.spi)):
            for name in names:
                if name in vocabulary:
                    f[vocabulary[name]] = 1
        for name, key in self.attributes.names.items():  # missing attributes are ""
            f[key] = self.keep(key, line.attributes.get(name, ""))  # normalised by the line parser
        for name in SHARE_FIELDS:
            part = getattr(line, name)
            if part is not None:
                f[f"has_{name}"] = 1
                if line.value > 0:
                    share = (part * 10000 / line.value).to_integral_value(rounding=ROUND_FLOOR)
                    f[f"sh_{name}"] = self.canonical(f"sh_{name}", int(share))
        if "val" in self.bounds:  # some rule tests the customs value (in the pack's minor unit)
            f["val"] = self.canonical("val", minor_units(line.value, self.pack.header.minor_unit, up=True))
        for name in ("quantity", "mfn_rate"):
            if getattr(line, name) is not None:
                f[f"has_{name}"] = 1
        return f


COMPARISONS = ("$lt", "$lte", "$gt", "$gte", "$eq", "$neq")
ORDERED = ("$lt", "$lte", "$gt", "$gte")
OPERATORS = ("$and", "$or", "$ex", "$nex", *COMPARISONS)


def minor_units(amount: Decimal, minor_unit: int, up: bool = False) -> int:
    """An amount in whole minor units (cents), rounded down (or `up`: a line's value, so that 800.001 is
    above a limit of 800)."""
    return int((amount * 10**minor_unit).to_integral_value(rounding=ROUND_CEILING if up else ROUND_FLOOR))


def canonical_field(name: str) -> bool:
    """Fields whose values the rules only compare with constants: dates and content shares."""
    return name in ("d", "ld", "val") or name.startswith("sh_")


def date_bounds(conds: Iterable[Cond]) -> dict[str, list[int]]:
    """Every constant the conditions compare each date or share field with, sorted."""
    return field_use(conds).bounds


@dataclass(frozen=True)
class FieldUse:
    bounds: dict[str, list[int]]  # the constants each canonical field (dates, shares) is compared with, sorted
    names: set[str]  # every field the conditions test
    constants: dict[str, frozenset]  # the constants each field is compared with
    ordered: set[str]  # the fields compared with `$lt`, `$lte`, `$gt` or `$gte`


def field_use(conds: Iterable[Cond]) -> FieldUse:
    """What a set of conditions tests: which fields, against which constants, and how."""
    found: dict[str, set[int]] = {"d": set(), "ld": set()}
    names: set[str] = set()
    constants: dict[str, set] = {}
    ordered: set[str] = set()

    def note(name: str, const: object) -> None:
        names.add(name)
        constants.setdefault(name, set()).add(const)
        if canonical_field(name):
            found.setdefault(name, set()).add(const)  # type: ignore[arg-type]

    def walk(node: object) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in COMPARISONS and isinstance(value, dict):
                    for name, const in value.items():
                        note(name, const)
                        if key in ORDERED:
                            ordered.add(name)
                elif key in OPERATORS:
                    walk(value)
                else:
                    note(key, value)

    for cond in conds:
        walk(cond)
    bounds = {name: sorted(values) for name, values in found.items()}
    return FieldUse(bounds, names, {name: frozenset(values) for name, values in constants.items()}, ordered)


def any_of(conds: list[Cond]) -> Cond | None:
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$or": conds}


def all_of(conds: list[Cond | None]) -> Cond:
    """A conjunction, flattened: an `$and` inside an `$and` is spliced in (durable counts operators)."""
    real: list[Cond] = []
    for c in conds:
        if c is not None:
            real.extend(c["$and"] if set(c) == {"$and"} else [c])
    return real[0] if len(real) == 1 else {"$and": real}


class Compiler:
    def __init__(self, pack: Pack) -> None:
        self.pack = pack
        self.lists = Vocabulary("l")
        self.areas = Vocabulary("ar")
        self.documents = Vocabulary("doc")
        self.attributes = Vocabulary("a")
        self.spi = Vocabulary("spi")

    def compiled(
        self, law_as_of: dt.date, rules: dict[str, tuple[RuleRef, Cond]], measures: tuple[Measure, ...]
    ) -> CompiledPack:
        """The rules compiled so far, with the vocabularies their facts need."""
        return CompiledPack(
            pack=self.pack,
            law_as_of=law_as_of,
            rules=rules,
            lists=self.lists,
            areas=self.areas,
            documents=self.documents,
            attributes=self.attributes,
            spi=self.spi,
            measures=measures,
        )

    def origin_is(self, origin: str) -> Cond:
        if origin.startswith("area:"):
            return {self.areas.key(origin[5:]): 1}
        return {"o": origin}

    def origin_not(self, origin: str) -> Cond:
        if origin.startswith("area:"):
            return {"$nex": {self.areas.key(origin[5:]): 1}}
        return {"$neq": {"o": origin}}

    def scope(self, scope: Scope) -> list[Cond | None]:
        out: list[Cond | None] = []
        if "*" not in scope.origins:
            out.append(any_of([self.origin_is(o) for o in scope.origins]))
        out += [self.origin_not(o) for o in scope.exclude_origins]
        if scope.codes is not None:
            c = scope.codes
            out.append(any_of([{f"h{len(p)}": p} for p in c.prefixes] + [{self.lists.key(n): 1} for n in c.lists]))
            out += [{"$neq": {f"h{len(p)}": p}} for p in c.exclude_prefixes]
            out += [{"$nex": {self.lists.key(n): 1}} for n in c.exclude_lists]
        out.append(any_of([{"mode": m} for m in scope.modes]))
        out.append(any_of([{self.spi.key(s.upper()): 1} for s in scope.spi]))
        out += [{"$nex": {self.spi.key(s.upper()): 1}} for s in scope.exclude_spi]
        for name, values in scope.attributes.items():
            out.append(self.attribute_in(name, values))
        for name, values in scope.exclude_attributes.items():
            key = self.attributes.key(name.lower())
            out += [{"$neq": {key: attribute_value(v)}} for v in values]
        for test in scope.shares:
            out.append({f"has_{test.field}": 1})
            if test.gte is not None:
                out.append({"$gte": {f"sh_{test.field}": basis_points(test.gte)}})
            if test.lt is not None:
                out.append({"$lt": {f"sh_{test.field}": basis_points(test.lt)}})
        if scope.value is not None:
            out += self.value_test(scope.value)
        out += [self.has(f) for f in scope.requires_fields]
        return out

    def value_test(self, test: ValueTest) -> list[Cond | None]:
        """`lte X` is `val < X + 1 minor unit`, `gt X` is `val >= X + 1`: the canonical value of a line
        (the greatest bound not above it) then compares exactly as the value itself."""
        minor = self.pack.header.minor_unit
        return [
            {"$lt": {"val": minor_units(Decimal(test.lte), minor) + 1}} if test.lte is not None else None,
            {"$gte": {"val": minor_units(Decimal(test.gt), minor) + 1}} if test.gt is not None else None,
        ]

    def has(self, name: str) -> Cond:
        return {"$ex": {"ld": 1}} if name == "loaded_date" else {f"has_{name}": 1}

    def attribute_in(self, name: str, values: list[str]) -> Cond | None:
        key = self.attributes.key(name.lower())
        if "*" in values:
            return {"$neq": {key: ""}}
        return any_of([{key: attribute_value(v)} for v in values])

    def window(self, start: dt.date | None, until: dt.date | None) -> list[Cond | None]:
        return [
            {"$gte": {"d": day(start)}} if start else None,
            {"$lt": {"d": day(until)}} if until else None,
        ]

    def measure(self, m: Measure) -> Cond:
        # `t: line` first: a rule made only of absence tests (`$nex`) hangs durable-rules
        conds = [{"t": "line"}, *self.scope(m.scope), *self.window(m.dates.from_, m.dates.until)]
        t = m.dates.in_transit
        if t is not None:
            conds.append({"$lt": {"ld": day(t.loaded_before)}})
            if t.loaded_from:
                conds.append({"$gte": {"ld": day(t.loaded_from)}})
            conds.append(any_of([{"mode": mode} for mode in t.modes]))
        return all_of(conds)

    def invalid(self, alt: Alternative) -> Cond:
        """The document is not declared, or not valid for this entry date or origin."""
        invalid: list[Cond] = [{"$nex": {self.documents.key(alt.document.upper()): 1}}]
        if alt.from_:
            invalid.append({"$lt": {"d": day(alt.from_)}})
        if alt.until:
            invalid.append({"$gte": {"d": day(alt.until)}})
        if alt.origins:
            invalid.append(all_of([self.origin_not(o) for o in alt.origins]))
        return any_of(invalid)  # type: ignore[return-value]

    def valid(self, alt: Alternative) -> Cond:
        valid: list[Cond | None] = [{self.documents.key(alt.document.upper()): 1}]
        valid += self.window(alt.from_, alt.until)
        valid.append(any_of([self.origin_is(o) for o in alt.origins]))
        return all_of(valid)

    def capped_use(self, m: Measure, cond: Condition, capped: Alternative) -> Cond:
        """Fires when the condition is met only through its capped document (it counts against the cap)."""
        others = [self.invalid(a) for a in cond.alternatives() if a is not capped]
        return all_of([self.measure(m), self.valid(capped), *others])

    def unmet(self, m: Measure, cond: Condition) -> Cond:
        """Fires when no alternative document is valid, or an attribute test fails."""
        failures: list[Cond] = []
        no_document: list[Cond | None] = [self.invalid(alt) for alt in cond.alternatives()]
        if cond.documents:
            failures.append(all_of(no_document))
        for name, values in cond.attributes.items():
            key = self.attributes.key(name.lower())
            if "*" in values:
                failures.append({key: ""})
            else:
                failures.append(all_of([{"$neq": {key: attribute_value(v)}} for v in values]))
        return all_of([self.measure(m), any_of(failures)])


def compile_pack(pack: Pack, law_as_of: dt.date) -> CompiledPack:
    """Rules for the measures known on `law_as_of` (published on or before it)."""
    comp = Compiler(pack)
    for name in pack.header.documents:  # fixed field order: documents first, as declared
        comp.documents.key(name.upper())
    known_measures = tuple(m for m in pack.measures if known(m.dates, law_as_of))
    rules: dict[str, tuple[RuleRef, Cond]] = {}
    for m in known_measures:
        rules[f"r{len(rules)}"] = (RuleRef("measure", m.id), comp.measure(m))
        for cond in m.conditions:
            rules[f"r{len(rules)}"] = (RuleRef("condition", m.id, cond.id), comp.unmet(m, cond))
            capped = cond.capped()
            if capped is not None:
                rules[f"r{len(rules)}"] = (RuleRef("cap", m.id, cond.id), comp.capped_use(m, cond, capped))
    for p in pack.header.precedence:
        if known(p.dates, law_as_of):
            cond = all_of([*comp.window(p.dates.from_, p.dates.until), {"t": "line"}])
            rules[f"r{len(rules)}"] = (RuleRef("precedence", p.id), cond)
    return comp.compiled(law_as_of, rules, known_measures)
