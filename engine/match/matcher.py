"""Match stage: the one module that talks to durable-rules, and owns its traps.

- Lines are asserted as *facts* (an event would fire only one rule; a fact fires every rule it matches).
- Every ruleset has a catch-all rule, so a line that matches no measure never raises
  `MessageNotHandledException`; the catch-all also proves each fact was seen.
- Each batch is asserted in its own session (`sid`) whose state is deleted afterwards, so memory stays
  flat in long runs; identical facts in one batch are asserted once (durable-rules refuses a repeat).
- Each `Matcher` has its own `Host` that starts no background threads (durable's default host runs
  timers that would fire actions off the caller's thread); nothing relies on durable's global host.
- durable-rules has fixed-size tables and fails (hangs, raises, or corrupts memory) past them: about 512
  tests off one node (a hang), 128 `$nex` tests off one node, and a matching stack of 64 nodes: a fact
  that reaches 65 matching tests at once aborts the process ("double free or corruption"). Each rule path
  (each `$or` alternative; `$or`s inside an `$and` multiply) can hold at most one slot of each, so rules
  are split into rulesets of at most `MAX_PATHS` paths, the catch-all included.
- A rule holds at most `MAX_OPERATORS` `$and`/`$or` operators (durable's expression sequence has 32 slots,
  two per operator); a rule with more is refused with `MatchError`, as is any other rule durable refuses.
- Facts of more than about 250 fields crash durable-rules: packs whose facts could exceed
  `MAX_FACT_FIELDS` are refused.
- `$or` makes a rule fire once per true alternative: matches are collected into sets.

Each ruleset is asserted, and caches the answer for, only the projection of a fact onto the fields its own
rules test: two lines that differ in a field no rule of a ruleset tests are one fact to it. Facts carry no
money, so a cached answer serves every later line with the same projection.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import weakref
from collections.abc import Callable, Sequence
from decimal import Decimal

from durable import engine as durable_engine

from .compile import CompiledPack, Cond, RuleRef, field_use
from .limits import (
    MAX_PATHS,
    OPERATORS_ADVICE,
    PATHS_ADVICE,
    paths,
    too_many_fact_fields,
    too_many_operators,
    too_many_paths,
)

CATCH_ALL = "catch_all"
CACHE_SIZE = 50_000  # per ruleset: facts carry no money, so a fact's matches serve every line like it
_instances = itertools.count()


def _digest(items: tuple) -> bytes:
    """A 16-byte key for a fact (its sorted items): a small cache entry, and no collision in practice."""
    return hashlib.blake2b(repr(items).encode(), digest_size=16).digest()


class MatchError(Exception):
    """A pack cannot be compiled into durable-rules within its limits."""


class _Host(durable_engine.Host):
    """A durable-rules host without the background dispatch threads: actions run in the caller."""

    def _run(self) -> None:  # the base class starts timer threads here
        return None

    def free_when_collected(self, owner: object) -> None:
        """durable-rules never frees a ruleset (about 1.7 MB for the US pack, in C): delete this host's
        rulesets once `owner` is garbage, so that a process making many checkers stays flat."""
        handles = [ruleset._handle for ruleset in self._ruleset_list]
        weakref.finalize(owner, _delete_rulesets, handles)


def _delete_rulesets(handles: list[int]) -> None:
    for handle in handles:
        with contextlib.suppress(Exception):
            durable_engine.durable_rules_engine.delete_ruleset(handle)


def describe(ref: RuleRef) -> str:
    if ref.kind == "precedence":
        return f"precedence {ref.target}"
    return f"measure {ref.target}" + (f" condition {ref.condition}" if ref.condition else "")


def split_rules(rules: dict[str, tuple[RuleRef, Cond]], limit: int = MAX_PATHS) -> list[list[str]]:
    """Group rule names into chunks of at most `limit` paths (the catch-all adds one to each)."""
    chunks: list[list[str]] = [[]]
    used = 0
    for name, (ref, cond) in rules.items():
        problems = ((too_many_paths(cond, limit), PATHS_ADVICE), (too_many_operators(cond), OPERATORS_ADVICE))
        for problem, advice in problems:
            if problem:
                raise MatchError(f"rule for {describe(ref)} {problem}: {advice}")
        n = paths(cond)
        if used + n + 1 > limit and chunks[-1]:
            chunks.append([])
            used = 0
        chunks[-1].append(name)
        used += n
    return chunks


class _Ruleset:
    """One durable-rules ruleset of a matcher: its name, the fact fields its rules test, and a cache of what
    each projection of a fact onto those fields matched (lines that differ only in fields a ruleset does
    not test are one fact to it)."""

    def __init__(self, name: str, fields: frozenset[str]) -> None:
        self.name = name
        self.fields = tuple(sorted(fields | {"t"}))
        self.cache: dict[bytes, frozenset[str] | Exception] = {}
        self.shared: dict[frozenset[str], frozenset[str]] = {}  # one object per distinct answer

    def key(self, fact: dict) -> bytes:
        return _digest(tuple(map(fact.get, self.fields)))

    def project(self, fact: dict) -> dict:
        return {f: fact[f] for f in self.fields if f in fact}


class Matcher:
    """Which rules (measures, unmet conditions, precedence orders) each fact matches."""

    def __init__(self, compiled: CompiledPack, path_limit: int = MAX_PATHS) -> None:
        too_wide = too_many_fact_fields(compiled)
        if too_wide:
            raise MatchError(too_wide)
        self.compiled = compiled
        self._refs = {name: ref for name, (ref, _) in compiled.rules.items()}
        self._host = _Host()
        self._hits: set[tuple[str, int]] = set()
        self._shared: dict[tuple, frozenset[RuleRef]] = {}  # the rulesets' answers -> one object per match set
        self._sessions = itertools.count()
        self._rulesets: list[_Ruleset] = []
        instance = next(_instances)
        definitions = {}
        for i, chunk in enumerate(split_rules(compiled.rules, path_limit)):
            name = f"clearance_{instance}_{i}"
            ruleset = {rule: {"all": [{"m": compiled.rules[rule][1]}], "run": self._action(rule)} for rule in chunk}
            catch_all = f"{CATCH_ALL}{i}"
            ruleset[catch_all] = {"all": [{"m": {"t": "line"}}], "run": self._action(catch_all)}
            definitions[name] = ruleset
            fields = field_use(compiled.rules[rule][1] for rule in chunk).names
            self._rulesets.append(_Ruleset(name, frozenset(fields)))
        try:
            self._host.set_rulesets(definitions)
        except Exception as exc:  # durable's own refusal (e.g. error 113) must stay a one-line pack error
            raise MatchError(f"pack {compiled.pack.id}: durable-rules refused the compiled rules: {exc}") from exc
        self._host.free_when_collected(self)

    @property
    def ruleset_count(self) -> int:
        return len(self._rulesets)

    def _action(self, rule: str) -> Callable[[object], None]:
        hits = self._hits

        def record(c) -> None:  # type: ignore[no-untyped-def]
            hits.add((rule, c.m["id"]))

        return record

    def match(self, facts: Sequence[dict]) -> list[frozenset[RuleRef] | Exception]:
        """Matched rules per fact, in order. A fact that breaks the engine gets its exception, and the
        rest of the batch is still matched."""
        answers = [self._match_ruleset(ruleset, facts) for ruleset in self._rulesets]
        out: list[frozenset[RuleRef] | Exception] = []
        for parts in zip(*answers, strict=True):
            failed = next((p for p in parts if isinstance(p, Exception)), None)
            if failed is not None:
                out.append(failed)
                continue
            refs = self._shared.get(parts)  # the rulesets' answers are shared objects: few distinct tuples
            if refs is None:
                if len(self._shared) > CACHE_SIZE:
                    self._shared.clear()
                refs = self._shared[parts] = frozenset(self._refs[rule] for p in parts for rule in p)  # type: ignore[union-attr]
            out.append(refs)
        return out

    def _match_ruleset(self, ruleset: _Ruleset, facts: Sequence[dict]) -> list[frozenset[str] | Exception]:
        """What each fact matches in one ruleset: from the cache, or by asserting each new projection."""
        keys = [ruleset.key(f) for f in facts]
        cache = ruleset.cache
        found = {k: cache[k] for k in keys if k in cache}  # taken before the cache may be cleared
        new: dict[bytes, dict] = {}
        for k, f in zip(keys, facts, strict=True):
            if k not in found and k not in new:
                new[k] = ruleset.project(f)
        if new:
            results = self._assert(ruleset, [dict(fact, id=n) for n, fact in enumerate(new.values())])
            shared = ruleset.shared
            fresh = {
                k: shared.setdefault(r, r) if isinstance(r, frozenset) else r for k, r in zip(new, results, strict=True)
            }
            if len(cache) + len(new) > CACHE_SIZE:
                cache.clear()
                shared.clear()
            cache.update(fresh)
            found.update(fresh)
        return [found[k] for k in keys]

    def _assert(self, ruleset: _Ruleset, batch: list[dict]) -> list[frozenset[str] | Exception]:
        sid = f"s{next(self._sessions)}"
        for f in batch:
            f["sid"] = sid
        self._hits.clear()
        failed: dict[int, Exception] = {}
        try:
            try:
                self._host.assert_facts(ruleset.name, batch)
            except Exception:
                failed.update(self._one_by_one(ruleset, batch, sid))
        finally:
            self._forget(ruleset.name, sid)
        matched: list[set[str]] = [set() for _ in batch]
        seen = [False] * len(batch)
        for rule, i in self._hits:
            if rule.startswith(CATCH_ALL):
                seen[i] = True
            else:
                matched[i].add(rule)
        self._hits.clear()
        out: list[frozenset[str] | Exception] = []
        for i, m in enumerate(matched):
            if i in failed:
                out.append(failed[i])
            elif not seen[i]:
                out.append(MatchError("durable-rules did not see this line in every ruleset"))
            else:
                out.append(frozenset(m))
        return out

    def _forget(self, name: str, sid: str) -> None:
        """Delete a session's state. A session no fact got into has none (durable error 309)."""
        try:
            self._host.delete_state(name, sid)
        except Exception as exc:
            if "error code: 309" not in str(exc):
                raise

    def _one_by_one(self, ruleset: _Ruleset, batch: list[dict], sid: str) -> dict[int, Exception]:
        """After a batch failed: retract what got in, then assert fact by fact to isolate the bad one."""
        self._forget(ruleset.name, sid)
        self._hits.clear()
        failed = {}
        for f in batch:
            try:
                self._host.assert_fact(ruleset.name, f)
            except Exception as exc:
                failed[f["id"]] = exc
        return failed


class QuotaLedger:
    """Cross-line caps (e.g. 5,000 vehicles per type per calendar year, across every line of a run) on
    durable-rules: each claim is asserted as a fact in the session of its cap key, and the rule's action
    keeps the units used in that session's state (as a decimal string: no floats). A line that would go
    past the cap is refused and does not consume units. Claims must be offered in input order."""

    def __init__(self) -> None:
        self._host = _Host()
        self._name = f"clearance_quota_{next(_instances)}"
        self._ids = itertools.count()
        self._outcome: tuple[str, bool] | None = None
        rule = {"all": [{"m": {"t": "claim"}}], "run": self._count}
        self._host.set_rulesets({self._name: {"claim": rule}})
        self._host.free_when_collected(self)

    def _count(self, c) -> None:  # type: ignore[no-untyped-def]
        used = Decimal(c.s.used or "0")
        within = used + Decimal(c.m.units) <= Decimal(c.m.limit)
        if within:
            c.s.used = str(used + Decimal(c.m.units))
        self._outcome = (str(used), within)

    def claim(self, key: str, units: Decimal, limit: int) -> tuple[Decimal, bool]:
        """Units used under `key` before this claim, and whether this claim fits under `limit`."""
        fact = {"t": "claim", "id": next(self._ids), "sid": key, "units": str(units), "limit": limit}
        self._outcome = None
        self._host.assert_fact(self._name, fact)
        self._host.retract_fact(self._name, fact)
        if self._outcome is None:
            raise MatchError("durable-rules did not count the quota claim")
        used, within = self._outcome
        return Decimal(used), within
