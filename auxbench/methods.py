"""The methods: each recurrent cell (LSTM, GRU, LRU) with each auxiliary loss (none, r, p, rp),
and the Transformer; one row each, read by config validation, feasibility, the models, the FLOP
count, the engine, the planner and the plot style. The paper's are the LSTM rows.

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
    cell: str | None = None    # the main network's recurrent cell: lstm, gru or lru

    @property
    def auxiliary(self) -> bool:
        """Has an auxiliary loss, and so a pretraining phase and a running auxiliary loss."""
        return self.reconstructs or self.predicts

    @property
    def loss(self) -> str:
        """The auxiliary loss as a prefix of the method's name: "", "r", "p" or "rp"."""
        return "r" * self.reconstructs + "p" * self.predicts


CELLS = ("lstm", "gru", "lru")
"""The recurrent cells of the main network: the paper's LSTM, a GRU, and a linear recurrent unit
(Orvieto et al., 2023); docs/method.md "Recurrent cells"."""

LOSSES = {"": (False, False), "r": (True, False), "p": (False, True), "rp": (True, True)}
"""The auxiliary losses a recurrent method adds: none, reconstruct, predict, both."""

_COLORS = {"": "#000000", "r": "#0072B2", "p": "#E69F00", "rp": "#CC79A7"}  # Okabe & Ito
_STYLES = {  # (marker, line style) per cell and loss: the loss by colour, the cell by marker
    "lstm": {"": ("o", "-"), "r": ("s", "--"), "p": ("^", ":"), "rp": ("D", "-.")},
    "gru": {"": ("h", "-"), "r": ("P", "--"), "p": ("<", ":"), "rp": ("d", "-.")},
    "lru": {"": ("p", "-"), "r": ("*", "--"), "p": (">", ":"), "rp": ("8", "-.")},
}


def variant(loss: str, cell: str) -> str:
    """The method that trains `cell` with auxiliary `loss`: ("r", "gru") -> "rgru"."""
    return f"{loss}{cell}"


def _recurrent(loss: str, cell: str) -> Method:
    marker, line = _STYLES[cell][loss]
    label = cell.upper() if not loss else f"{loss}-{cell.upper()}"
    return Method(variant(loss, cell), label, "recurrent", *LOSSES[loss], True, _COLORS[loss],
                  marker, line, cell)


METHODS: dict[str, Method] = {m.name: m for m in (
    *(_recurrent(loss, cell) for cell in CELLS for loss in LOSSES),
    Method("transformer", "Transformer", "transformer", False, False, False, "#009E73", "v",
           (0, (5, 1, 1, 1, 1, 1))),
)}
NAMES: tuple[str, ...] = tuple(METHODS)  # also the display order of tables and figures

