"""A run as a Parquet dataset (`clearance check --output-dir DIR`), for runs too big for one SQLite file, and
its import into a run database (`clearance runs import DIR`).

DIR holds `run.json` (the run as the `runs` and `run_files` tables record it: options, rule packs, files, status)
and one Parquet file per chunk, `part-FFFF-RRRRRRRRRR.parquet` (file position, first row: the names sort in input
order), one row per line: `file`, `row` and `record`, the line's JSON record as `--format jsonl` writes it. The run
writes it as it writes a run database, by one writer (the client), a chunk at a time; a part file appears whole
or not at all. The import reads each line back as its `Result` and stores it as `clearance check` would: the
database's rows, duty lines and totals are those of the same run checked with `--db`."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..report.adapter import from_results
from ..report.records import Renderer
from ..report.result import Result
from ..report.result_batch import ResultBatch
from ..report.summary import Summary
from .inputs import InputFile
from .store import Store, StoreError, _now

MANIFEST = "run.json"
FORMAT = "clearance-run-dataset/1"


def _arrow() -> tuple[Any, Any]:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise StoreError("a Parquet dataset needs pyarrow: pip install 'clearance[dask]'") from exc
    return pa, pq


def _schema() -> Any:
    pa, _ = _arrow()
    return pa.schema([("file", pa.int64()), ("row", pa.int64()), ("record", pa.string())])


class RunDataset:
    """The writing side of a run store (what `Batch` calls on one), writing a Parquet dataset to `root`."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.path = str(root)
        if self.root.exists() and (not self.root.is_dir() or any(self.root.iterdir())):
            raise StoreError(f"{root}: --output-dir must be a new or empty folder")
        self.schema = _schema()
        self.manifest: dict = {}

    def begin_run(self, meta: dict, files: Sequence[InputFile], minor_units: dict[str, int]) -> int:
        self.manifest = {
            "format": FORMAT,
            "run": dict(meta, started=_now(), finished=None, status="running", minor_units=minor_units),
            "files": [dict(asdict(f), lines=0) for f in files],
        }
        self._write_manifest()
        return 1

    def write_batch(self, run_id: int, batch: ResultBatch, lines_in_file: int, totals: Summary) -> None:
        """One part file for the chunk: each line's record (the import makes the batch again from them)."""
        pa, pq = _arrow()
        file = batch.file
        columns = {"file": [file] * len(batch), "row": batch.row, "record": Renderer(batch).records()}
        table = pa.Table.from_pydict(columns, schema=self.schema)
        name = f"part-{file:04d}-{batch.row[0]:010d}.parquet"
        try:
            pq.write_table(table, self.root / f".{name}")
            os.replace(self.root / f".{name}", self.root / name)  # whole or not at all
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot write the dataset: {exc}") from exc
        self.manifest["files"][file]["lines"] = lines_in_file
        self._write_manifest()

    def record_input(self, run_id: int, position: int, sha256: str, size: int) -> None:
        self.manifest["files"][position].update(sha256=sha256, size=size)
        self._write_manifest()

    def finish(self, run_id: int, status: str) -> None:
        self.manifest["run"].update(status=status, finished=_now() if status == "finished" else None)
        self._write_manifest()

    def _write_manifest(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            temporary = self.root / f".{MANIFEST}"
            temporary.write_text(json.dumps(self.manifest, indent=1))
            os.replace(temporary, self.root / MANIFEST)
        except OSError as exc:
            raise StoreError(f"{self.root}: cannot write the dataset: {exc}") from exc


def read_manifest(root: Path) -> dict:
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise StoreError(f"{root}: not a clearance run dataset (no readable {MANIFEST}): {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(f"{root}: not a clearance run dataset of format {FORMAT}")
    return manifest


def parts(root: Path) -> Iterator[list[dict]]:
    """Each part file's lines, in input order."""
    _, pq = _arrow()
    for path in sorted(root.glob("part-*.parquet")):
        try:
            yield pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow's errors: a damaged or foreign file
            raise StoreError(f"{path}: cannot read this part of the dataset: {exc}") from exc


def import_dataset(root: str | Path, store: Store) -> int:
    """Load a finished run's dataset into `store` as a new run; its id. Every line must be there once."""
    root = Path(root)
    manifest = read_manifest(root)
    run = dict(manifest["run"])
    if run["status"] != "finished":
        raise StoreError(f"{root}: the run did not finish ({run['status']}): nothing imported")
    files = [InputFile(f["path"], f["sha256"], f["size"]) for f in manifest["files"]]
    units = run.pop("minor_units")
    meta = {k: v for k, v in run.items() if k not in ("started", "finished", "status")}
    run_id = store.begin_run(meta, files, units)
    totals, done = Summary(), [0] * len(files)
    for lines in parts(root):
        results = [Result.model_validate_json(line["record"]) for line in lines]
        file = lines[0]["file"]
        _in_order(root, done, file, results)
        batch = from_results(results, file, files[file].path, units)
        totals.add(batch)
        store.write_batch(run_id, batch, done[file], totals)
    expected = [f["lines"] for f in manifest["files"]]
    if done != expected:
        raise StoreError(f"{root}: lines per file {done}, the run recorded {expected}: dataset incomplete")
    store.finish(run_id, "finished")
    return run_id


def _in_order(root: Path, done: list[int], file: int, results: list[Result]) -> None:
    """Each file's lines follow on from the last part's: exactly one result per line."""
    rows = [r.row for r in results]
    if rows != list(range(done[file] + 1, done[file] + 1 + len(rows))):
        raise StoreError(f"{root}: file {file} lines {rows[0]}-{rows[-1]} do not follow line {done[file]}")
    done[file] = rows[-1]
