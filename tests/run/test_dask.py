"""`--executor dask`: the same check on a Dask cluster (two worker processes, one thread each) gives the local
run's records and totals; a worker killed mid-run still leaves exactly one result per line."""

from __future__ import annotations

import datetime as dt
import os
import signal
from pathlib import Path

import pytest

from clearance.engine.report.summary import Summary
from clearance.engine.run.batch import Batch, Settings
from clearance.engine.run.store import Store

from ..helpers import write_entries

distributed = pytest.importorskip("distributed")  # the clearance[dask] extra (CI installs it)

LAW = dt.date(2026, 11, 25)
LINES = 20_000


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(write_entries(tmp_path_factory.mktemp("entries") / "entries.csv", LINES, seed=11))


@pytest.fixture(scope="module")
def local(rules: Path, entries: str, tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The local run (this process), recorded: what the cluster must reproduce."""
    store = Store(tmp_path_factory.mktemp("local") / "runs.db")
    for _ in Batch([entries], Settings(rules=rules, law_as_of=LAW), store).results():
        pass
    return store


@pytest.fixture(scope="module")
def expected(local: Store) -> list[dict]:
    return records(local)


def on_dask(scheduler: str, rules: Path, **kw: object) -> Settings:
    return Settings(rules=rules, law_as_of=LAW, executor="dask", scheduler=scheduler, **kw)  # type: ignore[arg-type]


def records(store: Store) -> list[dict]:
    return [r.record() for r in store.records(1)]


def totals(summary: Summary) -> dict:
    return vars(summary)  # counts per verdict; duty, taxes and fees per currency


def test_the_cluster_gives_the_local_records_and_totals(
    cluster: distributed.LocalCluster, rules: Path, entries: str, local: Store, expected: list[dict], tmp_path: Path
) -> None:
    store = Store(tmp_path / "dask.db")
    batch = Batch([entries], on_dask(cluster.scheduler_address, rules), store)
    streamed = [r.record() for r in batch.results()]
    assert len(expected) == LINES
    assert any(reason["rule"].endswith(".cap") for r in expected for reason in r["reasons"])  # capped lines
    assert streamed == records(store) == expected
    assert totals(store.totals(1)) == totals(local.totals(1)) == totals(batch.totals)
    assert store.run(1)["status"] == "finished"


class KillOneWorker:
    """A progress sink that kills one worker process (SIGKILL) once the first chunk is recorded."""

    def __init__(self, client: distributed.Client) -> None:
        self.pids = client.run(os.getpid)  # worker address -> pid
        self.killed: int | None = None

    def update(self, lines: int, bytes_read: int) -> None:
        if self.killed is None:
            self.killed = next(iter(self.pids.values()))
            os.kill(self.killed, signal.SIGKILL)

    def close(self) -> None:
        pass


def test_a_worker_killed_mid_run_still_gives_one_result_per_line(
    cluster: distributed.LocalCluster, rules: Path, entries: str, local: Store, expected: list[dict], tmp_path: Path
) -> None:
    store = Store(tmp_path / "killed.db")
    with distributed.Client(cluster) as client:
        kill = KillOneWorker(client)
        batch = Batch([entries], on_dask(cluster.scheduler_address, rules, chunk_size=500), store, progress=kill)
        for _ in batch.results():
            pass
        client.wait_for_workers(2, timeout=60)  # the nanny brought a new worker up
        assert kill.killed is not None and kill.killed not in client.run(os.getpid).values()
    rows = [r["row"] for r in store.db.query("SELECT row FROM results WHERE run_id = 1 ORDER BY row")]
    assert rows == list(range(1, LINES + 1))
    assert records(store) == expected
    assert totals(store.totals(1)) == totals(local.totals(1))


def test_output_dir_from_the_cluster_imports_as_the_local_run(
    cluster: distributed.LocalCluster, rules: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from clearance.cli.main import cli

    entries = str(write_entries(tmp_path / "entries.csv", 3000, seed=12))
    common = ["check", entries, "--rules", str(rules), "--law-as-of", LAW.isoformat(), "--format", "jsonl"]
    runner = CliRunner()
    local = runner.invoke(cli, [*common, "--db", str(tmp_path / "local.db")])
    assert local.exit_code == 1, local.output  # rejected lines
    out = tmp_path / "dataset"
    dask = [*common, "--executor", "dask", "--scheduler", cluster.scheduler_address, "--output-dir", str(out)]
    on_cluster = runner.invoke(cli, dask)
    assert on_cluster.exit_code == 1, on_cluster.output
    assert on_cluster.stdout == local.stdout
    imported = runner.invoke(cli, ["runs", "--db", str(tmp_path / "imported.db"), "import", str(out)])
    assert imported.exit_code == 0 and "as run 1" in imported.output, imported.output
    exported = runner.invoke(cli, ["runs", "--db", str(tmp_path / "imported.db"), "export", "1"])
    assert exported.exit_code == 0 and exported.stdout == local.stdout
    a, b = Store(tmp_path / "imported.db"), Store(tmp_path / "local.db")
    assert vars(a.totals(1)) == vars(b.totals(1))
    assert runner.invoke(cli, ["runs", "--db", str(tmp_path / "imported.db"), "show", "1"]).exit_code == 0


def test_scheduler_without_the_dask_executor_is_a_usage_error(rules: Path, entries: str) -> None:
    from click.testing import CliRunner

    from clearance.cli.main import cli

    result = CliRunner().invoke(cli, ["check", entries, "--scheduler", "tcp://127.0.0.1:1"])
    assert result.exit_code == 2 and "--scheduler needs --executor dask" in result.output
