"""Fixtures of the run tests: a Dask cluster of two worker processes, one thread each (the clearance[dask] extra)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A `LocalCluster(n_workers=2, processes=True, threads_per_worker=1)` for one test module."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=40
    ) as cluster:
        yield cluster
