"""The step tally: sums kept on the device, read once; the first non-finite step named."""

from __future__ import annotations

import pytest
import torch

from auxbench.errors import TrainingError
from auxbench.train.tally import StepTally

CPU = torch.device("cpu")


def step(tally, i, loss, norm, n=4):
    tally.check_loss(torch.tensor(loss), i)
    tally.check_grad(torch.tensor(norm), i)
    logits = torch.eye(3)[torch.tensor([0, 1, 2, 0])[:n]]
    tally.add(n, torch.tensor(loss), logits, torch.tensor([0, 1, 0, 0])[:n], None, None)


def test_sums_survive_a_checkpoint_and_resume():
    tally = StepTally(CPU)
    step(tally, 0, 0.5, 1.0)
    saved = tally.read("batch {}", "ckpt")
    assert saved == {"sup": 2.0, "aux": 0.0, "correct": 3.0, "aux_len": 0.0, "n": 4,
                     "aux_rows": 0, "time": 0.0}
    resumed = StepTally(CPU, saved)
    step(resumed, 1, 0.25, 1.0)
    assert resumed.read("batch {}", "ckpt")["sup"] == pytest.approx(3.0)


@pytest.mark.parametrize("bad, message", [
    ({2: ("nan", "nan")}, "non-finite loss at batch 3"),
    ({1: (1.0, "inf"), 3: ("nan", "nan")}, "non-finite gradient norm at batch 2"),
])
def test_the_first_non_finite_step_is_named(bad, message):
    tally = StepTally(CPU)
    for i in range(5):
        loss, norm = bad.get(i, (1.0, 1.0))
        step(tally, i, float(loss), float(norm))
    with pytest.raises(TrainingError, match=message + ".*ckpt/last.pt is kept"):
        tally.read("batch {}", "ckpt/last.pt")
