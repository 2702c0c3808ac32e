"""What a worker sends back (engine/run/wire.py): a chunk's output read back equal to what was sent, the shared
values sent once per worker memo (later chunks carry their numbers), and a full memo starting again under a new
name whose old table the main process drops."""

from __future__ import annotations

import datetime as dt
import pickle
from decimal import Decimal

import pytest

from benchmarks import generate
from clearance.engine import BUNDLED_RULES, load_rules
from clearance.engine.entries.readers import read_records
from clearance.engine.report.records import Renderer
from clearance.engine.run import wire
from clearance.engine.run.check import Checker
from clearance.engine.run.chunks import Chunk, check_chunk

LAW = dt.date(2026, 12, 3)


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> list:
    path = tmp_path_factory.mktemp("wire") / "entries.csv"
    generate.write(path, 600, 3)
    checker = Checker(load_rules(BUNDLED_RULES), LAW)
    records = list(read_records(str(path)))
    return [check_chunk(checker, Chunk(0, 1 + k, records[k : k + 200], "f.csv"), "results") for k in (0, 200, 400)]


def test_outputs_read_back_the_same_and_shared_values_cross_once(outs: list) -> None:
    memo, tables = wire.Memo(), wire.Tables()
    sent = [memo.dumps(out) for out in outs]
    back = [tables.loads(data) for data in sent]
    for out, got in zip(outs, back, strict=True):
        assert Renderer(got.batch).records() == Renderer(out.batch).records()
        assert [r.record_json() for r in got.results] == [r.record_json() for r in out.results]
        assert {n: r.record_json() for n, r in got.pending.items()} == {
            n: r.record_json() for n, r in out.pending.items()
        }
        assert got.entries == out.entries
    again = wire.Memo().dumps(outs[2])  # the last chunk alone, its shared values sent in full
    assert len(sent[2]) < len(again) < len(pickle.dumps(outs[2]))
    first = {id(p): p for p in back[0].batch.plan}
    assert any(id(p) in first for p in back[2].batch.plan)  # a plan of the first chunk, not sent again


def test_a_full_memo_starts_again_and_its_table_is_dropped(outs: list, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MEMO_LIMIT", 10)
    memo, tables = wire.Memo(), wire.Tables()
    names = []
    for out in outs:
        got = tables.loads(memo.dumps(out))
        names.append(memo.name)
        assert Renderer(got.batch).records() == Renderer(out.batch).records()
    assert len(set(names)) == 3
    assert list(tables._tables) == [names[-1]]


def test_per_line_models_come_back_equal() -> None:
    from clearance.engine.report.result import DutyLine, QuotaClaim

    values = [
        DutyLine(
            measure="m", heading="h", rate="2.5%", basis="value", basis_value=Decimal("10.00"), amount=Decimal("0.25")
        ),
        QuotaClaim(measure="m", condition="c", key="k", year=2026, units=Decimal(3), limit=5),
    ]
    assert wire.Tables().loads(wire.Memo().dumps(values)) == values
