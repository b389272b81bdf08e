"""Progress reporting: a tqdm bar on a terminal, sparse plain lines in logs, or nothing.

``progress`` arguments everywhere in :mod:`auxbench.data` accept:

- ``None``, ``True``, ``"auto"``: a bar when stderr is a TTY, otherwise plain lines;
- ``"bar"``: always a tqdm bar;
- ``"log"``: plain lines on stderr (at most every 10 % and every few seconds);
- ``False``, ``"none"``, ``"off"``: silent.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Self

_MODES = {
    None: "auto", "auto": "auto", True: "auto", "bar": "bar", "tqdm": "bar", "log": "log",
    "lines": "log", False: "none", "none": "none", "off": "none", "quiet": "none",
}


def resolve_mode(progress: Any) -> str:
    """Map a ``progress`` argument to "bar", "log" or "none"."""
    try:
        mode = _MODES[progress]
    except (KeyError, TypeError):
        raise ValueError(
            f"progress={progress!r}: allowed values are auto, bar, log, none (or True/False/None)"
        ) from None
    if mode == "auto":
        try:
            mode = "bar" if sys.stderr.isatty() else "log"
        except (AttributeError, ValueError):
            mode = "log"
    return mode


def log(message: str, progress: Any = None) -> None:
    """One plain status line on stderr (silent when progress is off)."""
    if resolve_mode(progress) == "none":
        return
    print(f"[auxbench.data] {message}", file=sys.stderr, flush=True)


class Progress:
    """``with Progress(total, desc, progress) as p: p.update(n)``."""

    def __init__(self, total: int | None, desc: str, progress: Any = None, unit: str = "it",
                 min_interval: float = 5.0):
        self.total = total
        self.desc = desc
        self.unit = unit
        self.mode = resolve_mode(progress)
        self.n = 0
        self._bar = None
        self._last_pct = -1
        self._last_time = 0.0
        self._min_interval = min_interval
        self._start = time.monotonic()
        if self.mode == "bar":
            from tqdm import tqdm

            scale = unit == "B"
            self._bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=scale,
                             unit_divisor=1024 if scale else 1000, file=sys.stderr,
                             leave=False, dynamic_ncols=True)
        elif self.mode == "log":
            log(f"{desc}: started" + (f" ({self._fmt(total)})" if total else ""), "log")

    def _fmt(self, n: int | None) -> str:
        if n is None:
            return "?"
        if self.unit == "B":
            return f"{n / 2**20:.1f} MiB"
        return f"{n} {self.unit}"

    def update(self, n: int = 1) -> None:
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.mode == "log" and self.total:
            pct = int(100 * self.n / self.total) // 10 * 10
            now = time.monotonic()
            if pct > self._last_pct and now - self._last_time >= self._min_interval and pct < 100:
                self._last_pct, self._last_time = pct, now
                log(f"{self.desc}: {pct}% ({self._fmt(self.n)} of {self._fmt(self.total)})", "log")

    def reset(self, n: int = 0) -> None:
        """Restart the count at ``n`` (a resumed or restarted download)."""
        if self._bar is not None:
            self._bar.reset(total=self.total)
            self._bar.update(n)
        self.n = n

    def abandon(self) -> None:
        """Close without a "done" line (the operation failed; its error says why)."""
        if self.mode == "log":
            self.mode = "none"
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.mode == "log":
            dt = time.monotonic() - self._start
            log(f"{self.desc}: done ({self._fmt(self.n)}, {dt:.1f} s)", "log")
            self.mode = "none"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        if exc[0] is not None and self.mode == "log":
            self.mode = "none"  # the error says enough; no "done" line
        self.close()
