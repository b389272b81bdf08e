"""The training step of a group of runs trained as one model (issue [14]; the model:
auxbench/models/grouped.py). Each member keeps what its separate run has: its anchors and
dropout streams (its own generators), its gradient clipping (the norm over its own parameters:
one over the stacked parameters would couple the seeds), its optimizer state (Adam and RMSprop
are elementwise, so the stacked state is the members' side by side), and its own non-finite
check. No kernel mixes members, so a member whose loss or gradient went non-finite cannot reach
the others: it trains on, unread, until the epoch's end, where the engine records it failed and
stops checkpointing it (its last good checkpoint is kept), while the others go on.
"""

from __future__ import annotations

import torch
from torch import Tensor

from auxbench.models.grouped import group_model, member_blocks, member_state
from auxbench.runtime import autocast
from auxbench.train.objective import recurrent_step
from auxbench.train.tally import StepTally


def member_grad_norms(params: list[Tensor], groups: int) -> Tensor:
    """Each member's gradient norm over all its parameters [G], as clip_grad_norm_ takes it
    (the norm of the per-parameter norms)."""
    norms = [p.grad.reshape(groups, -1).norm(dim=1) for p in params if p.grad is not None]
    return torch.stack(norms).norm(dim=0)


def stack_optimizer_states(states: list[dict]) -> dict:
    """One optimizer state dict for the stacked parameters from the members' (the step count,
    one scalar, is the members' common one)."""
    first = states[0]
    return {"param_groups": first["param_groups"],
            "state": {index: {key: value if key == "step" else
                              torch.stack([s["state"][index][key] for s in states])
                              for key, value in entry.items()}
                      for index, entry in first["state"].items()}}


def member_optimizer_state(state: dict, g: int) -> dict:
    """Member g's optimizer state dict, as its separate run's optimizer holds it."""
    return {"param_groups": state["param_groups"],
            "state": {index: {key: value.clone() if key == "step" else value[g].clone()
                              for key, value in entry.items()}
                      for index, entry in state["state"].items()}}


class GroupStep:
    """The grouped model, its optimizer and schedule, built from the members' (each built and
    restored as its separate run would be), and the step that trains every member at once."""

    def __init__(self, members: list, dropout: list[torch.Generator], optimizer_builder):
        self.groups = len(members)
        self.model = group_model([m.model for m in members], dropout)
        self.optimizer, self.scheduler = optimizer_builder(self.model)
        self.optimizer.load_state_dict(
            stack_optimizer_states([m.optimizer.state_dict() for m in members]))
        self.scheduler.load_state_dict(members[0].scheduler.state_dict())
        self.anchors = [m.anchor_gen for m in members]
        self.params = [p for p in self.model.parameters() if p.requires_grad]

    def step(self, x: Tensor, y: Tensor, train: dict, phase: str, tallies: list[StepTally],
             batch: int, first: Tensor) -> None:
        """One optimizer step of every member; x, y hold the members' batches in turn."""
        groups = self.groups
        with autocast(train, x.device):
            out = recurrent_step(self.model, x, y, train, phase, self.anchors, first)
        for g, tally in enumerate(tallies):
            tally.check_loss(out.loss[g], batch)
        self.optimizer.zero_grad(set_to_none=True)
        out.loss.sum().backward()
        norms = member_grad_norms(self.params, groups)
        for g, tally in enumerate(tallies):
            tally.check_grad(norms[g], batch)
        if train["grad_clip"] is not None:
            scale = (train["grad_clip"] / (norms + 1e-6)).clamp(max=1.0)
            for p in self.params:
                if p.grad is not None:
                    p.grad.mul_(scale.view(groups, *([1] * (p.dim() - 1))).to(p.grad.dtype))
        self.optimizer.step()
        rows = y.shape[0] // groups
        logits = member_blocks(out.logits, groups) if out.logits is not None else [None] * groups
        for g, tally in enumerate(tallies):
            tally.add(rows, None if out.sup_loss is None else out.sup_loss[g], logits[g],
                      y[g * rows:(g + 1) * rows], None if out.aux_loss is None else out.aux_loss[g],
                      None if out.aux_lengths is None else out.aux_lengths[g])

    def sync(self, member, g: int) -> None:
        """Copy member g's weights, optimizer state and schedule into its separate objects,
        which its checkpoint is written from."""
        member.model.load_state_dict(member_state(self.model, g))
        member.optimizer.load_state_dict(member_optimizer_state(self.optimizer.state_dict(), g))
        member.scheduler.load_state_dict(self.scheduler.state_dict())
