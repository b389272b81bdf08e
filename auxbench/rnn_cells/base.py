"""What a recurrent cell of the main network declares (torch-free): the method table, config
validation and the FLOP count read it; its layer is in `auxbench/models/` (registry:
`auxbench/models/layers.py`)."""

from __future__ import annotations

from typing import ClassVar


class RecurrentCell:
    """A declaration; subclasses set the class attributes and override what differs."""

    name: str            # the registry key and its methods' name suffix: "gru" -> "rgru"
    label: str           # in method labels: "r-GRU"
    about: str           # one line: what it is
    defaults: ClassVar[dict] = {}  # its option defaults, merged into config.DEFAULTS
    schema: ClassVar[dict] = {}    # JSON schema of those options, merged into config.run_schema
    small: ClassVar[dict] = {}  # its options at a test's size, so the tests build every cell small
    recurrent_ops: tuple[str, ...] = ()  # profiler op names of one recurrent call (counts.py)

    def check(self, cfg: dict) -> None:
        """Raise ConfigError naming the key when a run config's options do not suit this cell."""

    def flops(self, cfg: dict, count, batch: int, steps: int, inputs: int) -> float:
        """Forward matrix-multiply FLOPs over `steps` steps; `count` is
        `auxbench.resource_benchmark.flops` (linear_fwd, lstm_fwd)."""
        raise NotImplementedError
