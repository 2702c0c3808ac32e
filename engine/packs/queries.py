"""Questions every stage asks of a pack, each answered here once: is a measure in force, which measures does
an exclusion or precedence target name, does a code scope take in a tariff code.

In force: a measure (or precedence order) is in force on an entry date when the date lies in its window
(`from` inclusive, `until` exclusive). `published` counts only against the law's date (`law_as_of`, what the
broker's `--law-as-of` says), never against the entry date: a measure published after an entry date but in
force from before it (a retroactive proclamation) applies to that entry once the law is taken as of its
publication. With no `law_as_of`, every measure of the pack counts as known."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from .model import CodeScope, Dates, Measure, PackHeader, Scope

if TYPE_CHECKING:
    from .load import CodeList

GROUP = "group:"  # an exclusion or precedence target naming a stacking group rather than one measure


def known(dates: Dates, law_as_of: dt.date | None) -> bool:
    """Published on or before `law_as_of` (or not dated at all); always, without a `law_as_of`."""
    return law_as_of is None or dates.published is None or dates.published <= law_as_of


def in_force(dates: Dates, on: dt.date, law_as_of: dt.date | None = None) -> bool:
    """`on` lies in the window, and the instrument is known on `law_as_of` (see the module docstring)."""
    return dates.from_ <= on and (dates.until is None or on < dates.until) and known(dates, law_as_of)


def target_names(m: Measure) -> frozenset[str]:
    """The names an exclusion or a precedence order can give `m` by: its id, and `group:NAME` of its group."""
    return frozenset((m.id, GROUP + m.stacking.group) if m.stacking.group else (m.id,))


def targets(target: str, m: Measure) -> bool:
    """Whether `target` (a measure id or `group:NAME`) names `m`."""
    return target == m.id or (m.stacking.group is not None and target == GROUP + m.stacking.group)


def members(target: str, measures: Iterable[Measure]) -> list[Measure]:
    """The measures `target` names: the one of that id, or every member of the group."""
    return [m for m in measures if targets(target, m)]


def known_origin(header: PackHeader, origin: str) -> bool:
    """Whether a scope's origin is one the pack can name: `*`, an ISO alpha-2 country, or one of its `area:`s."""
    if origin == "*" or (len(origin) == 2 and origin.isascii() and origin.isalpha() and origin.isupper()):
        return True
    return origin.startswith("area:") and origin[5:] in header.areas


def admits_origin(header: PackHeader, scope: Scope, origin: str) -> bool:
    """Whether a scope's origins take in goods of `origin` (ISO alpha-2): named, in a named area, or `*`,
    and not excluded."""

    def names(o: str) -> bool:
        return o == origin or (o.startswith("area:") and origin in header.areas.get(o[5:], ()))

    return ("*" in scope.origins or any(map(names, scope.origins))) and not any(map(names, scope.exclude_origins))


def code_prefixes(code: str) -> Iterator[str]:
    """The leading digits of a tariff code (digits only) that a prefix or a code list can name: 2 digits up."""
    return (code[:n] for n in range(2, len(code) + 1))


def under(code: str, prefixes: Collection[str]) -> bool:
    """Whether `code` (digits) falls under one of `prefixes`."""
    return any(p in prefixes for p in code_prefixes(code))


def code_sets(scope: CodeScope | None, lists: Mapping[str, CodeList]) -> tuple[set[str] | None, set[str]]:
    """The prefixes a code scope takes in (None: every code) and those it leaves out, its named lists
    expanded; a list the pack lacks adds nothing (lint reports it)."""
    if scope is None:
        return None, set()
    include, exclude = set(scope.prefixes), set(scope.exclude_prefixes)
    for name in scope.lists:
        include |= lists[name].prefixes if name in lists else set()
    for name in scope.exclude_lists:
        exclude |= lists[name].prefixes if name in lists else set()
    return include, exclude


def code_covers(scope: CodeScope | None, code: str, lists: Mapping[str, CodeList]) -> bool:
    """Whether a measure's code scope takes in `code` (digits): under an included prefix, not an excluded one."""
    include, exclude = code_sets(scope, lists)
    return (include is None or under(code, include)) and not under(code, exclude)
