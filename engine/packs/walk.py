"""The one walk over a pack folder, and the one merge of a measure file's defaults into its measures: the
loader (which stops at the first problem), lint (which reports every problem with its line), the golden
tests and the catalog (which finds where a measure is written) all go through these.

A pack folder holds `pack.yaml`, code lists under `lists/` (`*.yaml` or `*.csv`), measure files (any other
`*.yaml`), golden cases (`*.test.yaml`), and refund programmes with their cases under `refunds/`.
Only regular files are read: FIFOs, devices and dangling links
are skipped unread; a link that leads outside the folder, or a file over `MAX_PACK_FILE` bytes, is a
problem named before a byte of it is read."""

from __future__ import annotations

import datetime as dt
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

HEADER = "pack.yaml"
TEST_SUFFIX = ".test.yaml"
LISTS = "lists/"
REFUNDS = "refunds"  # a pack's folder of refund programmes and their golden cases (entries in, status out)
MAX_PACK_FILE = 16 << 20  # bytes of one pack file (the largest shipped list is a few hundred KB)

FileKind = Literal["header", "list", "measures", "cases", "programme", "refund-cases", "other"]


@dataclass(frozen=True)
class PackFile:
    path: Path
    rel: str  # relative to the folder walked, with forward slashes
    kind: FileKind
    problem: str | None = None  # why it must not be read (outside the folder, too big); the loader raises it


def kind_of(path: Path, rel: str) -> FileKind:
    refunds = REFUNDS in rel.split("/")[:-1]  # `refunds/` of a pack, or `<pack>/refunds/` of a rules folder
    if path.name.endswith(TEST_SUFFIX):
        return "refund-cases" if refunds else "cases"
    if refunds:
        return "programme" if path.suffix == ".yaml" else "other"
    if rel == HEADER:
        return "header"
    if rel.startswith(LISTS):
        return "list"
    return "measures" if path.suffix == ".yaml" else "other"


def pack_files(root: Path, pattern: str = "*") -> Iterator[PackFile]:
    """Every `.yaml`/`.csv` file under `root` matching `pattern` that is to be read, in name order, with
    its kind (a `.csv` outside `lists/` is `other`: part of the pack's content, read by nothing)."""
    for path in sorted(root.rglob(pattern)):
        if path.suffix not in (".yaml", ".csv"):
            continue
        try:
            info = path.stat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        rel = path.relative_to(root).as_posix()
        yield PackFile(path, rel, kind_of(path, rel), _problem(root, path, info.st_size))


def _problem(root: Path, path: Path, size: int) -> str | None:
    if not path.resolve().is_relative_to(root.resolve()):
        return f"{path}: points outside the pack folder {root}"
    if size > MAX_PACK_FILE:
        return f"{path}: {size:,} bytes; a pack file holds at most {MAX_PACK_FILE:,}"
    return None


def list_name(path: Path) -> str:
    """A code list is named by its file: `lists/steel.yaml` and `lists/steel.csv` are both `steel`."""
    return path.name.removesuffix(".csv").removesuffix(".yaml")


def list_code(raw: object) -> str | None:
    """A list entry as a tariff-code prefix (dots and spaces dropped), or None unless it has 2 to 10 digits."""
    code = re.sub(r"[.\s]", "", str(raw))
    return code if re.fullmatch(r"\d{2,10}", code) else None


def with_file_defaults(raw: dict, citations: list, published: dt.date | None) -> dict:
    """A measure as written, with its file's defaults: the file's `citations` unless it gives its own, the
    file's `published` date unless its `dates` give one."""
    item = dict(raw)
    item.setdefault("citations", list(citations))
    dates = item.get("dates")
    if isinstance(dates, dict) and published is not None:
        item["dates"] = {**dates, "published": dates.get("published", published)}
    return item
