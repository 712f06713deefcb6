"""A progress line with an estimate of the time left, for long grading runs."""

from __future__ import annotations

import sys
import threading
import time


def clock(seconds: float) -> str:
    """``1m02s`` or ``42s``."""
    m, s = divmod(int(round(seconds)), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


class ProgressBar:
    """``[#####.....] 12/40 30% 1m02s elapsed, about 2m25s left - what`` on a stream.

    On a terminal the line is redrawn in place; elsewhere (CI logs, pipes) one line per step.
    """

    def __init__(self, total: int, stream=None):
        self.total, self.stream = total, stream if stream is not None else sys.stderr
        self.done, self.started, self.lock = 0, time.monotonic(), threading.Lock()
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def step(self, what: str = "", count: int = 1) -> None:
        with self.lock:
            self.done += count
            elapsed = time.monotonic() - self.started
            left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
            filled = int(20 * self.done / max(self.total, 1))
            line = (
                f"[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.total} "
                f"{100 * self.done // max(self.total, 1)}% {clock(elapsed)} elapsed, about {clock(left)} left"
                + (f" - {what}" if what else "")
            )
            self.stream.write(("\r" + line[:150].ljust(150)) if self.tty else line + "\n")
            if self.tty and self.done >= self.total:
                self.stream.write("\n")
            self.stream.flush()
