"""What the GRU and the LRU share as main networks: the first component of their state is the
last output, which the classifier reads and an auxiliary LSTM decoder starts from as (h, 0)
(docs/method.md "Recurrent cells"; the LSTM hands the decoder its own (h, c))."""

from __future__ import annotations

import torch
from torch import Tensor


class OutputFirst:
    @staticmethod
    def output(state: tuple[Tensor, ...]) -> Tensor:
        return state[0]

    @staticmethod
    def decoder_state(state: tuple[Tensor, ...]) -> tuple[Tensor, Tensor]:
        return state[0], torch.zeros_like(state[0])
