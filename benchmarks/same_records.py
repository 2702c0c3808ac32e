"""Same records before and after a change: write the jsonl records of a set of entry files, or compare two such sets.

    python -m benchmarks.same_records write OUT_DIR [FILES...]   (default: examples/*.csv)
    python -m benchmarks.same_records compare DIR_A DIR_B

`write` runs `clearance check --format jsonl --no-db` on each file with a fixed --law-as-of, so that the output
depends on the code and the packs only. `compare` says, per file, whether the two sets hold the same records
(the same JSON values line by line) and exits 1 at the first difference it reports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from clearance.cli.main import cli

LAW_AS_OF = "2026-12-03"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def write(out: Path, files: list[Path]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for f in files:
        target = out / (f.stem + ".jsonl")
        args = ["check", "--format", "jsonl", "--no-db", "-q", "--law-as-of", LAW_AS_OF, "-o", str(target), str(f)]
        result = CliRunner().invoke(cli, args)
        if result.exit_code not in (0, 1):
            raise SystemExit(f"{f}: exit {result.exit_code}: {result.output}")
        print(f"{f} -> {target}: {sum(1 for _ in target.open())} records")


def compare(a: Path, b: Path) -> int:
    names = sorted(p.name for p in a.glob("*.jsonl"))
    if names != sorted(p.name for p in b.glob("*.jsonl")):
        print(f"different files: {names} vs {sorted(p.name for p in b.glob('*.jsonl'))}")
        return 1
    for name in names:
        left, right = (a / name).read_text().splitlines(), (b / name).read_text().splitlines()
        if len(left) != len(right):
            print(f"{name}: {len(left)} vs {len(right)} records")
            return 1
        for n, (x, y) in enumerate(zip(left, right, strict=True), 1):
            if json.loads(x) != json.loads(y):
                print(f"{name}: record {n} differs\n  {x}\n  {y}")
                return 1
        print(f"{name}: {len(left)} records, the same")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "write":
        write(Path(argv[1]), [Path(p) for p in argv[2:]] or sorted(EXAMPLES.glob("*.csv")))
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(Path(argv[1]), Path(argv[2]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
