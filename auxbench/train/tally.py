"""What an epoch's training steps add up, kept on the run's device.

A step that reads a number back (`float(loss)`, `int(correct)`, `bool(isfinite(...))`) makes the
host wait for the GPU to finish everything queued before it. The tally keeps the sums, and the
first step whose loss or gradient norm was not finite, as device tensors; they are read once, at
the end of the epoch or before a checkpoint. A non-finite step is still never checkpointed: the
run stops at that read with the step's position, and the last good checkpoint stays.
"""

from __future__ import annotations

import torch
from torch import Tensor

from auxbench.errors import TrainingError

SUMS = ("sup", "aux", "correct", "aux_len")  # float sums; `n` and `aux_rows` are host counts
NOT_SEEN = -1


class StepTally:
    def __init__(self, device: torch.device, saved: dict | None = None):
        saved = saved or {}
        self.sums = {k: torch.tensor(float(saved.get(k, 0.0)), dtype=torch.float64,
                                     device=device) for k in SUMS}
        self.n, self.aux_rows = int(saved.get("n", 0)), int(saved.get("aux_rows", 0))
        self.time = float(saved.get("time", 0.0))
        # index of the first step with a non-finite loss / gradient norm (NOT_SEEN: none yet)
        self.bad = {k: torch.tensor(NOT_SEEN, device=device) for k in ("loss", "grad")}

    def check_loss(self, loss: Tensor, step: int) -> None:
        self._mark("loss", loss, step)

    def check_grad(self, norm: Tensor, step: int) -> None:
        self._mark("grad", norm, step)

    def _mark(self, what: str, value: Tensor, step: int) -> None:
        first = self.bad[what]
        hit = ~torch.isfinite(value.detach()) & (first == NOT_SEEN)
        self.bad[what] = torch.where(hit, torch.full_like(first, step), first)

    def add(self, n: int, sup_loss: Tensor | None, logits: Tensor | None, labels: Tensor,
            aux_loss: Tensor | None, aux_lengths: Tensor | None) -> None:
        self.n += n
        if sup_loss is not None:
            self.sums["sup"] += sup_loss.detach().double() * n
            self.sums["correct"] += (logits.detach().argmax(1) == labels).sum()
        if aux_loss is not None:
            self.sums["aux"] += aux_loss.detach().double() * n
            self.sums["aux_len"] += aux_lengths.sum()
            self.aux_rows += aux_lengths.numel()

    def read(self, where: str, checkpoint: str) -> dict:
        """The sums as numbers (one wait for the device); TrainingError if a step was not
        finite, naming it (`where` formats the step index) and the checkpoint that is kept."""
        text = {"loss": "non-finite loss", "grad": "non-finite gradient norm"}
        order = list(text)  # at one step, a bad loss comes before its bad gradient
        seen = sorted((int(step), order.index(what), what) for what, step in self.bad.items()
                      if int(step) != NOT_SEEN)
        if seen:
            step, _, what = seen[0]
            raise TrainingError(
                f"{text[what]} at {where.format(step + 1)}; the last good checkpoint "
                f"{checkpoint} is kept. Lower train.lr or check train.grad_clip.")
        out = {k: float(v) for k, v in self.sums.items()}
        out.update(n=self.n, aux_rows=self.aux_rows, time=self.time)
        return out
