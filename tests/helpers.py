"""Builders the tests share: a small mixed rule-pack folder (a US and a JP pack, with caps, lists and
stacking) and seeded entry files over it, good and bad lines mixed."""

from __future__ import annotations

import datetime as dt
import random
import textwrap
from pathlib import Path

MIXED_PACKS = {  # file -> text of a rules folder with a US and a JP pack
    "us/pack.yaml": """
        id: tus
        title: test US pack
        jurisdiction: US
        currency: USD
        minor_unit: 2
    """,
    "us/lists/steel.yaml": """
        codes: ["7208", "7209"]
    """,
    "us/duties.yaml": """
        instrument: Test Tariff Act
        citations: ["Test Tariff Act sec. 1"]
        published: 2025-01-01
        measures:
          - id: t.mfn
            title: general rate
            kind: duty
            rate: mfn
            dates: {from: 1989-01-01}
          - id: t.reciprocal
            title: reciprocal 10%
            kind: duty
            heading: 9903.01.25
            rate: 10%
            scope: {origins: [JP]}
            dates: {from: 2025-04-05}
            stacking: {group: reciprocal}
          - id: t.steel
            title: steel 25%
            kind: duty
            heading: 9903.81.87
            rate: 25%
            scope: {codes: {lists: [steel]}}
            dates: {from: 2025-03-12}
            stacking:
              excludes:
                - {target: "group:reciprocal", heading: 9903.01.33, reason: steel is not reciprocal}
    """,
    "jp/pack.yaml": """
        id: tjp
        title: test JP pack
        jurisdiction: JP
        currency: JPY
        minor_unit: 0
        documents: {TYPE: type designation, PHP: low-volume procedure}
        attributes: {vehicle_type: the vehicle type}
    """,
    "jp/vehicles.yaml": """
        instrument: Test Vehicle Act
        citations: ["Test Vehicle Act art. 1"]
        published: 2013-01-01
        measures:
          - id: t.vehicles.certification
            title: Passenger vehicles need certification
            kind: admissibility
            scope: {codes: {prefixes: ["8703"]}}
            dates: {from: 2013-01-01}
            conditions:
              - id: certification
                message: no type designation and no PHP within its cap
                documents: [TYPE, {document: PHP, cap: {units: 7, per_attribute: vehicle_type}}]
                action: reject
    """,
}
HEADER = "entry_number,destination,hts_code,origin,value,entry_date,quantity,mfn_rate,documents,attributes,note"


def make_rules(root: Path) -> Path:
    for name, text in MIXED_PACKS.items():
        path = root / "rules" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root / "rules"


def csv_line(rng: random.Random, n: int) -> str:
    if rng.random() < 0.05:
        return f"E{n},US,7208.10.15,JP,not-a-number,2025-10-01,,Free,,,"
    if rng.random() < 0.5:
        code = rng.choice(["7208101500", "8479899400", "5208114000"])
        date = (dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(700))).isoformat()
        value = f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}"
        return f"E{n},US,{code},{rng.choice(['JP', 'DE'])},{value},{date},,2.5%,,,x"
    docs = rng.choice(["PHP", "PHP", "TYPE", ""])
    year = rng.choice(["2025", "2026"])
    kind = rng.choice(["vehicle_type=A", "vehicle_type=B"] * 9 + [""])  # no type: review
    return f"E{n},JP,870323019,US,3000000,{year}-03-01,{rng.randint(1, 3)},,{docs},{kind},"


def write_entries(path: Path, lines: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    path.write_text("\n".join([HEADER, *(csv_line(rng, n) for n in range(lines))]) + "\n")
    return path
