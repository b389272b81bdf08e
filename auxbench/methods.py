"""The methods: each recurrent cell (LSTM, GRU, LRU) with each set of auxiliary losses (none,
each loss alone, the combinations; auxbench.losses), and the Transformer; one row each, read by
config validation, feasibility, the models, the FLOP count, the engine, the planner and the plot
style. The paper's are the LSTM rows.

Torch- and matplotlib-free, so the planner and the workflow can read it. The rows are derived
from the loss and cell registries; `tests/test_methods.py` holds the two schemas' method enums
equal to this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from auxbench import rnn_cells
from auxbench.losses import COMBINED_STYLE, LOSSES, loss_sets


@dataclass(frozen=True)
class Method:
    name: str
    label: str                 # display name in tables, legends and cell labels
    architecture: str          # "recurrent" or "transformer": which network and step to build
    losses: tuple[str, ...]    # its auxiliary losses, by kind (auxbench.losses.LOSSES)
    truncatable: bool          # has a BPTT setting tK (the transformer has none)
    color: str                 # Okabe & Ito's colour-blind-safe palette
    marker: str                # each method its own marker and line style: figures read in grey
    linestyle: str | tuple
    cell: str | None = None    # the main network's recurrent cell: lstm, gru or lru

    @property
    def auxiliary(self) -> bool:
        """Has an auxiliary loss, and so a pretraining phase and a running auxiliary loss."""
        return bool(self.losses)

    @property
    def loss(self) -> str:
        """The auxiliary losses as a prefix of the method's name: "", "r", "p", "rp", ..."""
        return prefix(self.losses)


CELLS: tuple[str, ...] = tuple(rnn_cells.CELLS)
"""The recurrent cells of the main network, by name (auxbench/rnn_cells/: the paper's LSTM, a GRU, a
linear recurrent unit)."""

# The loss set by colour and line style, the cell and loss set by marker (one each)
_PLAIN_STYLE = ("#000000", "-")
_MARKERS = "ohpsP*^<>Dd8XHx+1234"  # recurrent methods, loss set by loss set; the Transformer: v


def prefix(losses: tuple[str, ...]) -> str:
    """The name prefix of a set of losses: ("reconstruct", "predict") -> "rp"."""
    return "".join(LOSSES[kind].prefix for kind in losses)


def variant(loss: str, cell: str) -> str:
    """The method that trains `cell` with the auxiliary losses of prefix `loss`:
    ("r", "gru") -> "rgru"."""
    return f"{loss}{cell}"


def _style(losses: tuple[str, ...]) -> tuple[str, str | tuple]:
    if len(losses) == 1:
        return LOSSES[losses[0]].color, LOSSES[losses[0]].linestyle
    return COMBINED_STYLE if losses else _PLAIN_STYLE


def _recurrent(losses: tuple[str, ...], cell: str, marker: str) -> Method:
    name = rnn_cells.CELLS[cell].label
    label = name if not losses else f"{prefix(losses)}-{name}"
    color, line = _style(losses)
    return Method(variant(prefix(losses), cell), label, "recurrent", losses, True, color, marker,
                  line, cell)


def _recurrent_methods() -> list[Method]:
    sets = loss_sets()
    if len(sets) * len(CELLS) > len(_MARKERS):
        raise RuntimeError(f"methods._MARKERS has {len(_MARKERS)} markers for "
                           f"{len(sets) * len(CELLS)} recurrent methods: add markers")
    rows = [_recurrent(losses, cell, _MARKERS[i * len(CELLS) + j])
            for i, losses in enumerate(sets) for j, cell in enumerate(CELLS)]
    return sorted(rows, key=lambda m: CELLS.index(m.cell))  # stable: cell by cell


METHODS: dict[str, Method] = {m.name: m for m in (
    *_recurrent_methods(),
    Method("transformer", "Transformer", "transformer", (), False, "#009E73", "v",
           (0, (5, 1, 1, 1, 1, 1))),
)}
NAMES: tuple[str, ...] = tuple(METHODS)  # also the display order of tables and figures
