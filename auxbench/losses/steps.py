"""The torch side of the loss registry: each loss's `step` module (its network, its window plan
and its loss on a batch), by kind. Kept apart from `auxbench.losses` so that what reads only the
declarations (the method table, the planner, figures) does not import torch."""

from __future__ import annotations

from types import ModuleType

from auxbench.losses import LOSSES
from auxbench.losses.next_step import step as next_step_step
from auxbench.losses.predict import step as predict_step
from auxbench.losses.reconstruct import step as reconstruct_step

STEPS: dict[str, ModuleType] = {module.LOSS.kind: module
                                for module in (reconstruct_step, predict_step, next_step_step)}
assert tuple(STEPS) == tuple(LOSSES), "every declared loss has its step module, in order"
