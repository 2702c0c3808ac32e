"""The machinery of `benchmarks/probe.py`: runs one command as a user would and judges it.

Hostile-input probes: a corpus of hostile files and faults run through every command of `clearance`.

    python -m benchmarks.probe                 # every probe; prints one line per probe and the counts
    python -m benchmarks.probe -k xlsx         # only the probes whose name holds the text
    python -m benchmarks.probe --list

Each probe builds its files (benchmarks/probe_corpus.py) in a fresh folder, runs the `clearance` command
as a user would (a subprocess; standard input, pipes, FIFOs and signals as in a shell) and judges the outcome:
it *holds* when the command gives the answer the README promises (every input line one verdict, a one-line
error and exit code 2 for an unusable file, no traceback, nothing read outside a pack, nothing printed raw to
a terminal), and is *broken* otherwise (including a hang past its time limit, or more memory than the
probe's limit: every probe runs under an address-space limit, so a runaway input ends as broken, not as a
machine out of memory). The report ends with `probes / held / broken` and the peak RSS of the worst input.
Exit code 0 when every probe holds."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

LIMIT_AS = 3 << 30  # address space per command: a runaway input fails instead of taking the machine
BIN = Path(sys.executable).with_name("clearance")
TIME = shutil.which("time", path="/usr/bin:/bin")


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float
    rss_mb: float
    hung: bool = False


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))
    os.setsid()


def run(
    where: Path,
    *args: object,
    stdin: bytes | Path | None = None,
    timeout: float = 90,
    env: dict | None = None,
    stdout: str | None = None,
) -> Run:
    """One command; its exit code, output, wall time and peak RSS (its own and its workers')."""
    rss = tempfile.NamedTemporaryFile(suffix=".rss", delete=False)  # noqa: SIM115 - removed below
    rss.close()
    # GNU time measures the command from a small process: a child forked from this (bigger) one and then
    # exec'd would report this process's peak as its own
    cmd = [*((TIME, "-q", "-f", "%M", "-o", rss.name) if TIME else ()), str(BIN), *map(str, args)]
    environ = {**os.environ, "CLEARANCE_DB": str(where / "clearance.db"), **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sink = open(stdout, "wb") if stdout else out  # noqa: SIM115 - closed below
        source = open(stdin, "rb") if isinstance(stdin, Path) else subprocess.PIPE if stdin else subprocess.DEVNULL  # noqa: SIM115
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=where, stdin=source, stdout=sink, stderr=err, env=environ, preexec_fn=_limits)
        hung = threading.Event()
        timer = threading.Timer(timeout, lambda: (hung.set(), os.killpg(proc.pid, signal.SIGKILL)))
        timer.start()
        if isinstance(stdin, bytes):
            threading.Thread(target=_feed, args=(proc, stdin), daemon=True).start()
        _, status, usage = os.wait4(proc.pid, 0)
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        for fh in (sink, source):
            if hasattr(fh, "close") and fh not in (out,):
                fh.close()
        out.seek(0)
        err.seek(0)
        text = out.read().decode("utf-8", "replace") if not stdout else ""
        peak = _peak_kb(rss.name) if TIME else usage.ru_maxrss
        return Run(
            proc.returncode,
            text,
            err.read().decode("utf-8", "replace"),
            time.monotonic() - start,
            peak / 1024,
            hung.is_set(),
        )


def _peak_kb(path: str) -> int:
    try:
        text = Path(path).read_text().split()
        return int(text[-1]) if text and text[-1].isdigit() else 0
    finally:
        os.unlink(path)


def _feed(proc: subprocess.Popen, data: bytes) -> None:
    try:
        proc.stdin.write(data)  # type: ignore[union-attr]
        proc.stdin.close()  # type: ignore[union-attr]
    except OSError:
        pass


# judging -------------------------------------------------------------------------------------------------------


def sane(r: Run) -> str:
    """What is wrong with any run, whatever the probe: a hang, a traceback, a multi-line error."""
    if r.hung:
        return f"hung past {r.seconds:.0f} s"
    if r.code == 2 and "Usage:" in r.err and "Traceback" not in r.err:  # click's usage error: exit 2, no traceback
        return ""
    if "Traceback" in r.err or ("Error:" not in r.err and r.code == 2 and r.err.strip()):
        return "traceback: " + r.err.strip().splitlines()[-1][:120]
    if r.code == 2 and len(r.err.strip().splitlines()) != 1:
        return f"exit 2 with {len(r.err.strip().splitlines())} lines on stderr"
    if r.code < 0 or r.code > 2:
        return f"exit {r.code}"
    return ""


def one_line_error(r: Run) -> str:
    return sane(r) or ("" if r.code == 2 else f"exit {r.code}, wanted a one-line error (2)")


def records(r: Run) -> list[dict]:
    return [json.loads(x) for x in r.out.splitlines() if x.strip()]


def verdicts(r: Run, n: int, bad: dict[int, str] | None = None) -> str:
    """`n` records out, one per row; rows in `bad` are rejects naming that column (`*`: any column)."""
    if problem := sane(r):
        return problem
    if r.code == 2:
        return "one-line error where every line wanted a verdict: " + r.err.strip()[:120]
    got = records(r)
    if [x["row"] for x in got] != list(range(1, n + 1)):
        return f"{n} lines in, {len(got)} out"
    for row, column in (bad or {}).items():
        rules = [x["rule"] for x in got[row - 1]["reasons"] if x["severity"] == "error"]
        named = any(x.startswith("input.") for x in rules) if column == "*" else f"input.{column}" in rules
        if got[row - 1]["verdict"] not in ("reject", "invalid") or not named:
            return f"row {row}: {got[row - 1]['verdict']} {rules}, wanted a reject naming {column}"
    return ""


CHECK = ("check", "--no-db", "--format", "jsonl", "--workers", "1", "--law-as-of", "2026-11-25", "-q")


@dataclass
class Probe:
    name: str
    kind: str  # the class of the issue it belongs to
    body: Callable[[Path], tuple[str, Run | None]]


PROBES: list[Probe] = []


def probe(kind: str) -> Callable:
    def register(fn: Callable[[Path], tuple[str, Run | None]]) -> Callable:
        PROBES.append(Probe(fn.__name__, kind, fn))
        return fn

    return register
