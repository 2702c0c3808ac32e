"""The Dask executor (`clearance check --executor dask [--scheduler ADDRESS]`, the `clearance[dask]` extra).

The same unit of work as the local executors, on the workers of a Dask cluster: the one at ADDRESS, or a
`LocalCluster` of worker processes on this machine. A worker plugin builds the run's `Checker` on each worker
once, from the run's `WorkerSpec` (rules folder, their hash, law date): the Checker itself never travels. Each
chunk is one task, its records in the task; the client keeps a bounded window of tasks in flight and takes their
outputs in input order, so what follows (caps, recording by one writer) is the local run's code path. A worker
that dies is Dask's business: the scheduler gives its tasks to another worker, and the client still takes each
chunk's output once."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterable, Iterator

from .check import Checker
from .workers import R, T, Unit, WorkerError, WorkerSpec, fewer_collections, long_lived, windowed

try:
    from distributed import Client, KilledWorker, LocalCluster, get_worker
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError as exc:  # the optional extra is not installed
    raise WorkerError("--executor dask needs the dask extra: pip install 'clearance[dask]'") from exc

CONNECT_TIMEOUT = "30s"


class CheckerPlugin(WorkerPlugin):
    """Builds the run's Checker on a worker when the worker starts (or joins later), once."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.checker: Checker | None = None

    def setup(self, worker: object) -> None:
        self.checker = long_lived(self.spec.checker())

    def teardown(self, worker: object) -> None:
        self.checker = None

    def __getstate__(self) -> dict:
        return {"spec": self.spec, "checker": None}  # a Checker (durable-rules hosts) is never pickled


def _work(plugin: str, unit: Unit[T, R], item: T) -> R:
    """The task: the unit of work on this worker's Checker (the Checker takes one thread at a time)."""
    checker = get_worker().plugins[plugin].checker  # type: ignore[attr-defined]
    if checker is None:
        raise WorkerError(f"worker plugin {plugin} did not build its checker")
    with fewer_collections():
        return unit(checker, item)


class DaskCluster:
    """The cluster whose scheduler is at `scheduler`, or a local cluster of `workers` processes, one thread each."""

    def __init__(self, spec: WorkerSpec, scheduler: str | None, workers: int) -> None:
        self.spec = spec
        self.scheduler = scheduler
        self.workers = workers

    @contextlib.contextmanager
    def _client(self) -> Iterator[Client]:
        if self.scheduler is not None:
            try:
                client = Client(self.scheduler, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                raise WorkerError(f"no Dask scheduler at {self.scheduler}: {exc}") from exc
            with client:
                yield client
            return
        cluster = LocalCluster(
            n_workers=self.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,
        )
        with cluster, Client(cluster) as client:
            yield client

    def map(self, unit: Unit[T, R], items: Iterable[T]) -> Iterator[R]:
        with self._client() as client:
            name = f"clearance-checker-{uuid.uuid4().hex}"  # this run's: other runs may share the cluster
            client.register_plugin(CheckerPlugin(self.spec), name=name)
            window = 2 * max(1, len(client.scheduler_info()["workers"]))
            try:
                yield from windowed(lambda item: client.submit(_work, name, unit, item, pure=False), items, window)
            except KilledWorker as exc:
                raise WorkerError(f"Dask workers kept dying on one chunk: {exc}") from exc
            finally:
                with contextlib.suppress(Exception):  # the cluster may be gone: nothing left to clean
                    client.unregister_worker_plugin(name)
