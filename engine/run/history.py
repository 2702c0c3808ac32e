"""The runs of a run database as records (`clearance runs list|show`), and deleting them (`runs delete|prune`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from .store import Store
from .store_lines import delete_run

CHARGES = ("duty", "taxes", "fees")


def _decoded(run: dict) -> dict:
    """A `runs` row with its JSON columns (charge totals per currency, the rule packs) decoded."""
    return run | {k: json.loads(run[k]) for k in (*CHARGES, "rule_packs", "minor_units") if k in run}


def listing(store: Store) -> list[dict]:
    """Every run, oldest first, with its input files."""
    return [_decoded(run) | {"files": store.files(run["id"])} for run in store.runs()]


def run_record(store: Store, run_id: int) -> dict:
    """One run: its row, files, duty by measure and heading, its most frequent reasons, and its entries' refunds by
    status (a `clearance refunds` run). StoreError if none."""
    run = _decoded(store.run(run_id)) | {"files": store.files(run_id)}
    run |= {"duty_by_measure": store.duty_by_measure(run_id), "top_reasons": store.top_reasons(run_id)}
    return run | {"refunds": store.refunds_by_status(run_id)}


def delete_runs(store: Store, run_ids: Sequence[int]) -> None:
    """Delete runs with everything stored for them (their lines and what only those lines hold; the shared rows
    stay, other runs may use them), in one transaction.
    StoreError (nothing deleted) if one of them is not there."""
    for run_id in run_ids:
        store.run(run_id)
    with store.writing() as conn:
        for run_id in run_ids:
            delete_run(conn, run_id)


def prunable(store: Store, before: dt.date | None = None, keep: int | None = None) -> list[int]:
    """The runs `runs prune` deletes: those started before `before`, or all but the newest `keep`.
    A run still marked running is never among them (delete it by id once it is known to be dead)."""
    runs = store.runs()
    done = [r for r in runs if r["status"] != "running"]
    if before is not None:
        return [r["id"] for r in done if r["started"][:10] < before.isoformat()]
    newest = {r["id"] for r in runs[-keep:]} if keep else set()
    return [r["id"] for r in done if r["id"] not in newest]
