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
import socket
import threading
import uuid
from collections.abc import Iterable, Iterator

from .check import Checker
from .workers import R, T, Unit, WorkerError, WorkerSpec, fewer_collections, long_lived, windowed

try:
    from distributed import Client, KilledWorker, LocalCluster, get_worker
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError as exc:  # the optional extra is not installed
    raise WorkerError("--executor dask needs the dask extra: pip install 'clearance[dask]'") from exc


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
    """The cluster whose scheduler is at `scheduler`, or a local cluster of `workers` processes, one thread each.
    Maps nested in one another (a run's partitions counted while they are checked) share one client."""

    def __init__(self, spec: WorkerSpec, scheduler: str | None, workers: int, connect_timeout: float = 10) -> None:
        self.spec = spec
        self.scheduler = scheduler
        self.workers = workers
        self.connect_timeout = connect_timeout
        self._session: tuple[Client, str] | None = None

    def _connect(self) -> Client:
        """The client of the scheduler at `self.scheduler`, within `connect_timeout` seconds. Dask's handshake
        waits for the scheduler's answer without a timeout (a port that accepts and never answers hangs it), so
        the client is made in a thread, given up on at the deadline."""
        address, timeout = self.scheduler, self.connect_timeout
        assert address is not None
        reachable(address, timeout)
        made: dict[str, object] = {}

        def connect() -> None:
            try:
                made["client"] = Client(address, timeout=timeout)
            except Exception as exc:  # raised below, in the caller's thread
                made["error"] = exc

        thread = threading.Thread(target=connect, name="clearance-dask-connect", daemon=True)
        thread.start()
        thread.join(timeout)
        if isinstance(made.get("client"), Client):
            return made["client"]  # type: ignore[return-value]
        why = one_line(made["error"]) if "error" in made else f"no answer within {timeout:g}s (--connect-timeout)"  # type: ignore[arg-type]
        raise WorkerError(f"no Dask scheduler at {address}: {why}")

    @contextlib.contextmanager
    def _client(self) -> Iterator[tuple[Client, str]]:
        """This run's client and the name of its worker plugin (registered once, on every worker)."""
        if self._session is not None:
            yield self._session
            return
        with contextlib.ExitStack() as stack:
            if self.scheduler is not None:
                client = stack.enter_context(self._connect())
            else:
                cluster = stack.enter_context(
                    LocalCluster(
                        n_workers=self.workers,
                        threads_per_worker=1,
                        processes=True,
                        dashboard_address=None,
                        silence_logs=logging.CRITICAL,
                    )
                )
                client = stack.enter_context(Client(cluster))
            name = f"clearance-checker-{uuid.uuid4().hex}"  # this run's: other runs may share the cluster
            client.register_plugin(CheckerPlugin(self.spec), name=name)
            self._session = (client, name)
            try:
                yield self._session
            finally:
                self._session = None
                with contextlib.suppress(Exception):  # the cluster may be gone: nothing left to clean
                    client.unregister_worker_plugin(name)

    def map(self, unit: Unit[T, R], items: Iterable[T]) -> Iterator[R]:
        with self._client() as (client, name):
            window = 2 * max(1, len(client.scheduler_info()["workers"]))
            try:
                yield from windowed(lambda item: client.submit(_work, name, unit, item, pure=False), items, window)
            except KilledWorker as exc:
                raise WorkerError(f"Dask workers kept dying on one task: {exc}") from exc


def reachable(address: str, timeout: float) -> None:
    """Fail at once when nothing listens at a TCP scheduler address (Dask itself retries until its timeout)."""
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    if ("://" in address and not address.startswith("tcp://")) or not port.isdigit():
        return  # another protocol (tls, ucx, inproc): Dask connects within the timeout
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout).close()
    except OSError as exc:
        why = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise WorkerError(f"no Dask scheduler at {address}: {why} (--connect-timeout {timeout:g}s)") from exc


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
