"""The progress bar of `clearance check` on a terminal (the batch driver only reports lines and bytes read)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """A one-line progress display on a terminal: lines, percent of the input read, speed, time left."""

    def __init__(self, total_bytes: int | None, stream: TextIO | None = None, every: float = 0.25) -> None:
        self.total = total_bytes or None
        self.stream = stream or sys.stderr
        self.every = every
        self.start = self.last = time.monotonic()
        self.shown = False

    def update(self, lines: int, bytes_read: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every:
            return
        self.last = now
        rate = lines / max(now - self.start, 1e-9)
        text = f"{lines:,} lines, {rate:,.0f} lines/s"
        if self.total:
            share = min(bytes_read / self.total, 1.0)
            left = (now - self.start) * (1 - share) / share if share > 0 else 0
            text += f", {share:.0%} read, about {int(left) // 60}:{int(left) % 60:02d} left"
        self.stream.write("\r" + text.ljust(70))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()
            self.shown = False
