"""Read one pack folder for lint: every file, every schema problem with its line, and what did validate.

Unlike the loader, reading goes on past a problem: a measure that does not validate is reported and left
out, and the rest of the pack is still read and cross-checked."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..packs.load import CodeList
from ..packs.model import Measure, MeasureFile, PackHeader, Precedence
from ..packs.programme import ProgrammeFile
from ..packs.source import Doc, Loc, SourceError, plain_loc, read_doc
from ..packs.walk import HEADER, list_code, list_name, pack_files, with_file_defaults
from ..refunds.golden import RefundCaseFile
from .golden import Case, CaseFile


@dataclass(frozen=True)
class Finding:
    code: str
    file: Path
    line: int
    message: str


@dataclass
class Located:
    """A validated measure, and where it is: its document and its path inside it."""

    measure: Measure
    doc: Doc
    loc: Loc

    def line(self, *sub: str | int) -> int:
        return self.doc.line(self.loc + sub)


@dataclass
class PackSource:
    root: Path
    header: PackHeader | None = None
    header_doc: Doc | None = None
    lists: dict[str, CodeList] = field(default_factory=dict)
    list_files: dict[str, Path] = field(default_factory=dict)
    measures: list[Located] = field(default_factory=list)
    cases: list[tuple[Doc, int, Case]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def add(self, code: str, file: Path, line: int, message: str) -> None:
        self.findings.append(Finding(code, file, line, message))


def schema_findings(src: PackSource, doc: Doc, base: Loc, exc: ValidationError, what: str) -> None:
    """Each pydantic error as a finding on the line it points at; errors of one place are merged."""
    merged: dict[tuple[int, str, str], list[str]] = {}
    for err in exc.errors():
        if err["type"] == "string_type" and isinstance(err.get("input"), dict | list):
            continue  # the other branch of a `str | Model` union says what is wrong
        loc = tuple(err["loc"])
        code = "CL001"
        if err["type"] == "too_short" and loc[-1:] == ("citations",):
            code = "CL008"
        elif err["type"] == "value_error" and loc[-1:] == ("dates",):
            code = "CL003"
        msg = err["msg"].removeprefix("Value error, ")
        where = plain_loc(loc)
        key = (doc.line(base + loc), code, where)
        if msg not in merged.setdefault(key, []):
            merged[key].append(msg)
    for (line, code, where), msgs in merged.items():
        text = " or ".join(msgs)
        if code == "CL008":
            text = "no citation: give `citations` (here or at the top of the file)"
        src.add(code, doc.path, line, f"{what}: {where}: {text}" if where else f"{what}: {text}")


def _doc(src: PackSource, path: Path) -> Doc | None:
    try:
        doc = read_doc(path)
    except SourceError as exc:
        src.add("CL001", path, exc.line, str(exc))
        return None
    for key, line in doc.duplicate_keys():
        src.add("CL001", path, line, f"key {key!r} is given twice (YAML keeps only the last)")
    return doc


def read_header(src: PackSource, path: Path) -> None:
    """`pack.yaml`, with each precedence order validated on its own: a bad order is reported and left out."""
    doc = _doc(src, path)
    if doc is None:
        return
    src.header_doc = doc
    data = doc.data
    orders = data.get("precedence") if isinstance(data, dict) else None
    if isinstance(data, dict) and isinstance(orders, list):
        data = {**data, "precedence": []}
    try:
        header = PackHeader.model_validate(data)
    except ValidationError as exc:
        schema_findings(src, doc, (), exc, "pack.yaml")
        return
    valid = []
    for i, raw in enumerate(orders if isinstance(orders, list) else []):
        try:
            valid.append(Precedence.model_validate(raw))
        except ValidationError as exc:
            schema_findings(src, doc, ("precedence", i), exc, f"precedence {_name(raw, i)}")
    src.header = header.model_copy(update={"precedence": valid})


def _name(raw: object, i: int) -> str:
    return str(raw.get("id", f"#{i}")) if isinstance(raw, dict) else f"#{i}"


def read_list(src: PackSource, path: Path) -> None:
    name = list_name(path)
    entries = _csv_entries(src, path) if path.suffix == ".csv" else _yaml_entries(src, path)
    if entries is None:
        return
    prefixes: set[str] = set()
    for line, raw in entries:
        code = list_code(raw)
        if code is None:
            src.add("CL007", path, line, f"list {name}: {str(raw)!r} is not a tariff code of 2 to 10 digits")
        else:
            prefixes.add(code)
    if not entries:
        src.add("CL001", path, 1, f"list {name} is empty")
    if name in src.lists:
        src.add("CL011", path, 1, f"list {name!r} is defined twice (also {src.list_files[name].name})")
        return
    src.lists[name] = CodeList(name=name, source="", prefixes=frozenset(prefixes))
    src.list_files[name] = path


def _yaml_entries(src: PackSource, path: Path) -> list[tuple[int, object]] | None:
    doc = _doc(src, path)
    if doc is None:
        return None
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        src.add("CL001", path, doc.line(("codes",)), "a YAML list needs a `codes` sequence")
        return None
    return [(doc.line(("codes", i)), raw) for i, raw in enumerate(data["codes"])]


def _csv_entries(src: PackSource, path: Path) -> list[tuple[int, object]] | None:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "hts_prefix" not in reader.fieldnames:
                src.add("CL001", path, 1, "a CSV list needs an `hts_prefix` column")
                return None
            return [(reader.line_num, row.get("hts_prefix") or "") for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        src.add("CL001", path, 1, f"cannot read: {exc}")
        return None


def read_measures(src: PackSource, path: Path) -> None:
    doc = _doc(src, path)
    if doc is None:
        return
    data = doc.data
    if not isinstance(data, dict):
        src.add("CL001", path, 1, "a measure file is a mapping with `instrument` and `measures`")
        return
    try:
        MeasureFile.model_validate(data)
    except ValidationError as exc:
        schema_findings(src, doc, (), exc, path.name)
    raw_measures = data.get("measures")
    if not isinstance(raw_measures, list):
        return
    citations = data.get("citations") if isinstance(data.get("citations"), list) else []
    published = data.get("published") if isinstance(data.get("published"), dt.date) else None
    for i, raw in enumerate(raw_measures):
        if isinstance(raw, dict):
            read_measure(src, doc, i, raw, citations, published)


def read_measure(src: PackSource, doc: Doc, i: int, raw: dict, citations: list, published: dt.date | None) -> None:
    """The file's defaults are merged as the loader merges them, then the measure is validated."""
    item = with_file_defaults(raw, citations, published)
    try:
        measure = Measure.model_validate(item)
    except ValidationError as exc:
        schema_findings(src, doc, ("measures", i), exc, f"measure {_name(raw, i)}")
        return
    src.measures.append(Located(measure, doc, ("measures", i)))


def read_cases(src: PackSource, path: Path) -> None:
    """A golden-case file; each case that validates is kept for the cross-checks."""
    doc = _doc(src, path)
    if doc is None:
        return
    try:
        CaseFile.model_validate(doc.data)
    except ValidationError as exc:
        schema_findings(src, doc, (), exc, "golden cases")
    cases = doc.data.get("cases") if isinstance(doc.data, dict) else None
    for i, raw in enumerate(cases if isinstance(cases, list) else []):
        try:
            src.cases.append((doc, i, Case.model_validate(raw)))
        except ValidationError:
            continue  # reported above, with the file


def read_refunds(src: PackSource, path: Path) -> None:
    """A refund programme, or its golden cases (`refunds/*.test.yaml`), validated; the family it names must be
    one of the pack's."""
    doc = _doc(src, path)
    if doc is None:
        return
    model = RefundCaseFile if path.name.endswith(".test.yaml") else ProgrammeFile
    try:
        parsed = model.model_validate(doc.data)
    except ValidationError as exc:
        schema_findings(src, doc, (), exc, "refund cases" if model is RefundCaseFile else "refund programme")
        return
    if isinstance(parsed, ProgrammeFile) and src.header is not None:
        family = parsed.refund_programme.family
        if family not in src.header.families:
            where = doc.line(("refund_programme", "family"))
            src.add("CL005", path, where, f"refund programme: no family {family!r} in pack.yaml `families`")


def read_pack(root: Path) -> PackSource:
    """Every file of one pack folder, read and validated as far as it goes."""
    src = PackSource(root)
    files = sorted(pack_files(root), key=lambda f: f.kind != "header")  # the header first
    if not (root / HEADER).exists():  # reported as missing; a FIFO or device there is never opened
        read_header(src, root / HEADER)
    readers = {"header": read_header, "cases": read_cases, "list": read_list, "measures": read_measures}
    readers |= {"programme": read_refunds, "refund-cases": read_refunds}
    for f in files:
        if f.problem is not None:  # outside the pack, or too big: reported, never read
            src.add("CL001", f.path, 1, f.problem)
        elif f.kind in readers:
            readers[f.kind](src, f.path)
    return src
