"""The $20 of 19 CFR 159.6 is written once, in the US pack's `tolerance`: the refund programme's small refund refers
to it (`of: tolerance`), so the two cannot diverge; writing an amount in the programme is an error."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from clearance.engine import BUNDLED_RULES, PackError, load_rules
from clearance.engine.packs.load import load_pack
from clearance.engine.refunds.eligibility import decide
from clearance.engine.refunds.entries import entries_of
from clearance.engine.run.check import Checker

US = Path(BUNDLED_RULES) / "us"
PROGRAMME = Path("refunds") / "ieepa-cape.yaml"
AS_OF = dt.date(2026, 12, 3)
ENTRY = {"entry_number": "SYN-0000250-5", "entry_type": "01", "liquidation_status": "Unliquidated"}
LINE = {"hts_code": "8479.89.94", "origin": "JP", "mfn_rate": "2.5%", "entry_date": "2025-05-20"}


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "us"
    shutil.copytree(US, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _checks(packs: dict, value: str) -> list[str]:
    """The checks on an entry of one machine line worth `value`, 10% IEEPA baseline paid (10% of it refundable)."""
    declared = str(Decimal(value) * Decimal("0.125"))
    results = Checker(packs, AS_OF).check([{**LINE, **ENTRY, "value": value, "declared_duty": declared}])
    programme = packs["US"].programmes[0]
    [entry] = entries_of(results, packs, programme, "US")[0].values()
    return decide(programme, entry, AS_OF).checks


def test_the_small_refund_is_the_packs_tolerance_with_its_citation() -> None:
    pack = load_rules(BUNDLED_RULES)["US"]
    [programme] = pack.programmes
    assert pack.header.tolerance is not None and programme.small_refund is not None
    assert programme.small_refund.under == pack.header.tolerance.under == Decimal("20.00")
    assert "19 CFR 159.6" in programme.small_refund.citations
    [check] = _checks({"US": pack}, "190")  # $19 refundable
    assert check.startswith("a refund under 20.00 USD: 19 CFR 159.6 disregards") and "(19 CFR 159.6)" in check
    assert _checks({"US": pack}, "200") == []  # $20: not under


def test_changing_the_packs_tolerance_moves_the_small_refund_with_it(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "pack.yaml", 'under: "20.00"', 'under: "25.00"')
    pack = load_pack(folder)
    assert pack.programmes[0].small_refund.under == Decimal("25.00")  # type: ignore[union-attr]
    assert len(_checks({"US": pack}, "240")) == 1  # $24 refundable: under 25


def test_an_amount_written_in_the_programme_is_an_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / PROGRAMME, "    of: tolerance ", '    under: "20"\n    of: tolerance ')
    with pytest.raises(PackError, match="write `of: tolerance`, not an amount"):
        load_pack(folder)


def test_a_small_refund_with_no_pack_tolerance_is_an_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    text = (folder / "pack.yaml").read_text(encoding="utf-8")
    start = text.index("tolerance:")
    end = text.index("areas:")
    (folder / "pack.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(PackError, match="no `tolerance`"):
        load_pack(folder)
