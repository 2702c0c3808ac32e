"""Cross-references inside a pack, checked once: ids unique; the lists, origins and areas, documents, stacking
targets and precedence orders each measure or order names exist. The loader stops at the first problem
(`PackError`); `clearance rules lint` reports every one at its line (the problem's code is the lint code)."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from .model import Measure, PackHeader
from .queries import GROUP, known_origin

Where = tuple[str | int, ...]  # ("measure", index, *path in it) or ("header", *path in pack.yaml)


@dataclass(frozen=True)
class Problem:
    code: str
    where: Where
    message: str
    first: int | None = None  # a repeated measure id: the index of the measure that has it first


def reference_problems(
    header: PackHeader | None, measures: Sequence[Measure], lists: Collection[str]
) -> Iterator[Problem]:
    """Every broken cross-reference, measures in order, then the precedence orders. Without a header (it did
    not validate) only what the measures say of one another is checked."""
    first: dict[str, int] = {}
    for i, m in enumerate(measures):
        if m.id in first:
            yield Problem("CL011", ("measure", i, "id"), f"duplicate measure id {m.id}", first[m.id])
        first.setdefault(m.id, i)
    groups = {m.stacking.group for m in measures if m.stacking.group}
    for i, m in enumerate(measures):
        yield from _measure(header, i, m, lists, groups, first)
    if header is not None:
        yield from _precedence(header, first)


def _measure(
    header: PackHeader | None, i: int, m: Measure, lists: Collection[str], groups: set[str], ids: Collection[str]
) -> Iterator[Problem]:
    codes = m.scope.codes
    for key, names in (("lists", codes.lists), ("exclude_lists", codes.exclude_lists)) if codes else ():
        for j, name in enumerate(names):
            if name not in lists:
                message = f"measure {m.id}: unknown list {name!r} (no lists/{name}.yaml or .csv)"
                yield Problem("CL004", ("measure", i, "scope", "codes", key, j), message)
    if header is not None:
        for key, origins in (("origins", m.scope.origins), ("exclude_origins", m.scope.exclude_origins)):
            for j, origin in enumerate(origins):
                if not known_origin(header, origin):
                    message = f"measure {m.id}: unknown origin or area {origin!r}"
                    yield Problem("CL012", ("measure", i, "scope", key, j), message)
        for ci, cond in enumerate(m.conditions):
            for di, alt in enumerate(cond.alternatives()):
                if header.documents and alt.document not in header.documents:
                    message = f"measure {m.id}: condition {cond.id}: unknown document code {alt.document!r}"
                    yield Problem("CL006", ("measure", i, "conditions", ci, "documents", di), message)
    for j, ex in enumerate(m.stacking.excludes):
        known = ex.target.removeprefix(GROUP) in groups if ex.target.startswith(GROUP) else ex.target in ids
        if not known:
            message = f"measure {m.id}: unknown stacking target {ex.target!r}"
            yield Problem("CL005", ("measure", i, "stacking", "excludes", j, "target"), message)
    for j, target in enumerate(m.basis.of):
        if target not in ids:
            yield Problem("CL005", ("measure", i, "basis", "of", j), f"measure {m.id}: unknown basis {target!r}")


def _precedence(header: PackHeader, ids: Collection[str]) -> Iterator[Problem]:
    """An order may name a group the pack has no measure of yet (e.g. IEEPA Canada), never an unknown measure."""
    orders = {p.id for p in header.precedence}
    for pi, p in enumerate(header.precedence):
        for ri, rank in enumerate(p.order):
            for ti, target in enumerate(rank):
                if not target.startswith(GROUP) and target not in ids:
                    message = f"precedence {p.id}: unknown measure {target!r} (a group is written group:NAME)"
                    yield Problem("CL005", ("header", "precedence", pi, "order", ri, ti), message)
        for j, old in enumerate(p.replaces):
            if old not in orders:
                message = f"precedence {p.id}: replaces unknown precedence order {old!r}"
                yield Problem("CL005", ("header", "precedence", pi, "replaces", j), message)
