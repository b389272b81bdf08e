"""The torch side of the cell registry (auxbench/rnn_cells/): each cell's layer, by name, built from
the model config. Every layer has `LSTMLayer`'s interface (docs/method.md "Recurrent cells")."""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from auxbench.models import gru as gru_layer
from auxbench.models import lru as lru_layer
from auxbench.models import lstm as lstm_layer
from auxbench.rnn_cells import CELLS, gru, lru, lstm

LAYERS: dict[str, Callable[[dict], nn.Module]] = {
    lstm.CELL.name: lstm_layer.build,
    gru.CELL.name: gru_layer.build,
    lru.CELL.name: lru_layer.build,
}
assert tuple(LAYERS) == tuple(CELLS), "every declared cell has its layer, in order"
