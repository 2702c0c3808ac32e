"""A seeded generator of realistic customs entry files for the benchmark.

    python -m benchmarks.generate --lines 1000000 --seed 7 -o benchmarks/data/entries-1000000.csv

Entries of 1 to 8 lines to the US (mostly products of Japan) and to Japan (mostly products of the US),
entry dates spread over 2025-2026. Like a real file, the lines come from a catalogue of products per
destination (drawn with a long tail): each product has a tariff code (taken from every named list of the
rule packs in turn, so that each list is hit, or outside them), an MFN rate (ad valorem, specific or
compound), documents, attributes, SPI and metal or US content shares; each line has its own value,
quantity, dates and mode, and part of the lines declare headings and duties. The vocabulary (lists,
documents, attributes, SPI) is read from the rule packs, so the file follows the packs as they grow.
The same seed and packs give the same file, byte for byte. Written as it goes: memory stays flat."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import itertools
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from clearance.engine import BUNDLED_RULES, Pack, load_rules
from clearance.engine.entries.line import COLUMNS as LINE_COLUMNS

COLUMNS = list(LINE_COLUMNS)  # the input contract's columns, in its order
START = dt.date(2025, 1, 1)
DAYS = (dt.date(2027, 1, 1) - START).days
CODE_LENGTH = {"US": (10, 10, 10, 8), "JP": (9,)}
CURRENCY = {"US": "USD", "JP": "JPY"}
HOME_ORIGIN = {"US": "JP", "JP": "US"}
OTHER_ORIGINS = ["CN", "DE", "CA", "MX", "KR", "VN", "TW", "GB", "FR", "IT", "TH", "IN", "BR", "AU", "RU"]
MODES = ["vessel"] * 14 + ["air"] * 4 + ["truck", "rail", "mail"]
US_RATES = ["Free", "Free", "2.5%", "4%", "6.5%", "7.5%", "26.4%", "$0.50/kg", "4.4¢/kg", "$1.035/kg + 4.8%"]
JP_RATES = ["Free", "3%", "5%", "8.5%", "341 JPY/kg", "10%"]
CONTENT = ["steel_value", "aluminum_value", "copper_value"]
PRODUCTS = 2000
CAPPED_TYPES = 40
VERSION = 2  # in the data file names of benchmarks/run.py: a new version makes new files


@dataclass
class Vocabulary:
    """What one destination's pack lets a line say: code-list prefixes, documents, attributes, SPI."""

    lists: list[tuple[str, list[str]]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    spi: list[str] = field(default_factory=list)
    capped: dict[str, tuple[str, str]] = field(default_factory=dict)  # list -> (attribute, document) of a cap


def vocabulary(pack: Pack | None) -> Vocabulary:
    if pack is None:
        return Vocabulary()
    v = Vocabulary(
        lists=[(name, sorted(lst.prefixes)) for name, lst in sorted(pack.lists.items())],
        documents=sorted(pack.header.documents),
        spi=sorted({s for m in pack.measures for s in m.scope.spi + m.scope.exclude_spi}),
    )
    for name in sorted(pack.header.attributes):
        v.attributes[name.lower()] = ["yes", "no"]
    for m in pack.measures:
        tests = [m.scope.attributes, m.scope.exclude_attributes, *(c.attributes for c in m.conditions)]
        for test in tests:
            for name, values in test.items():
                known = v.attributes.setdefault(name.lower(), [])
                known.extend(x for x in values if x != "*" and x not in known)
        for cond in m.conditions:
            for alt in cond.alternatives():
                if alt.cap is not None:  # goods under a cross-line cap claim it through its document
                    attribute = alt.cap.per_attribute.lower()
                    v.attributes[attribute] = [f"type-{n}" for n in range(1, CAPPED_TYPES + 1)]
                    for name in m.scope.codes.lists if m.scope.codes else []:
                        v.capped[name] = (attribute, alt.document)
    return v


@dataclass
class Product:
    """One article an importer brings in again and again: its code, rate, documents and make-up."""

    destination: str
    code: str
    mfn_rate: str
    unit: str = ""
    documents: str = ""
    attributes: str = ""
    spi: str = ""
    content: dict[str, int] = field(default_factory=dict)  # field -> percent of the customs value


def code(rng: random.Random, destination: str, prefixes: list[str] | None) -> str:
    """A tariff code: under one of `prefixes` (a named list), or anywhere in chapters 01-97."""
    length = rng.choice(CODE_LENGTH[destination])
    prefix = rng.choice(prefixes)[:length] if prefixes else f"{rng.randint(1, 97):02d}"
    digits = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
    if length >= 8 and rng.random() < 0.5:  # dotted, as on an entry summary
        return f"{digits[:4]}.{digits[4:6]}.{digits[6:]}"
    return digits


def catalogue(rng: random.Random, destination: str, vocab: Vocabulary, size: int) -> list[Product]:
    """`size` products; the first ones go through every named list in turn, so that each list is hit."""
    out = []
    for n in range(size):
        listed = None
        if vocab.lists and n < len(vocab.lists):
            listed = vocab.lists[n]
        elif vocab.lists and rng.random() < 0.5:
            listed = rng.choice(vocab.lists)
        rate = rng.choice(US_RATES if destination == "US" else JP_RATES)
        p = Product(destination, code(rng, destination, listed[1] if listed else None), rate)
        if "/" in rate or rng.random() < 0.2:
            p.unit = "kg"
        if vocab.documents and rng.random() < 0.6:
            p.documents = ";".join(d for d in vocab.documents if rng.random() < 0.3)
        if vocab.attributes and rng.random() < 0.3:
            names = rng.sample(sorted(vocab.attributes), k=min(2, len(vocab.attributes)))
            p.attributes = ";".join(f"{a}={rng.choice(vocab.attributes[a])}" for a in names)
            p.unit = p.unit or "no"
        if vocab.spi and rng.random() < 0.05:
            p.spi = rng.choice(vocab.spi)
        if listed and listed[0] in vocab.capped and rng.random() < 0.8:  # e.g. cars under a per-type cap
            attribute, document = vocab.capped[listed[0]]
            p.attributes, p.documents, p.unit = f"{attribute}={rng.choice(vocab.attributes[attribute])}", document, "no"
        if destination == "US" and rng.random() < 0.25:
            p.content[rng.choice(CONTENT)] = rng.randint(1, 60)
        if destination == "US" and rng.random() < 0.05:
            p.content["us_content_value"] = rng.randint(0, 60)
        out.append(p)
    return out


def money(rng: random.Random, low: int, high: int, decimals: int) -> str:
    cents = rng.randint(low * 10**decimals, high * 10**decimals)
    return as_money(cents, decimals)


def as_money(minor: int, decimals: int) -> str:
    return f"{minor // 10**decimals}.{minor % 10**decimals:0{decimals}d}" if decimals else str(minor)


def header_fields(rng: random.Random, n: int) -> dict[str, str]:
    destination = "US" if rng.random() < 0.6 else "JP"
    origin = HOME_ORIGIN[destination] if rng.random() < 0.8 else rng.choice(OTHER_ORIGINS)
    entry = START + dt.timedelta(days=rng.randrange(DAYS))
    loaded = entry - dt.timedelta(days=rng.randint(0, 45))
    return {
        "entry_number": f"{destination}{entry:%y}-{n:08d}",
        "destination": destination,
        "origin": origin,
        "entry_date": entry.isoformat(),
        "loaded_date": loaded.isoformat() if rng.random() < 0.85 else "",
        "transport_mode": rng.choice(MODES),
    }


def line_fields(rng: random.Random, head: dict[str, str], p: Product) -> dict[str, str]:
    decimals = 2 if p.destination == "US" else 0
    minor = rng.randint(50 * 10**decimals, int(10 ** rng.uniform(3, 6.3)) * 10**decimals)
    out = dict(head, hts_code=p.code, value=as_money(minor, decimals), mfn_rate=p.mfn_rate)
    out |= {"documents": p.documents, "attributes": p.attributes, "spi": p.spi}
    if p.unit:
        out["quantity"], out["unit"] = str(rng.randint(1, 400 if p.unit == "no" else 5000)), p.unit
    for name, percent in p.content.items():
        out[name] = as_money(minor * percent // 100, decimals)
    if rng.random() < 0.1:
        out["currency"] = CURRENCY[p.destination]
    if rng.random() < 0.3:
        out["declared_duty"] = money(rng, 0, max(minor // 10**decimals // 5, 1), decimals)
    if rng.random() < 0.03:
        out["declared_headings"] = rng.choice(["9903.01.25", "9903.02.73", "9903.01.33;9903.81.87", "9903.02.72"])
    if rng.random() < 0.0005:  # a few broken lines, as in any real file
        out[rng.choice(["value", "entry_date", "origin", "hts_code"])] = rng.choice(["n/a", "", "2025-13-45", "?"])
    return out


def entries(lines: int, seed: int, packs: dict[str, Pack], products: int = PRODUCTS) -> Iterator[dict[str, str]]:
    """`lines` entry lines, in entries of 1 to 8 lines, reproducible from `seed`. Each destination has a
    catalogue of `products`, drawn with a long tail (a few products make most lines, as in real files)."""
    rng = random.Random(seed)
    books = {d: catalogue(rng, d, vocabulary(packs.get(d)), products) for d in CURRENCY}
    weights = list(itertools.accumulate(1 / (rank + 1) ** 0.8 for rank in range(products)))
    made = entry = 0
    while made < lines:
        entry += 1
        head = header_fields(rng, entry)
        book = books[head["destination"]]
        for n in range(1, min(rng.randint(1, 8), lines - made) + 1):
            product = rng.choices(book, cum_weights=weights)[0]
            yield dict(line_fields(rng, head, product), line_number=str(n))
            made += 1


def write(path: Path, lines: int, seed: int, fmt: str = "csv", rules: Path | None = None) -> None:
    packs = load_rules(rules or BUNDLED_RULES)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        if fmt == "jsonl":
            for rec in entries(lines, seed, packs):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            return
        w = csv.DictWriter(fh, COLUMNS, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n")
        w.writeheader()
        w.writerows(entries(lines, seed, packs))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--format", choices=["csv", "tsv", "jsonl"], default="csv")
    ap.add_argument("--rules", type=Path, default=None, help="rules folder (default: the bundled packs)")
    ap.add_argument("-o", "--output", type=Path, required=True)
    args = ap.parse_args(argv)
    write(args.output, args.lines, args.seed, args.format, args.rules)
    print(f"wrote {args.lines} lines to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
