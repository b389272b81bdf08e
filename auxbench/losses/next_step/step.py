"""lm-LSTM's network (a token head on the main network's output) and its loss on a batch: the
sequence cut into chunks of aux_bptt steps, each run with gradient from the state the
no-gradient scan carried to its start, each output predicting the next input token."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from auxbench.losses.next_step import LOSS, chunk_width
from auxbench.models.heads import TokenHead
from auxbench.tensors import to_device
from auxbench.train.losses import token_loss_sum
from auxbench.train.windows import State, gather_steps


@dataclass
class Chunks:
    kind: str
    rows: Tensor       # [N] example of each chunk row (N = batch x chunks, example-major)
    start: Tensor      # [N] first step of each chunk
    width: int
    first: Tensor      # [N] first real step of the row's example
    lengths: Tensor    # [N] real targets of each chunk (its l_eff)
    host_start: np.ndarray


def build(m: dict, channels: int, vocab: int) -> nn.Module:
    return TokenHead(m["hidden"], m["aux_head_hidden"], channels, vocab, m["aux_dropout"])


def plan(net: nn.Module, first: Tensor, length: int, train: dict, generator: torch.Generator,
         device: torch.device) -> Chunks:
    """Every chunk of every example (no randomness: `generator` is not drawn from). A step t
    is a real target position when both x_t and x_{t+1} are real: t in [first, T - 2]."""
    width = chunk_width({"train": train}, length)
    starts = torch.arange(0, length - 1, width)
    first = first.cpu()
    rows = torch.arange(len(first)).repeat_interleave(len(starts))
    start = starts.repeat(len(first))
    firsts = first.repeat_interleave(len(starts))
    lengths = ((start + width).clamp(max=length - 1) - torch.maximum(start, firsts)).clamp(min=0)
    rows_d, start_d, first_d, lengths_d = (to_device(t, device)
                                           for t in (rows, start, firsts, lengths))
    return Chunks(LOSS.kind, rows_d, start_d, width, first_d, lengths_d, start.numpy())


def loss_parts(model, net: nn.Module, tokens: Tensor, chunks: Chunks, state0: State,
               aux_len: int) -> tuple[Tensor, Tensor]:
    """(summed token loss, token count) of every real next-step target."""
    x = model.embedding(gather_steps(tokens, chunks.rows, chunks.start, chunks.width))
    out, _ = model.rnn(x, state0)
    logits = net(out)
    targets = gather_steps(tokens, chunks.rows, chunks.start + 1, chunks.width)
    step = chunks.start.unsqueeze(1) + torch.arange(chunks.width, device=targets.device)
    real = (step < tokens.shape[1] - 1) & (step >= chunks.first.unsqueeze(1))
    return token_loss_sum(logits, targets, model.pad_token, real, model.groups)
