"""The auxiliary losses: one package each (`reconstruct`, `predict`, ...), listed once here.

A loss's package `__init__` declares it, torch-free, so the method table, the planner, config
validation, feasibility and the FLOP count read it without importing torch: its kind, its
method-name prefix, its colour and line style, its options' defaults, JSON schema and checks,
where its anchors may fall, and its FLOPs. Its `step` module holds what training needs: its
network and its loss on a batch (the torch side's registry is `auxbench.losses.steps`). Nothing
outside a loss's package dispatches on its kind.

Methods are a recurrent cell crossed with a set of losses: no loss, each loss alone, and the
combinations in COMBINATIONS (docs/architecture.md "Add an auxiliary loss").
"""

from __future__ import annotations

from auxbench.losses import next_step, predict, reconstruct
from auxbench.losses.base import AuxLoss

LOSSES: dict[str, AuxLoss] = {loss.kind: loss for loss in (reconstruct.LOSS, predict.LOSS,
                                                            next_step.LOSS)}
"""The registry, in the order each step draws its anchors and each model builds its networks."""

MAIN = reconstruct.LOSS.kind
"""The paper's loss (r-LSTM): the one the questions beyond the paper try on other cells."""

COMBINATIONS: tuple[tuple[str, ...], ...] = ((reconstruct.LOSS.kind, predict.LOSS.kind),)
"""Sets of several losses trained at once that get methods (rp-LSTM: the paper never tried it);
its style: COMBINED_STYLE."""

COMBINED_STYLE = ("#CC79A7", "-.")


SUFFIXED: tuple[AuxLoss, ...] = tuple(loss for loss in LOSSES.values() if loss.setting_suffix)
"""The losses with an option a setting's name carries (p-LSTM's `_pwin`)."""


def loss_sets() -> tuple[tuple[str, ...], ...]:
    """Every set of losses a cell is trained with: none, each alone, the combinations."""
    return ((), *((kind,) for kind in LOSSES), *COMBINATIONS)
