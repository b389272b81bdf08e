"""The recurrent cells of the main network, one module each (`lstm`, `gru`, `lru`), listed once
here: torch-free declarations (label, options, checks, FLOPs) that the method table, config
validation and the FLOP count read. Each cell's layer is in `auxbench/models/`, registered in
`auxbench/models/layers.py`. Methods are each cell crossed with each set of auxiliary losses
(auxbench/methods.py); docs/method.md "Recurrent cells"."""

from __future__ import annotations

from auxbench.rnn_cells import gru, lru, lstm
from auxbench.rnn_cells.base import RecurrentCell

CELLS: dict[str, RecurrentCell] = {c.name: c for c in (lstm.CELL, gru.CELL, lru.CELL)}
"""The registry, in display order; the first is the paper's."""


def small_options() -> dict:
    """Every cell's options at a test's size, as a `model` layer (each cell's options have their
    own key, so one layer serves every cell): the tests' one small config per cell."""
    return {key: value for cell in CELLS.values()
            for key, value in cell.small.get("model", {}).items()}


PAPER = lstm.CELL.name
"""The paper's cell: the default benchmark cases and rate stand-ins are its methods."""
