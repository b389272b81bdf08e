"""r-LSTM's network (an auxiliary LSTM decoder started from the anchor state) and its loss on a
batch: the `aux_len` tokens before each anchor, by teacher forcing."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from auxbench.losses.reconstruct import LOSS
from auxbench.models.auxiliary import build_auxiliary
from auxbench.train import anchored
from auxbench.train.losses import token_loss_sum
from auxbench.train.windows import State


def build(m: dict, channels: int, vocab: int) -> nn.Module:
    return build_auxiliary(m, m["embed_dim"], channels, vocab)


def plan(net: nn.Module, first: Tensor, length: int, train: dict, generator: torch.Generator,
         device: torch.device) -> anchored.AuxWindow:
    return anchored.plan_aux_window(LOSS.kind, first, length, train, generator, device)


def loss_parts(model, net: nn.Module, tokens: Tensor, window: anchored.AuxWindow, state0: State,
               aux_len: int) -> tuple[Tensor, Tensor]:
    """(summed token loss, token count) of the subsequence before each anchor."""
    x = anchored.window_inputs(model, tokens, window)
    state = anchored.anchor_state(model, x, window, state0)
    first = window.anchors - window.lengths
    inputs, targets = anchored.decoder_inputs_targets(model, tokens, window.rows, first, aux_len)
    logits = net(inputs, model.rnn.decoder_state(state))
    return token_loss_sum(logits, targets, model.pad_token,
                          anchored.real_targets(targets, window.lengths, aux_len), model.groups)
