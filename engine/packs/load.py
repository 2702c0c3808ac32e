"""Load stage: rule-pack folders (YAML, safe-loaded) -> validated pydantic models.

A pack is a folder with `pack.yaml` (id, jurisdiction, currency, areas, documents, precedence), measure
files anywhere below it (one file per legal instrument), and `lists/` (named tariff-code lists, CSV with
an `hts_prefix` column or YAML with `codes`), and `refunds/` (refund programmes, `programme.py`). Files ending in
`.test.yaml` are golden cases, not rules.
Any problem raises `PackError` with a one-line message naming the file; a pack never half-loads."""

from __future__ import annotations

import csv
import functools
import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .model import Measure, MeasureFile, PackHeader
from .programme import ProgrammeFile, RefundProgramme
from .references import reference_problems
from .walk import HEADER, PackFile, list_code, list_name, pack_files, with_file_defaults

BUNDLED_RULES = Path(__file__).resolve().parents[2] / "rules"


class PackError(Exception):
    """A rule pack cannot be loaded. The message is one line and names the file."""


class CodeList(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    source: str
    prefixes: frozenset[str]


class Pack(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    header: PackHeader
    measures: tuple[Measure, ...]
    lists: dict[str, CodeList]
    root: Path
    files: tuple[str, ...]
    content_hash: str
    programmes: tuple[RefundProgramme, ...] = ()

    @property
    def id(self) -> str:
        return self.header.id

    def measure(self, measure_id: str) -> Measure:
        for m in self.measures:
            if m.id == measure_id:
                return m
        raise KeyError(measure_id)


def _one_line(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(ascii(p)[1:-1] if isinstance(p, str) and not p.isprintable() else str(p) for p in err["loc"])
        parts.append(f"{loc}: {err['msg']}" if loc else err["msg"])
    more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
    return "; ".join(parts) + more


class PackLoader(yaml.SafeLoader):
    """Safe YAML (no object construction) that refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:  # type: ignore[override]
        seen: set[object] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = key_node.value
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} is given twice", key_node.start_mark
                    )
                seen.add(key)
        return super().construct_mapping(node, deep=deep)


# the constructor itself raises these on values such as 2025-02-30 or a 5,000-digit integer or deep nesting
YAML_VALUE_ERRORS = (ValueError, OverflowError, RecursionError)


def read_yaml(path: Path, loader: type[yaml.SafeLoader] = PackLoader) -> object:
    """Safe-load one YAML file (no object construction); any problem is a one-line PackError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{path}: cannot read: {exc}") from exc
    try:
        return yaml.load(text, Loader=loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PackError(f"{path}{where}: invalid YAML: {problem}") from exc
    except YAML_VALUE_ERRORS as exc:
        raise PackError(
            f"{path}: invalid YAML value: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from exc


def readable(f: PackFile) -> Path:
    """The path of a pack file, or its problem (outside the pack, too big) as a PackError."""
    if f.problem is not None:
        raise PackError(f.problem)
    return f.path


def _read_list(root: Path, path: Path) -> CodeList:
    name = list_name(path)
    prefixes: set[str] = set()
    source = ""
    if path.suffix == ".csv":
        try:
            with path.open(encoding="utf-8", newline="") as fh:
                reader = csv.DictReader(fh)
                if not reader.fieldnames or "hts_prefix" not in reader.fieldnames:
                    raise PackError(f"{path}: a CSV list needs an `hts_prefix` column")
                for n, row in enumerate(reader, start=2):
                    prefixes.add(_list_code(path, n, row.get("hts_prefix") or ""))
                    source = source or (row.get("source") or "")
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise PackError(f"{path}: cannot read: {exc}") from exc
    else:
        data = read_yaml(path)
        if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
            raise PackError(f"{path}: a YAML list needs a `codes` sequence")
        source = str(data.get("source", ""))
        for n, code in enumerate(data["codes"], start=1):
            prefixes.add(_list_code(path, n, str(code)))
    if not prefixes:
        raise PackError(f"{path}: the list is empty")
    return CodeList(name=name, source=source, prefixes=frozenset(prefixes))


def _list_code(path: Path, n: int, raw: str) -> str:
    code = list_code(raw)
    if code is None:
        raise PackError(f"{path}: entry {n}: {raw!r} is not a tariff code of 2 to 10 digits")
    return code


def _measures_from(path: Path, data: object) -> list[Measure]:
    if not isinstance(data, dict):
        raise PackError(f"{path}: a measure file is a mapping with `instrument` and `measures`")
    try:
        mf = MeasureFile.model_validate(data)
    except ValidationError as exc:
        raise PackError(f"{path}: {_one_line(exc)}") from exc
    out = []
    for i, raw in enumerate(mf.measures):
        if not isinstance(raw, dict):
            raise PackError(f"{path}: measures.{i}: a measure is a mapping")
        item = with_file_defaults(raw, mf.citations, mf.published)
        try:
            out.append(Measure.model_validate(item))
        except ValidationError as exc:
            mid = raw.get("id", f"#{i}")
            raise PackError(f"{path}: measure {mid}: {_one_line(exc)}") from exc
    return out


def _programme_from(path: Path, header: PackHeader) -> RefundProgramme:
    """A refund programme file; the family it refunds must be one of the pack's."""
    try:
        programme = ProgrammeFile.model_validate(read_yaml(path)).refund_programme
    except ValidationError as exc:
        raise PackError(f"{path}: {_one_line(exc)}") from exc
    if programme.family not in header.families:
        raise PackError(f"{path}: refund programme {programme.id}: no family {programme.family!r} in pack.yaml")
    small = programme.small_refund
    if small is None:
        return programme
    if small.under is not None:
        raise PackError(f"{path}: small_refund: write `of: tolerance`, not an amount (the pack's tolerance is the one)")
    if header.tolerance is None:
        raise PackError(f"{path}: small_refund refers to the pack's tolerance, but pack.yaml has no `tolerance`")
    return programme.model_copy(update={"small_refund": small.model_copy(update={"under": header.tolerance.under})})


def load_pack(folder: Path | str) -> Pack:
    """Load and validate one pack folder."""
    root = Path(folder)
    files = list(pack_files(root))
    header_path = next((readable(f) for f in files if f.kind == "header"), None)
    if header_path is None:
        raise PackError(f"{root}: not a rule pack (no {HEADER})")
    try:
        header = PackHeader.model_validate(read_yaml(header_path))
    except ValidationError as exc:
        raise PackError(f"{header_path}: {_one_line(exc)}") from exc
    digest = hashlib.sha256()
    lists: dict[str, CodeList] = {}
    measures: list[Measure] = []
    names: list[str] = []
    programmes: list[RefundProgramme] = []
    for f in files:
        path = readable(f)
        if f.kind in ("cases", "refund-cases"):
            continue
        digest.update(f.rel.encode() + b"\0" + path.read_bytes() + b"\0")
        names.append(f.rel)
        if f.kind == "list":
            lst = _read_list(root, path)
            if lst.name in lists:
                raise PackError(f"{path}: list {lst.name!r} is defined twice")
            lists[lst.name] = lst
        elif f.kind == "programme":
            programmes.append(_programme_from(path, header))
        elif f.kind == "measures":
            measures.extend(_measures_from(path, read_yaml(path)))
    pack = Pack(
        header=header,
        measures=tuple(measures),
        lists=lists,
        root=root,
        files=tuple(names),
        content_hash=digest.hexdigest(),
        programmes=tuple(programmes),
    )
    check_references(pack)
    return pack


def check_references(pack: Pack) -> None:
    """Cross-references inside a pack (see `references`): the first broken one is a PackError."""
    for problem in reference_problems(pack.header, pack.measures, pack.lists):
        raise PackError(f"{pack.root}: {problem.message}")


def load_rules(root: Path | str | None = None) -> dict[str, Pack]:
    """Every pack under `root` (default: the bundled `rules/`), keyed by jurisdiction."""
    base = Path(root) if root is not None else BUNDLED_RULES
    if not base.is_dir():
        raise PackError(f"{base}: rules folder not found")
    folders = [base] if (base / "pack.yaml").is_file() else sorted(p.parent for p in base.glob("*/pack.yaml"))
    if not folders:
        raise PackError(f"{base}: no rule packs (no */pack.yaml)")
    packs: dict[str, Pack] = {}
    for folder in folders:
        pack = load_pack(folder)
        juris = pack.header.jurisdiction
        if juris in packs:
            raise PackError(f"{folder}: a second pack for {juris} (first: {packs[juris].root})")
        packs[juris] = pack
    return packs


class Contract(BaseModel):
    """What the packs of a run say about input lines: the code lengths of each destination and the default one."""

    model_config = ConfigDict(frozen=True)

    digits: dict[str, tuple[int, ...]] = {}
    suffixed: frozenset[str] = frozenset()  # destinations whose codes may carry a check character (code_suffix)
    default: str | None = None
    currencies: dict[str, str] = {}  # each destination's currency


def contract_of(headers: list[PackHeader]) -> Contract:
    defaults = [h.jurisdiction for h in headers if h.default]
    if not defaults and len(headers) == 1:
        defaults = [headers[0].jurisdiction]
    digits = {h.jurisdiction: tuple(h.code_digits) for h in headers if h.code_digits}
    currencies = {h.jurisdiction: h.currency for h in headers}
    suffixed = frozenset(h.jurisdiction for h in headers if h.code_suffix)
    default = defaults[0] if len(defaults) == 1 else None
    return Contract(digits=digits, suffixed=suffixed, default=default, currencies=currencies)


@functools.cache
def bundled_contract() -> Contract:
    """The input contract of the shipped packs (their pack.yaml headers only)."""
    headers = []
    for path in sorted(BUNDLED_RULES.glob("*/pack.yaml")):
        try:
            headers.append(PackHeader.model_validate(read_yaml(path)))
        except (PackError, ValidationError):
            continue
    return contract_of(headers)
