"""Progress within an epoch: a bar on a terminal, nothing extra in logs (the epoch line suffices)."""

from __future__ import annotations

import sys

from tqdm import tqdm


class EpochProgress:
    def __init__(self, mode: str, total: int, initial: int, desc: str):
        show = mode == "bar" or (mode == "auto" and sys.stderr.isatty())
        self.bar = tqdm(total=total, initial=initial, desc=desc, leave=False,
                        dynamic_ncols=True) if show else None

    def update(self) -> None:
        if self.bar is not None:
            self.bar.update()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
