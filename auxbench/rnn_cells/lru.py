"""A linear recurrent unit (not in the paper; Orvieto et al., 2023; auxbench/models/lru.py),
with its options under `model.lru`."""

from __future__ import annotations

from typing import ClassVar

from auxbench.errors import ConfigError
from auxbench.rnn_cells.base import RecurrentCell


class LRU(RecurrentCell):
    name = "lru"
    label = "LRU"
    about = "a linear recurrent unit (Orvieto et al., 2023)"
    # Orvieto et al.'s ring initialisation for long sequences, |lambda| in [0.9, 0.999], phases
    # up to pi/10; N = the LSTM's width
    defaults: ClassVar[dict] = {"model": {"lru": {
        "state_size": 128, "r_min": 0.9, "r_max": 0.999, "max_phase": 0.314, "mode": "scan"}}}
    small: ClassVar[dict] = {"model": {"lru": {"state_size": 8}}}
    schema: ClassVar[dict] = {"model": {"lru": {
        "type": "object",
        "additionalProperties": False,
        "description": "the linear recurrent unit of the *lru methods (auxbench/models/lru.py)",
        "properties": {
            "state_size": {"type": "integer", "minimum": 1},
            "r_min": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "r_max": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "max_phase": {"type": "number", "exclusiveMinimum": 0},
            "mode": {"enum": ["scan", "sequential"]},
        },
        "required": ["max_phase", "mode", "r_max", "r_min", "state_size"],
    }}}

    def check(self, cfg: dict) -> None:
        lru = cfg["model"]["lru"]
        if lru["r_min"] > lru["r_max"]:
            raise ConfigError(f"model.lru.r_min ({lru['r_min']}) exceeds model.lru.r_max "
                              f"({lru['r_max']}): the eigenvalues' moduli are drawn between them")

    def flops(self, cfg, count, batch, steps, inputs):
        """Input (B, complex), readout (C, complex), skip (D) and GLU matrices; the scan is
        element-wise."""
        m = cfg["model"]
        n, h, rows = m["lru"]["state_size"], m["hidden"], batch * steps
        return (2 * count.linear_fwd(rows, inputs, n) + 2 * count.linear_fwd(rows, n, h)
                + count.linear_fwd(rows, inputs, h) + count.linear_fwd(rows, h, 2 * h))


CELL = LRU()
