"""The five methods: one row each, read by config validation, feasibility, the models, the FLOP
count, the engine, the planner and the plot style.

Torch- and matplotlib-free, so the planner and the workflow can read it. Adding a method is a
row here plus its model and objective; `tests/test_methods.py` holds the two schemas' method
enums equal to this table.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Method:
    name: str
    label: str                 # display name in tables, legends and cell labels
    architecture: str          # "recurrent" or "transformer": which network and step to build
    reconstructs: bool         # r-LSTM's loss: rebuild the subsequence before an anchor
    predicts: bool             # p-LSTM's loss: predict the subsequence after an anchor
    truncatable: bool          # has a BPTT setting tK (the transformer has none)
    color: str                 # Okabe & Ito's colour-blind-safe palette
    marker: str                # each method its own marker and line style: figures read in grey
    linestyle: str | tuple

    @property
    def auxiliary(self) -> bool:
        """Has an auxiliary loss, and so a pretraining phase and a running auxiliary loss."""
        return self.reconstructs or self.predicts


METHODS: dict[str, Method] = {m.name: m for m in (
    Method("lstm", "LSTM", "recurrent", False, False, True, "#000000", "o", "-"),
    Method("rlstm", "r-LSTM", "recurrent", True, False, True, "#0072B2", "s", "--"),
    Method("plstm", "p-LSTM", "recurrent", False, True, True, "#E69F00", "^", ":"),
    Method("rplstm", "rp-LSTM", "recurrent", True, True, True, "#CC79A7", "D", "-."),
    Method("transformer", "Transformer", "transformer", False, False, False, "#009E73", "v",
           (0, (5, 1, 1, 1, 1, 1))),
)}
NAMES: tuple[str, ...] = tuple(METHODS)  # also the display order of tables and figures

