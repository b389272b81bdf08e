"""One training step's loss for each method, with the paper's gradient truncation.

Which inputs receive gradient:
- supervised loss, bptt=K: the last K steps (K=0: none, only the classifier head learns;
  "full": every step);
- each auxiliary loss: the windows its plan draws (auxbench/losses/, e.g. r-LSTM's and p-LSTM's:
  the `aux_bptt` steps ending at each anchor), each run with gradient from the state the
  no-gradient scan collected before it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from auxbench.losses.base import truncation_length
from auxbench.losses.steps import STEPS
from auxbench.models.recurrent import RecurrentClassifier
from auxbench.train.anchors import first_real_step
from auxbench.train.losses import cross_entropy, mean_token_loss
from auxbench.train.windows import State, scan_states


@dataclass
class StepResult:
    loss: Tensor
    sup_loss: Tensor | None = None
    aux_loss: Tensor | None = None
    logits: Tensor | None = None
    aux_lengths: Tensor | None = None  # l_eff of every auxiliary row of the step, [G, rows]


def aux_loss_parts(model: RecurrentClassifier, tokens: Tensor, window, start_states: State,
                   aux_len: int) -> tuple[Tensor, Tensor]:
    """Run one auxiliary loss's window with gradient from `start_states` (one per row) and
    return (summed token loss, token count); only real targets count."""
    return STEPS[window.kind].loss_parts(model, model.aux[window.kind], tokens, window,
                                         tuple(start_states), aux_len)


def merge_members(parts: list, examples: int):
    """One window of a grouped batch from its members' windows, member after member; member g's
    example indices (`rows`) are offset by g * examples."""
    merged = {}
    for field in dataclasses.fields(parts[0]):
        values = [getattr(part, field.name) for part in parts]
        if field.name == "rows":
            values = [v + g * examples for g, v in enumerate(values)]
        if isinstance(values[0], Tensor):
            merged[field.name] = torch.cat(values)
        elif isinstance(values[0], np.ndarray):
            merged[field.name] = np.concatenate(values)
        elif any(v != values[0] for v in values):
            raise ValueError(f"members' windows differ in {field.name}: {values}")
    return dataclasses.replace(parts[0], **merged)


def plan_windows(model: RecurrentClassifier, first: Tensor, length: int, train: dict,
                 generator: torch.Generator | list[torch.Generator], device: torch.device
                 ) -> list:
    """Each auxiliary loss's windows, in the registry's order; a grouped model's members each
    draw theirs from their own generator (`generator`: one per member), as their separate runs
    would."""
    if model.groups == 1:
        return [STEPS[kind].plan(net, first, length, train, generator, device)
                for kind, net in model.aux.items()]
    firsts = first.reshape(model.groups, -1)
    members = [[STEPS[kind].plan(net, member_first, length, train, member_generator, device)
                for kind, net in model.aux.items()]
               for member_first, member_generator in zip(firsts, generator)]
    return [merge_members(list(parts), firsts.shape[1]) for parts in zip(*members)]


def recurrent_step(model: RecurrentClassifier, tokens: Tensor, labels: Tensor, train: dict,
                   phase: str, generator: torch.Generator | list[torch.Generator],
                   first: Tensor | None = None) -> StepResult:
    """The loss of one batch: auxiliary only in pretraining, supervised + weighted auxiliary after.

    `first` [B] (host): each example's first real step; the training run passes it from the
    host batch, so that no step waits for the device (computed from `tokens` when absent). A
    grouped model's losses are per member, [G]."""
    batch, length = tokens.shape[:2]
    if first is None:
        first = first_real_step(tokens, model.pad_token).cpu()
    use_sup = phase == "train"
    use_aux = phase == "pretrain" or train["aux_in_training"]
    windows = plan_windows(model, first, length, train, generator, tokens.device) if use_aux \
        else []
    k = truncation_length(train["bptt"], length)

    # One no-gradient pass collects every state a window starts from.
    columns = [(w.host_start - 1).reshape(batch, -1) for w in windows]
    if use_sup and 0 < k < length:
        columns.append(np.full((batch, 1), length - k - 1))
    final = None
    if columns or (use_sup and k == 0):
        host = np.concatenate(columns, 1) if columns else np.zeros((batch, 0), dtype=np.int64)
        collected, final = scan_states(model, tokens, host, train["scan_chunk"],
                                       to_end=use_sup and k == 0)

    shape = () if model.groups == 1 else (model.groups,)
    result = StepResult(loss=tokens.new_zeros(shape, dtype=torch.float32))
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
        result.aux_lengths = torch.cat([w.lengths.reshape(model.groups, -1) for w in windows], 1)
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
        result.sup_loss = cross_entropy(result.logits, labels, model.groups)
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
