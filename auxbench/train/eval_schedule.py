"""Which epochs a run evaluates: every `train.eval_every`-th epoch and always the last.

Evaluating the test set and the training subset after every epoch costs a forward pass over
both each epoch (at the paper scale 84 of 613 estimated H200-hours when every epoch was
evaluated, docs/benchmarks.md); only an analysis that draws the curve needs every epoch (the planner sets `eval_every: 1` for those runs, auxbench.plan).
The final metrics are the last epoch's, so the last epoch is always evaluated. The engine and
the estimate (auxbench.resource_benchmark.estimate) both count from here.
"""

from __future__ import annotations


def evaluates(epoch: int, total: int, every: int) -> bool:
    """Whether epoch `epoch` (counted from 1 over pretraining and training) is evaluated."""
    return epoch % every == 0 or epoch == total


def evaluated_epochs(total: int, every: int) -> int:
    """How many of `total` epochs are evaluated."""
    return sum(evaluates(e, total, every) for e in range(1, total + 1))
