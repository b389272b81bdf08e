"""One training step's loss for each method, with the paper's gradient truncation.

Which inputs receive gradient:
- supervised loss, bptt=K: the last K steps (K=0: none, only the classifier head learns;
  "full": every step);
- each auxiliary loss: the windows its plan draws (auxbench/losses/, e.g. r-LSTM's and p-LSTM's:
  the `aux_bptt` steps ending at each anchor), each run with gradient from the state the
  no-gradient scan collected before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from auxbench.losses.base import truncation_length
from auxbench.losses.steps import STEPS
from auxbench.models.recurrent import RecurrentClassifier
from auxbench.train.anchors import first_real_step
from auxbench.train.losses import mean_token_loss
from auxbench.train.windows import State, scan_states


@dataclass
class StepResult:
    loss: Tensor
    sup_loss: Tensor | None = None
    aux_loss: Tensor | None = None
    logits: Tensor | None = None
    aux_lengths: Tensor | None = None  # l_eff of every auxiliary row of the step


def aux_loss_parts(model: RecurrentClassifier, tokens: Tensor, window, start_states: State,
                   aux_len: int) -> tuple[Tensor, Tensor]:
    """Run one auxiliary loss's window with gradient from `start_states` (one per row) and
    return (summed token loss, token count); only real targets count."""
    return STEPS[window.kind].loss_parts(model, model.aux[window.kind], tokens, window,
                                         tuple(start_states), aux_len)


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
    windows = [STEPS[kind].plan(net, first, length, train, generator, tokens.device)
               for kind, net in model.aux.items()] if use_aux else []
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
            n = len(w.host_start) // batch  # rows per example, each its own start state
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
