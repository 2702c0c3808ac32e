"""Ctrl-C (and SIGTERM, where a handler turns it into one) held back while the main process changes state that a
half-done step would break, then raised where that step is whole.

durable-rules runs the rules' Python actions from its C engine: an exception raised by a signal handler inside
one of them (the caps' ledger in `settle`, the matcher when a run checks in the main process) does not reach the
caller as itself: durable-rules prints its traceback and the step fails another way (a quota claim not counted,
a line's rule engine error), so an interrupted run ended with exit 2 and a traceback instead of 130. Held back,
the signal interrupts the run between chunks, where every committed chunk is whole."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType

HELD = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Run the block with SIGINT and SIGTERM held (those whose handler is Python code); on leaving it, a signal
    that came meanwhile goes to its handler (which raises KeyboardInterrupt). Outside the main thread, or for a
    signal left to the system (SIG_DFL, SIG_IGN), nothing is held."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    came: list[int] = []
    handlers: dict[int, Callable[[int, FrameType | None], object]] = {}
    for signum in HELD:
        handler = signal.getsignal(signum)
        if callable(handler):
            handlers[signum] = handler
            signal.signal(signum, lambda n, frame: came.append(n))
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if came:
        handlers[came[0]](came[0], None)
