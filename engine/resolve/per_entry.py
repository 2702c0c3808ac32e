"""What the law computes per entry, not per line, once all of an entry's lines are known.

- A charge with `per_entry` bounds (the merchandise processing fee: 19 CFR 24.23(b)(1)): the amounts of the entry's
  lines are summed; where the sum is under the minimum or over the maximum, the minimum or maximum is shared back
  over the lines by their basis, to the currency's minor unit, the cents left over going to the largest remainders
  (so the lines add up to the bound exactly).
- Declared fees (`declared_fees`) against the computed ones, per entry (a per-entry fee is shared over the lines,
  so lines are not compared one by one): under-declared is an error, over-declared a warning.
- The pack's `tolerance` (19 CFR 159.6): where the entry's net difference between declared and computed duty and
  fees is under it, each line's declared-duty and declared-fees finding is a warning (disregarded at
  liquidation), not an error.

A line without an entry number is an entry of its own. `EntryGroups` cuts a stream of results, in input order,
into entries: the lines of an entry are expected together; one that turns up again after other entries is settled
again on its own, with a warning that says so."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from ..packs.load import Pack
from ..packs.model import PerEntry, Tolerance
from ..report.result import DutyLine, Reason, Result, verdict_of, with_reasons

ZERO = Decimal(0)
DECLARED_RULES = ("declared.duty", "declared.fees")
CHARGE_LISTS = (("duties", "total_duty"), ("taxes", "total_taxes"), ("fees", "total_fees"))


@dataclass(frozen=True)
class EntryLaw:
    """What a pack says about entries: the per-entry bounds of its measures, its tolerance, its minor unit."""

    bounds: dict[str, PerEntry]
    tolerance: Tolerance | None
    minor_unit: int
    currency: str

    @property
    def active(self) -> bool:
        return bool(self.bounds) or self.tolerance is not None


def takes_part(result: Result, law: EntryLaw | None) -> bool:
    """Whether settling its entry can change this result: it owes a per-entry charge, or declared a duty
    that differs from the computed one while the pack has a tolerance."""
    if law is None or result.verdict == "invalid":
        return False
    if result.declared_fees is not None or (law.tolerance is not None and result.declared_difference):
        return True
    return any(d.measure in law.bounds for name, _ in CHARGE_LISTS for d in getattr(result, name))


def settle_entry(results: list[Result], law: EntryLaw) -> list[Result]:
    """The entry's lines (those that take part), settled: per-entry bounds shared back, tolerance applied."""
    out = list(results)
    for mid, bounds in law.bounds.items():
        out = _bounded(out, mid, bounds, law)
    out, fee_difference = _fees_compared(out, law.currency)
    if law.tolerance is not None:
        out = _tolerated(out, fee_difference, law.tolerance, law.currency)
    return out


def _bounded(results: list[Result], mid: str, bounds: PerEntry, law: EntryLaw) -> list[Result]:
    lines = [
        (n, name, d)
        for n, r in enumerate(results)
        for name, _ in CHARGE_LISTS
        for d in getattr(r, name)
        if d.measure == mid
    ]
    if not lines:
        return results
    owed = sum((d.amount for _, _, d in lines), ZERO)
    if bounds.minimum is not None and owed < bounds.minimum:
        target, side = bounds.minimum, "minimum"
    elif bounds.maximum is not None and owed > bounds.maximum:
        target, side = bounds.maximum, "maximum"
    else:
        return results
    shares = share(target, [d.basis_value for _, _, d in lines], law.minor_unit)
    out = list(results)
    entry = results[0].entry_number
    where = f"entry {entry}" if entry else "this line (no entry number: an entry of its own)"
    below = "under the minimum" if side == "minimum" else "over the maximum"
    citation = "; ".join(bounds.citations)
    for (n, name, d), amount in zip(lines, shares, strict=True):
        message = (
            f"{mid} per entry: {where} owes {owed} {law.currency} on {len(lines)} line(s), {below} of {target}: "
            f"this line's share is {amount} {law.currency} (of {d.amount})"
        )
        reason = Reason(severity="info", rule=f"{mid}.{side}", message=message, citation=citation)
        out[n] = _with_amount(out[n], name, d, amount, reason)
    return out


def share(total: Decimal, weights: list[Decimal], minor_unit: int) -> list[Decimal]:
    """`total` shared in proportion to `weights`, each share a whole number of minor units, adding up to `total`
    exactly: shares rounded down, then one unit more to the largest remainders (the first of equals). Weights
    that are all zero share equally."""
    unit = Decimal(1).scaleb(-minor_unit)
    units = int(total / unit)
    weight_sum = sum(weights, ZERO)
    if weight_sum <= 0:
        weights, weight_sum = [Decimal(1)] * len(weights), Decimal(len(weights))
    exact = [Decimal(units) * w / weight_sum for w in weights]
    whole = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    left = units - sum(whole)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - whole[i]), i))
    for i in order[:left]:
        whole[i] += 1
    return [Decimal(w) * unit for w in whole]


def _with_amount(result: Result, name: str, old: DutyLine, amount: Decimal, reason: Reason) -> Result:
    lines = [d.model_copy(update={"amount": amount}) if d is old else d for d in getattr(result, name)]
    total_name = dict(CHARGE_LISTS)[name]
    total = getattr(result, total_name)
    update: dict[str, object] = {name: lines, "reasons": [*result.reasons, reason]}
    if total is not None:
        update[total_name] = total - old.amount + amount
    return result.model_copy(update=update)


def _fees_compared(results: list[Result], currency: str) -> tuple[list[Result], Decimal]:
    """The entry's declared fees (over the lines that declared them) against its computed fees on those lines:
    a reason on each of those lines, and the difference (declared minus computed)."""
    declaring = [r for r in results if r.declared_fees is not None]
    declared = sum((r.declared_fees or ZERO for r in declaring), ZERO)
    computed = sum((r.total_fees for r in declaring), ZERO)
    difference = declared - computed
    if not difference:
        return results, ZERO
    entry = results[0].entry_number
    where = f"entry {entry}" if entry else "this line"
    if difference < 0:
        severity, said = "error", f"fees under-declared by {-difference} {currency}"
    else:
        severity, said = "warning", f"fees over-declared: refund of {difference} {currency}"
    message = f"{where}: {said} (declared {declared}, computed {computed} on {len(declaring)} line(s))"
    reason = Reason(severity=severity, rule="declared.fees", message=message)
    out = [with_reasons(r, [reason]) if r.declared_fees is not None else r for r in results]
    return out, difference


def _tolerated(results: list[Result], fee_difference: Decimal, tolerance: Tolerance, currency: str) -> list[Result]:
    differences = [r.declared_difference for r in results if r.declared_difference]
    if not differences and not fee_difference:
        return results
    net = sum(differences, fee_difference)
    if abs(net) >= tolerance.under:
        return results
    note = (
        f"; the entry's net difference is {net} {currency}, under the {tolerance.under} {currency} that "
        "customs disregards at liquidation"
    )
    citation = "; ".join(tolerance.citations)

    def eased(x: Reason) -> Reason:
        cited = "; ".join(c for c in (x.citation, citation) if c)
        return x.model_copy(update={"severity": "warning", "message": x.message + note, "citation": cited})

    out = []
    for r in results:
        if not any(x.rule in DECLARED_RULES for x in r.reasons):
            out.append(r)
            continue
        reasons = [eased(x) if x.rule in DECLARED_RULES else x for x in r.reasons]
        out.append(r.model_copy(update={"reasons": reasons, "verdict": verdict_of(reasons)}))
    return out


def entry_key(result: Result) -> tuple:
    """Which entry a line belongs to: its file, destination and entry number (None: an entry of its own)."""
    return (result.file, result.destination, result.entry_number)


def inner_entries(results: list[Result], takes: Callable[[Result], bool]) -> list[list[int]]:
    """The entries that lie wholly inside a stream's piece (a chunk): the offsets of each entry's lines that take
    part, in input order, for every entry but the first and the last (they may run on into the pieces around).
    Lines that do not take part are skipped over, as `EntryGroups` skips them."""
    groups: list[list[int]] = []
    key: tuple | None = None
    for n, result in enumerate(results):
        if not takes(result):
            continue
        if result.entry_number is None or entry_key(result) != key:
            groups.append([])
        groups[-1].append(n)
        key = entry_key(result) if result.entry_number is not None else None
    return groups[1:-1]


@dataclass
class EntryGroups:
    """Cuts results, in input order, into entries and settles each entry when its last line has passed.
    `add` takes one result (with a handle the caller uses to put the settled result back) and returns the
    entries it closed; `close` ends the stream (or a file: entries do not run across files)."""

    law_of: Callable[[str | None], EntryLaw | None]
    _key: tuple | None = None
    _open: list[tuple[object, Result]] = field(default_factory=list)
    _closed: set[tuple] = field(default_factory=set)

    def add(self, handle: object, result: Result) -> list[tuple[object, Result]]:
        key = entry_key(result)
        done: list[tuple[object, Result]] = []
        if result.entry_number is None or key != self._key:
            done = self._settle()
        self._key = key if result.entry_number is not None else None
        self._open.append((handle, result))
        if result.entry_number is None:
            done += self._settle()
        return done

    def close(self) -> list[tuple[object, Result]]:
        done = self._settle()
        self._closed.clear()
        return done

    def passed(self, key: tuple) -> tuple[list[tuple[object, Result]], bool]:
        """An entry settled elsewhere (`inner_entries`, in a worker) has passed: the entry open before it is
        settled, and whether that entry's lines turned up after other entries (they then get `split`)."""
        done = self._settle()
        self._key = None
        again = key in self._closed
        if key[2] is not None:
            self._closed.add(key)
        return done, again

    def _settle(self) -> list[tuple[object, Result]]:
        if not self._open:
            return []
        handles, results = zip(*self._open, strict=True)
        self._open = []
        first = results[0]
        law = self.law_of(first.destination)
        key = entry_key(first)
        settled = settle_entry(list(results), law) if law is not None else list(results)
        if first.entry_number is not None:
            if key in self._closed:
                settled = [split(r) for r in settled]
            self._closed.add(key)
        return list(zip(handles, settled, strict=True))


def split(result: Result) -> Result:
    """A line of an entry whose lines are not together in the file, with the warning that says so."""
    message = (
        f"the lines of entry {result.entry_number} are not together in the file: what is computed per entry "
        "(fees with a minimum or maximum, the liquidation tolerance) is computed over this group of its lines only"
    )
    return with_reasons(result, [Reason(severity="warning", rule="entry.split", message=message)])


def entry_law(packs: Iterable[tuple[str, Pack]]) -> dict[str, EntryLaw]:
    """Each destination's `EntryLaw`, from (destination, pack) pairs (only packs that say something per entry)."""
    out = {}
    for destination, pack in packs:
        header = pack.header
        bounds = {m.id: m.per_entry for m in pack.measures if m.per_entry is not None}
        law = EntryLaw(bounds, header.tolerance, header.minor_unit, header.currency)
        if law.active:
            out[destination] = law
    return out
