"""One training step's loss for each method, with the paper's gradient truncation.

Which inputs receive gradient:
- supervised loss, bptt=K: the last K steps (K=0: none, only the classifier head learns;
  "full": every step);
- r-LSTM and p-LSTM: the `aux_bptt` steps ending at the anchor, through the auxiliary network's
  initial state (the paper truncates both losses alike). The stacked p-LSTM's auxiliary LSTM reads
  the main LSTM's outputs after the anchor as inputs that send no gradient back into it;
  `train.plstm_gradient: window` lets them do so, so the gradient also covers the predicted window
  (`aux_bptt + aux_len - 1` steps), an option outside the paper's method.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from auxbench.models.recurrent import RecurrentClassifier
from auxbench.runtime import to_device
from auxbench.train.anchors import first_real_step, sample_anchors
from auxbench.train.losses import mean_token_loss, token_loss_sum
from auxbench.train.windows import State, gather_steps, scan_states, window_bounds


@dataclass
class StepResult:
    loss: Tensor
    sup_loss: Tensor | None = None
    aux_loss: Tensor | None = None
    logits: Tensor | None = None
    aux_lengths: Tensor | None = None  # l_eff of every auxiliary row of the step


@dataclass
class AuxWindow:
    kind: str          # "reconstruct" or "predict"
    rows: Tensor       # [N] example index of each (example, anchor) row
    anchors: Tensor    # [N]
    start: Tensor      # [N] first step of the gradient window
    width: int
    lengths: Tensor    # [N] l_eff: the subsequence length the row's real document holds
    host_anchors: np.ndarray  # anchors and start on the host: where the LSTM scans are cut
    host_start: np.ndarray
    through_window: bool = False  # stacked p-LSTM reads main outputs from the gradient window


def truncation_length(bptt, length: int) -> int:
    return length if bptt == "full" else min(int(bptt), length)


def plan_aux_window(kind: str, model: RecurrentClassifier, first: Tensor, length: int,
                    train: dict, generator: torch.Generator, device: torch.device) -> AuxWindow:
    """Anchors, gradient windows and l_eff of one auxiliary loss, drawn on the host."""
    n = train["n_anchors"]
    anchors, lengths = sample_anchors(kind, first, length, n, train["aux_len"], generator)
    back = truncation_length(train["aux_bptt"], length)
    through = (kind == "predict" and model.plstm_wiring == "stacked"
               and train["plstm_gradient"] == "window")
    forward = train["aux_len"] - 1 if through else 0
    start, width = window_bounds(anchors.reshape(-1), back, forward, length)
    rows = torch.arange(len(first)).repeat_interleave(n)
    host = (rows, anchors.reshape(-1), start, lengths.repeat_interleave(n))
    rows_d, anchors_d, start_d, lengths_d = (to_device(t, device) for t in host)
    return AuxWindow(kind, rows_d, anchors_d, start_d, width, lengths_d, host[1].numpy(),
                     start.numpy(), through)


def decoder_inputs_targets(model: RecurrentClassifier, tokens: Tensor, rows: Tensor,
                           first: Tensor, length: int) -> tuple[Tensor, Tensor]:
    """The decoder's inputs and targets over the subsequence x[first : first + length].

    Teacher forcing (docs/paper.md §1.3): the first token is fed and the other length-1 are predicted,
    each from the true previous one; with a BOS vector (model.aux_bos) all `length` tokens are
    predicted. Without it (model.teacher_forcing false, the caption's "optionally fed") the
    decoder reads no tokens, only the BOS vector (or zeros) at every step, and predicts all
    `length` tokens from the anchor state alone."""
    if not model.teacher_forcing:
        table = model.embedding.table.weight
        blank = model.bos if model.bos is not None else table.new_zeros(table.shape[1])
        return blank.expand(len(rows), length, -1), gather_steps(tokens, rows, first, length)
    fed = model.embed_aux_tokens(gather_steps(tokens, rows, first, length - 1))
    if model.bos is None:
        return fed, gather_steps(tokens, rows, first + 1, length - 1)
    bos = model.bos.expand(len(rows), 1, -1)
    return torch.cat([bos, fed], dim=1), gather_steps(tokens, rows, first, length)


def main_outputs_after_anchor(model: RecurrentClassifier, tokens: Tensor, window: AuxWindow,
                              anchor_state: State, count: int) -> Tensor:
    """The main network's outputs over the `count` steps after each anchor, continued from the
    anchor state with no gradient: what the stacked auxiliary LSTM reads beyond the anchor."""
    with torch.no_grad():
        x = model.embedding(gather_steps(tokens, window.rows, window.anchors + 1, count))
        out, _ = model.rnn(x, tuple(part.detach() for part in anchor_state))
    return out


def aux_loss_parts(model: RecurrentClassifier, tokens: Tensor, window: AuxWindow,
                   start_states: State, aux_len: int) -> tuple[Tensor, Tensor]:
    """Run one auxiliary window with gradient and return (summed token loss, token count).

    Each row's subsequence is `aux_len` steps wide; only its first l_eff (`window.lengths`)
    tokens are real, so targets past them are not counted."""
    rows, anchors = window.rows, window.anchors
    x = model.embedding(gather_steps(tokens, rows, window.start, window.width))
    state0 = tuple(start_states)
    # the anchor state: each row run from its window's start to its anchor, in one call
    anchor_state = model.rnn.states_after(x, window.host_anchors - window.host_start + 1, state0)
    if window.kind == "reconstruct":
        net, first = model.reconstructor, anchors - window.lengths
        inputs, targets = decoder_inputs_targets(model, tokens, rows, first, aux_len)
    elif model.plstm_wiring == "stacked":
        net, first = model.predictor, anchors + 1
        if window.through_window:
            out = model.rnn(x, state0)[0]
            inputs = gather_steps(out, torch.arange(len(rows), device=out.device),
                                  anchors - window.start, aux_len)
        else:
            after = main_outputs_after_anchor(model, tokens, window, anchor_state, aux_len - 1)
            inputs = torch.cat([model.rnn.output(anchor_state).unsqueeze(1), after], dim=1)
        targets = gather_steps(tokens, rows, first, aux_len)
    else:  # a decoder like r-LSTM's, over the l tokens after the anchor
        net, first = model.predictor, anchors + 1
        inputs, targets = decoder_inputs_targets(model, tokens, rows, first, aux_len)
    logits = net(inputs, model.rnn.decoder_state(anchor_state))
    offset = aux_len - targets.shape[1]  # 1 when the first token is fed, not predicted
    position = offset + torch.arange(targets.shape[1], device=targets.device)
    real = position.unsqueeze(0) < window.lengths.unsqueeze(1)
    return token_loss_sum(logits, targets, model.pad_token, real)


def recurrent_step(model: RecurrentClassifier, tokens: Tensor, labels: Tensor, train: dict,
                   phase: str, generator: torch.Generator, first: Tensor | None = None
                   ) -> StepResult:
    """The loss of one batch: auxiliary only in pretraining, supervised + weighted auxiliary after.

    `first` [B] (host): each example's first real step; the training run passes it from the
    host batch, so that no step waits for the device (computed from `tokens` when absent)."""
    batch, length = tokens.shape[:2]
    if first is None:
        first = first_real_step(tokens, model.pad_token).cpu()
    use_sup = phase == "train"
    use_aux = phase == "pretrain" or train["aux_in_training"]
    windows = []
    for kind, net in (("reconstruct", model.reconstructor), ("predict", model.predictor)):
        if use_aux and net is not None:
            windows.append(plan_aux_window(kind, model, first, length, train, generator,
                                           tokens.device))
    k = truncation_length(train["bptt"], length)

    # One no-gradient pass collects every state a window starts from.
    columns = [(w.host_start - 1).reshape(batch, -1) for w in windows]
    if use_sup and 0 < k < length:
        columns.append(np.full((batch, 1), length - k - 1))
    final = None
    if columns or (use_sup and k == 0):
        host = np.concatenate(columns, 1) if columns else np.zeros((batch, 0), dtype=np.int64)
        collected, final = scan_states(model, tokens, host, train["scan_chunk"])

    result = StepResult(loss=tokens.new_zeros((), dtype=torch.float32))
    if windows:
        parts, column = [], 0
        for w in windows:
            n = train["n_anchors"]
            start_state = tuple(q[:, column:column + n].reshape(-1, q.shape[-1])
                                for q in collected)
            column += n
            parts.append(aux_loss_parts(model, tokens, w, start_state, train["aux_len"]))
        losses = [mean_token_loss([p]) for p in parts]
        aux = sum(losses) if train["aux_combine"] == "sum" else sum(losses) / len(losses)
        result.aux_loss = aux
        result.aux_lengths = torch.cat([w.lengths for w in windows])
        result.loss = result.loss + (train["aux_weight"] if use_sup else 1.0) * aux
    if use_sup:
        if k == 0:
            last = final
        elif k == length:
            _, last = model.rnn(model.embedding(tokens))
        else:
            state = tuple(q[:, -1] for q in collected)
            _, last = model.rnn(model.embedding(tokens[:, length - k:]), state)
        result.logits = model.head(model.rnn.output(last))
        result.sup_loss = F.cross_entropy(result.logits, labels)
        result.loss = result.loss + result.sup_loss
    return result


def transformer_step(model, tokens: Tensor, labels: Tensor) -> StepResult:
    logits = model(tokens)
    loss = F.cross_entropy(logits, labels)
    return StepResult(loss=loss, sup_loss=loss, logits=logits)


@torch.no_grad()
def predict_logits(model, tokens: Tensor, chunk: int) -> Tensor:
    """Class logits with no gradient; recurrent models scan in chunks (memory flat in T)."""
    if isinstance(model, RecurrentClassifier):
        empty = np.zeros((tokens.shape[0], 0), dtype=np.int64)
        _, final = scan_states(model, tokens, empty, chunk)
        return model.head(model.rnn.output(final))
    return model(tokens)
