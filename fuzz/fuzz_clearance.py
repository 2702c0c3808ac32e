"""Coverage-guided fuzzing of clearance's input surfaces (atheris); not run by pytest.

    python -m fuzz.fuzz_clearance TARGET [atheris/libFuzzer options, e.g. -runs=100000 -max_len=4096]
    python -m fuzz.fuzz_clearance TARGET --plain N     # no atheris: N random inputs from the built-in corpus
    python -m fuzz.fuzz_clearance TARGET --replay FILE # one input, no instrumentation: is a finding real?

TARGET is one of (fuzz/targets.py):
- `readers`: the bytes as an entry file (first byte picks CSV, TSV, JSON, JSONL or XLSX): the readers yield records
  or raise one-line `InputFileError`; the records through `Checker` give exactly one result each.
- `line`: the bytes as the column values of one line (split on 0x1f): `Checker` gives one result, and a
  malformed line is a reject whose reasons name `input.<column>`.
- `rate`: the bytes as a rate text: `parse_duty_expression` returns or raises `DutyExpressionError`, and
  a rate the line parser accepts as `mfn_rate` computes (or raises `QuantityError`) on the largest value
  and quantity a line may declare.
- `hts`: the bytes as an HTSUS export: `read_export` returns rows or raises one-line `HtsError`.
- `yaml`: the bytes as a measure file in a pack: `load_pack` returns a pack or raises one-line `PackError`.

Anything else (an exception, a missing result, a multi-line error) is a finding. atheris needs
`pip install atheris` (Linux/macOS wheels); `--plain` and `--replay` need nothing. Only clearance's own
modules are instrumented; even so atheris 2.3 on CPython 3.11 mis-runs some instrumented bytecode (an
AttributeError on a seed input that runs fine): `--replay` every crash file before believing it."""

from __future__ import annotations

import random
import sys


def plain(name: str, runs: int, seed: int = 0) -> int:
    from fuzz.targets import SEEDS, TARGETS, mutate

    rng = random.Random(seed)
    target, corpus = TARGETS[name], list(SEEDS[name])
    for n in range(runs):
        data = mutate(rng, rng.choice(corpus))
        try:
            target(data)
        except Exception:
            print(f"finding after {n} inputs: {data!r}", file=sys.stderr)
            raise
        if len(corpus) < 500 and rng.random() < 0.05:
            corpus.append(data)
    print(f"{name}: {runs} inputs, no finding")
    return 0


NAMES = ("readers", "line", "rate", "yaml", "hts")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in NAMES:
        print(__doc__, file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    if rest[:1] == ["--plain"]:
        return plain(name, int(rest[1]) if len(rest) > 1 else 10_000)
    if rest[:1] == ["--replay"] and len(rest) == 2:
        from fuzz.targets import TARGETS

        with open(rest[1], "rb") as fh:
            TARGETS[name](fh.read())  # raises on a real finding
        print(f"{name}: {rest[1]} is no finding")
        return 0
    import atheris  # type: ignore[import-not-found]

    # coverage of clearance's own modules only: instrumenting everything (instrument_all) breaks PyYAML's
    # scanner under atheris 2.3 and reports crashes that do not reproduce
    with atheris.instrument_imports(include=["clearance"]):
        from fuzz.targets import SEEDS, TARGETS, WORK
    seeds = WORK / f"seeds-{name}"
    seeds.mkdir(exist_ok=True)
    for i, data in enumerate(SEEDS[name]):
        (seeds / f"seed-{i}").write_bytes(data)
    atheris.Setup([sys.argv[0], *rest, str(seeds)], TARGETS[name])
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
