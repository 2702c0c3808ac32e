"""durable-rules' fixed limits, and the one measure of a rule or a pack against them: `Matcher` refuses what
breaks them (MatchError), `clearance rules lint` reports it (CL010) with the file and line.

- A matching stack of 64 nodes: each rule path (each `$or` alternative; `$or`s inside an `$and` multiply)
  can fill one slot, so a ruleset holds at most `MAX_PATHS` paths, the catch-all included.
- An expression sequence of 32 slots, two per `$and`/`$or` operator: at most `MAX_OPERATORS` operators a rule.
- Facts of more than about 250 fields crash durable-rules: at most `MAX_FACT_FIELDS`."""

from __future__ import annotations

from .compile import CompiledPack, Cond

MAX_PATHS = 60  # durable's matching stack holds 64 nodes
MAX_OPERATORS = 15
MAX_FACT_FIELDS = 200
FIXED_FACT_FIELDS = 32  # t, o, d, h2..h10, ld, mode, has_*/sh_*, id, sid
PATHS_ADVICE = "use a named list or area, or fewer alternatives"
OPERATORS_ADVICE = "use fewer origin, mode, attribute or document alternatives"


def paths(cond: Cond) -> int:
    """How many rule paths durable-rules makes of a condition (`$or` alternatives inside an `$and`
    multiply): a bound on the tests the rule adds off one node and on the stack slots it can fill."""
    if "$or" in cond:
        return sum(paths(c) for c in cond["$or"])
    if "$and" in cond:
        total = 1
        for c in cond["$and"]:
            total *= paths(c)
        return total
    return 1


def operators(cond: Cond) -> int:
    """How many `$and`/`$or` operators a condition nests (durable-rules keeps at most `MAX_OPERATORS`)."""
    for op in ("$or", "$and"):
        if op in cond:
            return 1 + sum(operators(c) for c in cond[op])
    return 0


def too_many_paths(cond: Cond, limit: int = MAX_PATHS) -> str | None:
    """Why one rule cannot fit a ruleset of `limit` paths (the catch-all takes one), or None."""
    n = paths(cond)
    return f"expands to {n} durable-rules paths (limit {limit - 1})" if n + 1 > limit else None


def too_many_operators(cond: Cond) -> str | None:
    """Why durable-rules cannot hold one rule's nesting, or None."""
    n = operators(cond)
    return f"nests {n} and/or operators (durable-rules limit {MAX_OPERATORS})" if n > MAX_OPERATORS else None


def too_many_fact_fields(compiled: CompiledPack) -> str | None:
    """Why a pack's facts would be too wide for durable-rules, or None."""
    vocabularies = {
        "lists": compiled.lists,
        "areas": compiled.areas,
        "documents": compiled.documents,
        "attributes": compiled.attributes,
        "SPI": compiled.spi,
    }
    fields = sum(len(v.names) for v in vocabularies.values()) + FIXED_FACT_FIELDS
    if fields <= MAX_FACT_FIELDS:
        return None
    counts = ", ".join(f"{len(v.names)} {label}" for label, v in vocabularies.items())
    return (
        f"pack {compiled.pack.id} needs {fields} fact fields ({counts}, +{FIXED_FACT_FIELDS} fixed; "
        f"durable-rules limit {MAX_FACT_FIELDS})"
    )
