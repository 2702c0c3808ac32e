"""The inputs of a run and the database that records them: what identifies an input file (its resolved path
and the SHA-256 of its content, never the spelling of its path), the proof that the bytes checked are the
bytes recorded, and the checks a run database passes before it is used. Small functions the run store
(`store.py`) and the batch (`batch.py`) call; the readers hash what they read (`RecordSource.sha256`)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass

from ..entries.readers import InputFileError, check_readable


@dataclass(frozen=True)
class InputFile:
    """An input of a run as recorded: the path as given, and (for a regular file) its SHA-256 and size.
    A stream (standard input, a FIFO) has neither until it has been read, once."""

    path: str
    sha256: str | None
    size: int | None


def input_file(path: str) -> InputFile:
    """The input `path` before it is read: a regular file is hashed now (to find the run to resume); a
    stream is not touched, because it can be read only once."""
    check_readable(path)
    try:
        if path == "-" or not stat.S_ISREG(os.stat(path).st_mode):
            return InputFile(path, None, None)
        return InputFile(path, file_digest(path), os.stat(path).st_size)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def file_digest(path: str) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def same_file(a: str, b: str) -> bool:
    """Whether two paths name one file (another spelling, a link), whether or not it exists yet."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def same_input(stored_path: str, stored_sha256: str | None, given: InputFile) -> bool:
    """Whether a recorded input is `given`: the same content (SHA-256) at the same file (`./x.csv`, `x.csv`
    and `/abs/x.csv` are one file)."""
    return stored_sha256 is not None and stored_sha256 == given.sha256 and same_file(stored_path, given.path)


def read_as_recorded(given: InputFile, read_sha256: str | None) -> None:
    """Refuse a file whose bytes, as the readers read them, are not the ones hashed before the run: a run is
    never recorded under the SHA-256 of a content it did not check."""
    if given.sha256 is not None and read_sha256 != given.sha256:
        raise InputFileError(
            f"{given.path}: changed while it was being checked (SHA-256 {given.sha256[:12]} before, "
            f"{(read_sha256 or '?')[:12]} as read): the run is not finished; check the file again"
        )


def running_elsewhere(run: dict) -> int | None:
    """The id of the live process still writing `run`, if any (a `--resume` must not take it over)."""
    pid = run.get("pid")
    if run.get("finished") or run.get("status") != "running" or not pid or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return int(pid)
    try:  # a recycled process id: alive, but not a clearance run
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return int(pid) if b"clearance" in fh.read() else None
    except OSError:
        return int(pid)


def schema_problem(db: sqlite3.Connection, create: Callable[[sqlite3.Connection], None]) -> str | None:
    """What is wrong with `db` as a database `create` makes: a table it lacks, or a column a table lacks
    (a database stamped with this schema version but holding other tables must not be "repaired")."""
    expected = sqlite3.connect(":memory:")
    try:
        create(expected)
        for (table,) in expected.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            want = {row[1] for row in expected.execute(f"PRAGMA table_info({_quoted(table)})")}
            have = {row[1] for row in db.execute(f"PRAGMA table_info({_quoted(table)})")}
            if not have:
                return f"it has no table {table}"
            if missing := sorted(want - have):
                return f"its table {table} has no column {', '.join(missing)}"
    finally:
        expected.close()
    return None


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
