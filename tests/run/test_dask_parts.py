"""`--executor dask` with the input read by the workers, in partitions (engine/run/parts.py): on a cluster of two
worker processes, files that are hard to cut (quoted line breaks, a BOM, CRLF, blank lines, CP932, a last line
without a line break, a quote inside an unquoted cell, TSV, JSONL, a JSON array) give the local run's results,
rows and lines; a worker that cannot read the file, or a scheduler address where nothing listens, is one line
and exit 2, fast."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from clearance.cli.main import cli
from clearance.engine.run.batch import Batch, BatchError, Settings
from clearance.engine.run.parts import Part, count_part

from ..helpers import HEADER, csv_line

distributed = pytest.importorskip("distributed")  # the clearance[dask] extra (CI installs it)

LAW = dt.date(2026, 11, 25)


def lines_of(rules: Path, path: Path, **kw: object) -> list[tuple[int, int | None, dict]]:
    """Every line's (row, physical line, record), checked as `kw` asks."""
    settings = Settings(rules=rules, law_as_of=LAW, **kw)  # type: ignore[arg-type]
    return [(r.row, r.line, r.record()) for r in Batch([str(path)], settings).results()]


def hard_csv(lines: int, newline: str = "\n") -> str:
    """Generated lines, with quoted line breaks, blank lines and a quote inside an unquoted cell among them."""
    import random

    rng = random.Random(5)
    rows = []
    for n in range(lines):
        row = csv_line(rng, n).rsplit(",", 1)[0]  # its note replaced
        if n % 7 == 3:
            row += ',"a note\nover ""two"" lines"'
        elif n % 11 == 5:
            row += ',12" pipe'
        else:
            row += ",x"
        rows.append(row)
        if n % 13 == 0:
            rows.append("")
    return newline.join([HEADER, *rows])


CASES = {
    "quoted-lf.csv": (lambda: hard_csv(300).encode() + b"\n"),
    "bom-crlf-no-last-break.csv": (lambda: b"\xef\xbb\xbf" + hard_csv(300, "\r\n").encode()),
    "cp932.csv": (lambda: hard_csv(200).replace("a note", "品目の注記").encode("cp932")),
    "tabs.tsv": (lambda: hard_csv(120).replace(",", "\t").encode()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_partitions_of_a_hard_file_give_the_local_rows_lines_and_results(
    cluster: distributed.LocalCluster, rules: Path, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    path.write_bytes(CASES[name]())
    local = lines_of(rules, path)
    on_dask = lines_of(rules, path, executor="dask", scheduler=cluster.scheduler_address, chunk_size=7)
    assert len(local) > 100 and any(line != row + 1 for row, line, _ in local)  # lines != rows: the test bites
    assert on_dask == local


def test_jsonl_and_a_json_array_give_the_local_results(
    cluster: distributed.LocalCluster, rules: Path, tmp_path: Path
) -> None:
    records = ['{"hts_code": "8703.23.0190", "origin": "JP", "value": "1000", "quantity": "1"}', "", "{broken"] * 40
    jsonl, array = tmp_path / "e.jsonl", tmp_path / "e.json"
    jsonl.write_text("\n".join(records))
    array.write_text("[" + ",\n".join(r for r in records if r.startswith('{"')) + "]")
    for path in (jsonl, array):
        on_dask = lines_of(rules, path, executor="dask", scheduler=cluster.scheduler_address, chunk_size=5)
        assert on_dask == lines_of(rules, path)


def test_a_worker_that_cannot_read_the_file_is_one_line(tmp_path: Path) -> None:
    part = Part(0, "entries.csv", str(tmp_path / "not-on-this-worker.csv"), None, None, None, ())
    with pytest.raises(Exception, match=r"a worker cannot read .* the workers read the input files themselves"):
        count_part(None, part)


def test_a_worker_that_cannot_read_the_file_ends_the_run_with_that_line(
    cluster: distributed.LocalCluster, rules: Path, tmp_path: Path
) -> None:
    from clearance.engine.entries.readers import InputFileError
    from clearance.engine.packs.load import load_rules
    from clearance.engine.run.chunks import rules_hash
    from clearance.engine.run.dask_executor import DaskCluster
    from clearance.engine.run.workers import WorkerSpec

    spec = WorkerSpec(rules, LAW, None, rules_hash(load_rules(rules)), 0)
    part = Part(0, "entries.csv", str(tmp_path / "elsewhere.csv"), None, None, None, ())
    with pytest.raises(InputFileError, match=r"^entries\.csv: a worker cannot read"):
        list(DaskCluster(spec, cluster.scheduler_address, 2).map(count_part, [part]))


def listening_but_silent() -> tuple[socket.socket, str]:
    """A TCP port that accepts connections and never answers (a scheduler that hangs)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    return server, f"tcp://127.0.0.1:{server.getsockname()[1]}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_nothing_listening_at_the_scheduler_fails_at_once(rules: Path, tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(hard_csv(5))
    address = f"tcp://127.0.0.1:{free_port()}"
    args = ["check", str(path), "--rules", str(rules), "--no-db", "--executor", "dask", "--scheduler", address]
    began = time.monotonic()
    result = CliRunner().invoke(cli, args)
    assert time.monotonic() - began < 5
    assert result.exit_code == 2 and f"no Dask scheduler at {address}" in result.stderr, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_a_scheduler_that_never_answers_fails_after_the_connect_timeout(rules: Path, tmp_path: Path) -> None:
    path = tmp_path / "entries.csv"
    path.write_text(hard_csv(5))
    server, address = listening_but_silent()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    try:
        settings = Settings(rules=rules, law_as_of=LAW, executor="dask", scheduler=address, connect_timeout=1)
        began = time.monotonic()
        with pytest.raises(BatchError, match=f"no Dask scheduler at {address}"):
            list(Batch([str(path)], settings).results())
        assert time.monotonic() - began < 8
    finally:
        server.close()
        for conn in accepted:
            conn.close()
