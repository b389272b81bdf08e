"""p-LSTM's network and its loss on a batch: the `aux_len` tokens after each anchor, predicted
by an auxiliary LSTM stacked on the main network's outputs (model.plstm_wiring: stacked) or by a
decoder like r-LSTM's (decoder)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from auxbench.losses.predict import LOSS
from auxbench.models.auxiliary import build_auxiliary
from auxbench.train import anchored
from auxbench.train.losses import token_loss_sum
from auxbench.train.windows import State, gather_steps


def build(m: dict, channels: int, vocab: int) -> nn.Module:
    stacked = m["plstm_wiring"] == "stacked"
    net = build_auxiliary(m, m["hidden"] if stacked else m["embed_dim"], channels, vocab)
    net.wiring = m["plstm_wiring"]
    return net


def plan(net: nn.Module, first: Tensor, length: int, train: dict, generator: torch.Generator,
         device: torch.device) -> anchored.AuxWindow:
    """train.plstm_gradient: window (stacked only) extends the gradient window over the
    predicted window: the stacked net then reads the main outputs with gradient."""
    through = net.wiring == "stacked" and train["plstm_gradient"] == "window"
    return anchored.plan_aux_window(LOSS.kind, first, length, train, generator, device,
                                    forward=train["aux_len"] - 1 if through else 0)


def main_outputs_after_anchor(model, tokens: Tensor, window: anchored.AuxWindow, state: State,
                              count: int) -> Tensor:
    """The main network's outputs over the `count` steps after each anchor, continued from the
    anchor state with no gradient: what the stacked auxiliary LSTM reads beyond the anchor."""
    with torch.no_grad():
        x = model.embedding(gather_steps(tokens, window.rows, window.anchors + 1, count))
        out, _ = model.rnn(x, tuple(part.detach() for part in state))
    return out


def loss_parts(model, net: nn.Module, tokens: Tensor, window: anchored.AuxWindow, state0: State,
               aux_len: int) -> tuple[Tensor, Tensor]:
    """(summed token loss, token count) of the subsequence after each anchor."""
    rows, anchors = window.rows, window.anchors
    x = anchored.window_inputs(model, tokens, window)
    state = anchored.anchor_state(model, x, window, state0)
    first = anchors + 1
    if net.wiring == "stacked":
        if window.forward:
            out = model.rnn(x, state0)[0]
            inputs = gather_steps(out, torch.arange(len(rows), device=out.device),
                                  anchors - window.start, aux_len)
        else:
            after = main_outputs_after_anchor(model, tokens, window, state, aux_len - 1)
            inputs = torch.cat([model.rnn.output(state).unsqueeze(1), after], dim=1)
        targets = gather_steps(tokens, rows, first, aux_len)
    else:  # a decoder like r-LSTM's, over the l tokens after the anchor
        inputs, targets = anchored.decoder_inputs_targets(model, tokens, rows, first, aux_len)
    logits = net(inputs, model.rnn.decoder_state(state))
    return token_loss_sum(logits, targets, model.pad_token,
                          anchored.real_targets(targets, window.lengths, aux_len), model.groups)
