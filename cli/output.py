"""Where every command's output is opened and written: the one place output errors are handled.

- `-o FILE` (`options.output_option`, `opened`): a FILE that is one of the command's inputs (an entry file, the
  run database) is refused before anything is written; a FILE that cannot be opened or written (a missing
  folder, a full disk, /dev/full) is one line on stderr and exit code 2.
- text for people (`say`) has its control characters escaped; an error (`fail`) is one line on stderr
  and exit code 2.
- standard output: `OutputGuard` (the `clearance` group's class) flushes it at the end of every command;
  a closed pipe (`clearance check f.csv | head`) ends the command quietly with exit code 0, any other
  write error is one line and exit code 2, never a traceback."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TextIO

import click

from clearance.engine.report.emit import printable
from clearance.engine.report.options import OutputError
from clearance.engine.run.inputs import same_file


def for_people(text: str) -> str:
    """Control characters in text (terminal escapes from packs, HTS descriptions or input files) written as
    escapes, line breaks and tabs kept."""
    return "\n".join("\t".join(map(printable, line.split("\t"))) for line in text.split("\n"))


def say(text: str) -> None:
    """Print text for people on standard output (see `for_people`)."""
    click.echo(for_people(text))


def emit(text: str, output: str = "-", inputs: Iterable[str | Path | None] = ()) -> None:
    """Print what a command reports to `-o` (`-`: standard output), control characters escaped (see
    `for_people`). Every report a command prints goes through here."""
    with opened(output, inputs) as out:
        out.write(for_people(text) + "\n")


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit code 2: never a traceback."""
    click.echo(f"Error: {printable(message)}", err=True)
    sys.exit(2)


def guarded(name: str, call: Any, *args: Any) -> Any:
    """`call(*args)`, a write or flush of the output `name`: an OSError is an `OutputError` (a closed
    pipe stays a `BrokenPipeError`, which ends the command quietly)."""
    try:
        return call(*args)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError(f"{name}: cannot write: {exc.strerror or exc}") from None


class Output:
    """A text file opened for output, written through `guarded`."""

    def __init__(self, fh: TextIO, name: str) -> None:
        self.fh, self.name = fh, name

    def write(self, text: str) -> int:
        return guarded(self.name, self.fh.write, text)  # type: ignore[no-any-return]

    def flush(self) -> None:
        guarded(self.name, self.fh.flush)


@contextlib.contextmanager
def opened(path: str, inputs: Iterable[str | Path | None] = ()) -> Iterator[TextIO]:
    """The output named by `-o` (`-`: standard output), refused if it is one of `inputs`."""
    if path == "-":
        yield sys.stdout  # guarded by OutputGuard while a command runs
        return
    for given in inputs:
        if given is not None and str(given) != "-" and same_file(path, given):
            fail(f"{path}: is an input of this command ({given}); write the output elsewhere")
    try:
        fh = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror or exc}")
    out = Output(fh, path)
    try:
        yield out  # type: ignore[misc]
        out.flush()
    finally:
        with contextlib.suppress(OSError):
            fh.close()


class OutputGuard(click.Group):
    """The `clearance` group: standard output is written through `Output` and flushed inside every command,
    and output errors end it as the module docstring says."""

    def invoke(self, ctx: click.Context) -> Any:
        stdout = sys.stdout
        guarded = _guarded_stdout(stdout)
        try:
            sys.stdout = guarded
            try:
                return super().invoke(ctx)
            finally:
                guarded.flush()
        except BrokenPipeError:
            _silence_stdout(stdout)
            sys.exit(0)
        except OutputError as exc:
            _silence_stdout(stdout)
            fail(str(exc))
        finally:
            sys.stdout = stdout


class _Binary:
    """A binary stream whose write errors are `OutputError`s (a closed pipe stays `BrokenPipeError`)."""

    def __init__(self, raw: Any, name: str) -> None:
        self._raw, self._name = raw, name

    def write(self, data: bytes) -> int:
        return guarded(self._name, self._raw.write, data)  # type: ignore[no-any-return]

    def flush(self) -> None:
        guarded(self._name, self._raw.flush)

    @property
    def name(self) -> str:
        return self._name

    def close(self) -> None:
        """Standard output stays open: it is not this wrapper's to close."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._raw, attr)


def _guarded_stdout(stdout: TextIO) -> TextIO:
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:
        return stdout
    binary = _Binary(buffer, "standard output")
    return io.TextIOWrapper(binary, stdout.encoding, stdout.errors, None, stdout.line_buffering, True)  # type: ignore[arg-type]


def _silence_stdout(stdout: TextIO) -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
        os.close(devnull)
