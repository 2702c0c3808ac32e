"""The compute stage: a line's stacking plan compiled once into a program, run on each line that has that plan.

A `Program` is made once per distinct matched-rule set (`resolve.plan.plan`) and kept across chunks (`Programs`, a
bounded cache). It holds what depends only on the plan: the settle order, each measure's outgoing stacking edges with
the exclusion and the note they give, each duty measure's note as a template (`DUTY_NOTE` with its title), the
reasons of unconfirmed measures and unmet conditions, and the result-batch templates (`Component`, `Plan`) the lines
point at. Running it on a line does only what depends on the line: the amounts (exact Decimal, `resolve.amount`),
the amount-dependent stacking (`when: subject`, a `portion` that consumes the basis), the charges and their roundings
(`resolve.charges`, the pack's rounding rules), declared against computed, refunds.

The per-line `resolve` (engine/resolve/stacking.py) stays the reference: a program gives exactly its record
(tests/compute/test_program.py) or gives up on the line (`run` returns None) and the caller resolves that line the
reference way: a line with an input reason (a currency, a late date, a reference note), a warning while computing,
quantity caps (quota claims), a stacking cycle or two survivors of one group, declared headings or fees."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from typing import NamedTuple

from ..duty.expression import ZERO, round_money
from ..duty.rounding import minor_unit_rounding
from ..entries.columns import LineView
from ..match.compile import CompiledPack, RuleRef
from ..packs.model import CHARGES, Measure
from ..report.result import Reason
from ..report.result_batch import DUTY_NOTE, OVER_DECLARED, UNDER_DECLARED, Component, Exclusion, Text, escape
from ..report.result_batch import Plan as Template
from ..resolve.amount import Settled, cite, compute, own_basis
from ..resolve.charges import added_basis, in_charge_order, rounding_of
from ..resolve.declared import compare_declared
from ..resolve.entry_checks import input_reasons
from ..resolve.plan import Edge, Plan, plan
from ..resolve.refund import PaidDuty, refund_reasons
from ..resolve.stacking import take
from .layout import DUTY, EXEMPT, Layout, Signature, layout, signature

MAX_PROGRAMS = 2_000  # programs kept per pack (the top 1,000 plans cover 95% of lines; each holds ~16 KB)
MAX_LAYOUTS = 256  # stacking outcomes, templates and components kept per program
SEVERITIES = ("error", "warning", "info")
HEADING_RULE, DUTY_RULE = "declared.heading", "declared.duty"
VERDICT_OF = {"error": "reject", "warning": "review"}


class Charged(NamedTuple):
    """One charge line of a computed line: its template, basis and amount (rounded as its measure rounds)."""

    component: Component
    basis_value: Decimal
    amount: Decimal

    @property
    def heading(self) -> str:  # what a refund programme reads of a duty line
        return self.component.heading

    @property
    def measure(self) -> str:
        return self.component.measure


@dataclass(slots=True)
class Computed:
    """What a program computed for one line: everything its record holds besides the line's identity."""

    verdict: str
    currency: str
    total_duty: Decimal
    total_taxes: Decimal
    total_fees: Decimal
    declared_duty: Decimal | None
    charges: list[Charged]  # duties, then taxes, then fees (the record's order)
    plan: Template
    portions: tuple[str, ...]
    own: list[tuple[int, Text]]  # the line's own reasons (literal text), after that many plan reasons


class Taken(NamedTuple):
    """An exclusion that fired on the line, as `resolve.declared` reads it."""

    measure: str
    excluded_by: str
    portion: Decimal | None


class GiveUp(Exception):
    """The program cannot compute this line exactly: the reference resolve does it."""


@dataclass(frozen=True)
class Step:
    """A measure's outgoing edge as the program runs it: the edge, what it records when it takes the whole target,
    and its note."""

    edge: Edge
    whole: Exclusion
    note: Text


def text(reason: Reason) -> Text:
    """A reason that has no numbers of the line, as a plan template."""
    return Text(reason.severity, reason.rule, escape(reason.message), reason.citation)


class Program:
    """One plan, compiled: see the module docstring."""

    def __init__(self, compiled: CompiledPack, refs: frozenset[RuleRef], shared: dict | None = None) -> None:
        """`shared`: what the programs of one pack share (each edge's step, each measure's note), made once."""
        p: Plan = plan(compiled, refs)
        shared = {} if shared is None else shared
        self.compiled = compiled
        self.plan = p
        header = compiled.pack.header
        self.currency, self.minor = header.currency, header.minor_unit
        self.zero = minor_unit_rounding(self.minor).apply(ZERO)
        self.measures = {m.id: m for m in p.measures}
        self.steps = {mid: tuple(_step(shared, e) for e in edges) for mid, edges in p.edges_from.items()}
        self.notes = {m.id: _note(shared, m) for m in p.measures if m.kind == "duty"}
        self.rounding = {m.id: rounding_of(compiled, m) for m in p.measures if m.kind == "duty"}
        # a rounded amount has its rounding unit's exponent: the decimals it prints with are known per measure
        self.shown = {mid: _shown(r.amount.unit, self.minor) for mid, r in self.rounding.items()}
        settled = [Settled(m) for m in p.measures]
        self.charge_order = tuple(s.measure.id for s in in_charge_order(settled, p.order))
        self.capped = frozenset(p.capped)
        self.exemption_headings = tuple(m.heading for m in p.measures if m.kind == "exemption" and m.heading)
        self.adds = frozenset(m.id for m in p.measures if m.basis.plus or m.basis.of)  # bases with other charges
        self.static: dict[str, tuple[Text, ...]] = {}  # per measure: unconfirmed and unmet reasons, in resolve's order
        for m in p.measures:
            unmet = p.unmet.get(m.id, {})
            found = [text(p.unconfirmed[m.id])] if m.id in p.unconfirmed else []
            found += [text(unmet[c.id]) for c in m.conditions if c.id in unmet]
            if found:
                self.static[m.id] = tuple(found)
        self.templates: dict[tuple, Template] = {}
        self.layouts: dict[Signature, Layout] = {}
        self.components: dict[tuple, Component] = {}
        self.programmes = bool(compiled.pack.programmes)

    def component(self, *key: object) -> Component:
        found = self.components.get(key)
        if found is None:
            if len(self.components) > MAX_LAYOUTS:
                self.components.clear()
            found = self.components[key] = Component(*key)  # type: ignore[arg-type]
        return found

    def template(self, reasons: tuple, excluded: tuple) -> Template:
        key = (reasons, excluded)
        found = self.templates.get(key)
        if found is None:
            if len(self.templates) > MAX_LAYOUTS:
                self.templates.clear()
            found = self.templates[key] = Template(reasons, excluded)
        return found

    def run(self, line: LineView) -> Computed | None:
        """The line's record values, or None when the program cannot give them exactly."""
        try:
            return self._run(line)
        except GiveUp:
            return None
        except Exception:  # an arithmetic fault: the reference resolve gives the line its answer (`invalid`)
            return None

    def _run(self, line: LineView) -> Computed:
        compiled, p = self.compiled, self.plan
        if p.cycle or line.declared_fees is not None:
            raise GiveUp
        if input_reasons(line, compiled.pack.header, compiled.law_as_of)[0]:  # type: ignore[arg-type]
            raise GiveUp
        applied = {mid: Settled(m) for mid, m in self.measures.items()}
        fired: list[tuple[Step, Decimal | None]] = []
        zero_lines: list[tuple[str, str, Decimal]] = []  # (measure, heading, basis) of an exclusion's 0% line
        warnings: list[Reason] = []
        for mid in p.order:
            s = applied[mid]
            if s.excluded_by is not None:
                continue
            if s.measure.kind == "duty":
                added = added_basis(compiled, s.measure, applied) if mid in self.adds else ZERO
                compute(s, line, self.currency, warnings, added, self.rounding[mid].basis)  # type: ignore[arg-type]
            for step in self.steps.get(mid, ()):
                _apply(step, s, applied[step.edge.target], line, fired, zero_lines)
        return self._record(line, applied, fired, zero_lines, [(text(r), None) for r in warnings])

    def _record(
        self,
        line: LineView,
        applied: dict[str, Settled],
        fired: list[tuple[Step, Decimal | None]],
        zero_lines: list[tuple[str, str, Decimal]],
        warnings: list[tuple[Text, None]],
    ) -> Computed:
        """The line's charge lines and totals, each amount rounded as its measure rounds (`resolve.charges`), on the
        layout its stacking outcome has; then declared against computed and refunds, which are the line's own."""
        key = signature(line, applied, fired, zero_lines, warnings, self.exemption_headings)
        lay = self.layouts.get(key)
        if lay is None:
            if len(self.layouts) > MAX_LAYOUTS:
                self.layouts.clear()
            lay = self.layouts[key] = layout(self, line, applied, fired, zero_lines, warnings)
        if lay.give_up or line.declared_heading_duty or _uncomputed(applied):
            raise GiveUp  # duty declared heading by heading, or a duty not computed: the record says so (reference)
        totals = dict.fromkeys(CHARGES, ZERO)
        charged: list[Charged] = []
        for slot in lay.slots:
            if slot.source == DUTY:
                s = applied[slot.key]  # type: ignore[index]
                rounding = self.rounding[s.measure.id]
                amount = rounding.amount.apply(s.amount)  # type: ignore[arg-type]
                basis = line.quantity if slot.per_quantity else s.basis_value
                exact = s.amount  # the total rounds the exact amounts where the pack says so (Japan)
                m = s.measure
                totals[m.charge] += rounding.total.apply(exact) if rounding.total else amount  # type: ignore[arg-type]
                component = self.component(m.id, s.heading, s.rate, slot.basis, m.charge, self.shown[m.id])
            elif slot.source == EXEMPT:
                basis, amount = own_basis(applied[slot.key], line), self.zero  # type: ignore[arg-type, index]
                if basis is None:
                    raise GiveUp
                totals["duty"] += amount
                component = slot.component  # type: ignore[assignment]
            else:
                basis, amount = zero_lines[slot.key][2], self.zero  # type: ignore[index]
                component = slot.component  # type: ignore[assignment]
            charged.append(Charged(component, basis, amount))  # type: ignore[arg-type]
        duties = charged[: lay.duties]
        total = totals["duty"] + sum((c.amount for c in charged[lay.computed : lay.duties]), ZERO)
        reasons: list[tuple[Text, int | None]] = list(lay.plan.reasons)
        own: list[tuple[int, Text]] = []
        declared = None if line.declared_duty is None else round_money(line.declared_duty, self.minor)
        if declared is not None or line.declared_headings or line.declared_heading_duty:
            taken = [Taken(step.whole.measure, step.whole.excluded_by, portion) for step, portion in fired]
            found = compare_declared(self.compiled, line, duties, total, applied, taken)  # type: ignore[arg-type]
            self._declared(found, total, reasons, own)
        if self.programmes:
            paid = PaidDuty(round_money(total, self.minor), declared)
            for r in refund_reasons(self.compiled, duties, paid):  # type: ignore[arg-type]
                own.append((len(reasons), Text(r.severity, r.rule, r.message, r.citation)))
        severities = lay.severities
        if len(reasons) > len(lay.plan.reasons) or own:
            severities = severities | {t.severity for t, _ in reasons} | {t.severity for _, t in own}
        verdict = next((VERDICT_OF[s] for s in SEVERITIES[:2] if s in severities), "accept")
        plan = lay.plan if len(reasons) == len(lay.plan.reasons) else self.template(tuple(reasons), lay.plan.excluded)
        return Computed(
            verdict=verdict,
            currency=self.currency,
            total_duty=round_money(total, self.minor),
            total_taxes=round_money(totals["tax"], self.minor),
            total_fees=round_money(totals["fee"], self.minor),
            declared_duty=declared,
            charges=charged,
            plan=plan,
            portions=tuple(str(portion) for _, portion in fired if portion is not None),
            own=own,
        )

    def _declared(
        self, found: list[Reason], total: Decimal, reasons: list[tuple[Text, int | None]], own: list[tuple[int, Text]]
    ) -> None:
        """The findings of `resolve.declared.compare_declared`: the declared duty's as its template where the
        template prints exactly its text, a heading declared or not as a plan's text, the rest the line's own."""
        for r in found:
            if r.rule == HEADING_RULE:
                reasons.append((text(r), None))
                continue
            if r.rule == DUTY_RULE:
                wording = UNDER_DECLARED if r.severity == "error" else OVER_DECLARED
                if self._prints(wording, r.message, total):
                    reasons.append((Text(r.severity, r.rule, wording, r.citation), None))
                    continue
            own.append((len(reasons), Text(r.severity, r.rule, r.message, r.citation)))

    def _prints(self, wording: str, message: str, total: Decimal) -> bool:
        """Whether the declared-duty template, filled from the record's money, prints exactly `message` (not when
        the total prints otherwise than to the minor unit: no duty line gives 0, not 0.00)."""
        return str(round_money(total, self.minor)) == str(total) and message.startswith(wording.split("{")[0])


def _step(shared: dict, e: Edge) -> Step:
    """An edge as the programs run it (made once per pack: edges are shared by many plans)."""
    key = ("step", e.source, e.target, e.when, e.portion, e.heading, e.reason, e.citation)
    found = shared.get(key)
    if found is None:
        found = shared[key] = Step(e, Exclusion(e.target, e.source, e.reason), text(e.note))
    return found


def _note(shared: dict, m: Measure) -> Text:
    """A duty measure's note, `DUTY_NOTE` with its title, as a template (made once per pack)."""
    key = ("note", m.id)
    found = shared.get(key)
    if found is None:
        found = shared[key] = Text("info", m.id, DUTY_NOTE.replace("{title}", escape(m.title)), cite(m.citations))
    return found


def _shown(amount: Decimal, digits: int) -> int | None:
    """The decimals an amount prints with, when they are not the currency's (None) (as the result batch keeps it)."""
    exponent = amount.as_tuple().exponent
    shown = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return None if shown == digits else shown


def _apply(
    step: Step,
    src: Settled,
    dst: Settled,
    line: LineView,
    fired: list[tuple[Step, Decimal | None]],
    zero_lines: list[tuple[str, str, Decimal]],
) -> None:
    """`resolve.stacking._apply_edge`, recording the step that fired and the portion it took (None: all)."""
    e = step.edge
    took, portion = take(e, src, dst, line)  # type: ignore[arg-type]
    if not took:
        return
    fired.append((step, portion))
    if e.heading and not any(h == e.heading for _, h, _ in zero_lines):
        base = portion if portion is not None else (own_basis(src, line) or line.value)  # type: ignore[arg-type]
        if base is None:
            raise GiveUp
        zero_lines.append((src.measure.id, e.heading, base))


class Programs:
    """The programs of one pack, by matched-rule set, kept across chunks (bounded)."""

    def __init__(self, compiled: CompiledPack) -> None:
        self.compiled = compiled
        self._found: dict[frozenset[RuleRef], Program] = {}
        self._shared: dict = {}  # steps and notes, by edge and measure (bounded by the pack)

    def __len__(self) -> int:
        return len(self._found)

    def __call__(self, refs: frozenset[RuleRef]) -> Program:
        found = self._found.pop(refs, None)  # put back last: the dict's order is the order of last use
        if found is None:
            if len(self._found) >= MAX_PROGRAMS:  # the least recently used quarter goes
                for old in list(islice(self._found, MAX_PROGRAMS // 4)):
                    del self._found[old]
            found = Program(self.compiled, refs, self._shared)
        self._found[refs] = found
        return found


def _uncomputed(applied: dict[str, Settled]) -> bool:
    """Whether a duty that applies could not be computed (e.g. no MFN rate)."""
    return any(
        s.excluded_by is None and s.measure.kind == "duty" and s.measure.charge == "duty" and s.amount is None
        for s in applied.values()
    )
