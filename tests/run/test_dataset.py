"""`--output-dir`: a run as a Parquet dataset, and `runs import` of it into a run database."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from clearance.engine.run.batch import Batch, Settings
from clearance.engine.run.dataset import RunDataset, import_dataset
from clearance.engine.run.store import Store, StoreError

from ..helpers import write_entries

pytest.importorskip("pyarrow")  # the clearance[dask] extra (CI installs it)

LAW = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    base = tmp_path_factory.mktemp("entries")
    return [str(write_entries(base / "a.csv", 230, seed=1)), str(write_entries(base / "b.csv", 170, seed=2))]


def run(files: list[str], rules: Path, store: Store | RunDataset) -> None:
    for _ in Batch(files, Settings(rules=rules, law_as_of=LAW, chunk_size=64), store).results():  # type: ignore[arg-type]
        pass


def test_a_dataset_imports_as_the_run_checked_into_a_database(rules: Path, files: list[str], tmp_path: Path) -> None:
    direct = Store(tmp_path / "direct.db")
    run(files, rules, direct)
    run(files, rules, RunDataset(tmp_path / "out"))
    assert len(list((tmp_path / "out").glob("part-*.parquet"))) == 4 + 3  # one per chunk of each file
    imported = Store(tmp_path / "imported.db")
    assert import_dataset(tmp_path / "out", imported) == 1
    assert [r.record() for r in imported.records(1)] == [r.record() for r in direct.records(1)]
    assert vars(imported.totals(1)) == vars(direct.totals(1))
    assert imported.duty_by_measure(1) == direct.duty_by_measure(1)
    a, b = imported.run(1), direct.run(1)
    assert a["status"] == "finished" and a["finished"]
    assert {k: a[k] for k in ("rule_packs", "rules_hash", "law_as_of", "options")} == {
        k: b[k] for k in ("rule_packs", "rules_hash", "law_as_of", "options")
    }
    assert imported.files(1) == direct.files(1)


def test_a_dataset_missing_a_part_or_unfinished_is_not_imported(rules: Path, files: list[str], tmp_path: Path) -> None:
    run(files, rules, RunDataset(tmp_path / "out"))
    sorted((tmp_path / "out").glob("part-*.parquet"))[1].unlink()
    with pytest.raises(StoreError, match="do not follow line 64"):
        import_dataset(tmp_path / "out", Store(tmp_path / "a.db"))
    manifest = json.loads((tmp_path / "out" / "run.json").read_text())
    manifest["run"]["status"] = "interrupted"
    (tmp_path / "out" / "run.json").write_text(json.dumps(manifest))
    with pytest.raises(StoreError, match="did not finish"):
        import_dataset(tmp_path / "out", Store(tmp_path / "b.db"))
    with pytest.raises(StoreError, match="new or empty folder"):
        RunDataset(tmp_path / "out")
    with pytest.raises(StoreError, match="not a clearance run dataset"):
        import_dataset(tmp_path, Store(tmp_path / "c.db"))
