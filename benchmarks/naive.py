"""The naive baseline: durable-rules as a new user would write it, one `post` per line.

    python -m benchmarks.naive FILE DB [--lines N]

One ruleset with one rule per measure of the rule packs (origins, tariff-code prefixes and named lists as
a regular expression, the date window), written with durable's `ruleset`/`when_all` and its global host;
each line is parsed and posted as an event, the action adds the measure's ad valorem duty, and the
results are stored in SQLite (executemany, one transaction per 2,000 lines). It knows nothing of
stacking, conditions, in-transit rules or content bases, and an event fires only one rule of each
ruleset (durable's event semantics), so it does less work than `clearance check`: it is a floor for the
naive approach. The rules are split over rulesets of `RULES_PER_SET`: one ruleset of today's ~240 rules
makes durable-rules refuse every event (error 303, its stack limit), the next thing a new user meets."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import re
import sqlite3
import sys
from decimal import Decimal, InvalidOperation
from itertools import islice

from durable.engine import MessageNotHandledException
from durable.lang import m, post, ruleset, when_all

from clearance.engine import load_rules
from clearance.engine.entries.readers import RecordSource
from clearance.engine.packs.model import Measure

HITS: list[str] = []
REGEX_PREFIXES = 200
RULES_PER_SET = 50  # durable-rules refuses an event that one ruleset of a few hundred rules tests (error 303)


def conditions(measure: Measure, lists: dict) -> list[object]:
    """The measure's scope as durable conditions (origins, codes, dates). A long list of codes is split
    over several rules: durable-rules refuses a regular expression of more than a few thousand
    characters (error 503), which is what a new user meets first."""
    tests = []
    origins = [o for o in measure.scope.origins if o != "*" and not o.startswith("area:")]
    if origins:
        tests.append(m.origin.matches("|".join(origins)))
    tests.append(m.date >= int(measure.dates.from_.strftime("%Y%m%d")))
    if measure.dates.until:
        tests.append(m.date < int(measure.dates.until.strftime("%Y%m%d")))
    codes = measure.scope.codes
    groups: list[list[str]] = [[]]
    if codes is not None:
        prefixes = list(codes.prefixes) + [p for name in codes.lists for p in sorted(lists[name].prefixes)]
        groups = [prefixes[i : i + REGEX_PREFIXES] for i in range(0, len(prefixes), REGEX_PREFIXES)]
    out = []
    for group in groups:
        cond = tests[0]
        for t in tests[1:] + ([m.code.matches("(" + "|".join(group) + ").*")] if group else []):
            cond = cond & t
        out.append(cond)
    return out


def define(name: str) -> tuple[list[str], dict[str, Decimal]]:
    """One rule per measure, in rulesets of at most `RULES_PER_SET` rules (durable-rules' stack limit: error
    303, "max stack size", on today's packs with one ruleset); returns the rulesets' names and the ad valorem
    rate (as a fraction) of each measure that has one."""
    rates = {}
    rules = []
    for pack in load_rules().values():
        for measure in pack.measures:
            rules += [(measure.id, cond) for cond in conditions(measure, pack.lists)]
            match = re.fullmatch(r"(?:all-in )?(\d+(?:\.\d+)?)%", measure.rate or "")
            if match:
                rates[measure.id] = Decimal(match.group(1)) / 100
    names = []
    for start in range(0, len(rules), RULES_PER_SET):
        names.append(f"{name}{len(names)}")
        with ruleset(names[-1]):
            for measure_id, cond in rules[start : start + RULES_PER_SET]:
                when_all(cond)(_action(measure_id))
    return names, rates


def _action(measure_id: str):  # type: ignore[no-untyped-def]
    def act(c) -> None:  # type: ignore[no-untyped-def]
        HITS.append(measure_id)

    return act


def check(path: str, db: str, limit: int | None) -> int:
    names, rates = define("naive")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE IF NOT EXISTS naive (row INTEGER, code TEXT, measures TEXT, duty TEXT)")
    records = islice(RecordSource(path), limit)
    done = 0
    while chunk := list(islice(records, 2000)):
        rows = []
        for rec in chunk:
            done += 1
            rows.append((done, rec.get("hts_code"), *_post(rec, names, rates)))
        with con:
            con.executemany("INSERT INTO naive VALUES (?, ?, ?, ?)", rows)
    return done


def _post(rec: dict, names: list[str], rates: dict[str, Decimal]) -> tuple[str, str]:
    HITS.clear()
    try:
        date = int(dt.date.fromisoformat(rec.get("entry_date", "")).strftime("%Y%m%d"))
        value = Decimal(rec.get("value") or "0")
        code = re.sub(r"\D", "", rec.get("hts_code", ""))
    except (ValueError, InvalidOperation):
        return "[]", "0"
    event = {"code": code, "origin": rec.get("origin", ""), "date": date}
    for name in names:
        with contextlib.suppress(MessageNotHandledException):
            post(name, event)
    duty = sum((value * rates.get(mid, Decimal(0)) for mid in HITS), Decimal(0))
    return json.dumps(HITS), str(duty.quantize(Decimal("0.01")))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("db")
    ap.add_argument("--lines", type=int, default=None)
    args = ap.parse_args()
    print(f"{check(args.file, args.db, args.lines)} lines posted", file=sys.stderr)


if __name__ == "__main__":
    main()
