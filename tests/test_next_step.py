"""The dense next-step loss (lm-LSTM, auxbench/losses/next_step/), in float64 on every cell:
each output predicts the next input token, only real targets count, and the gradient of each
target reaches back exactly to its chunk's start (chunks of aux_bptt steps, the state carried
between them without gradient)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from auxbench.config import resolve
from auxbench.losses.next_step import LOSS
from auxbench.losses.next_step import step as next_step
from auxbench.methods import CELLS, METHODS, prefix, variant
from auxbench.models import build_model
from auxbench.rnn_cells import small_options
from auxbench.train.anchors import first_real_step
from auxbench.train.objective import recurrent_step
from auxbench.train.windows import scan_states

T, BATCH, CHUNK = 30, 2, 8


@pytest.fixture(params=CELLS)
def cell(request):
    return request.param


def make(cell: str, pad_token=None, **train):
    method = variant(prefix((LOSS.kind,)), cell)
    cfg = resolve({"method": method,
                   "model": {"embed_dim": 8, "hidden": 8, "head_hidden": 16,
                             "aux_head_hidden": 16, "head_dropout": 0.0, "aux_dropout": 0.0,
                             **small_options()},
                   "train": {"aux_bptt": CHUNK, "scan_chunk": 7, **train}})
    torch.manual_seed(0)
    model = build_model(cfg, channels=1, vocab=256, n_classes=3, pad_token=pad_token).double()
    tokens = (torch.arange(BATCH).unsqueeze(1) * T + torch.arange(T)).unsqueeze(-1)
    return cfg, model, tokens, torch.tensor([0, 2])


def grad_steps(model) -> list[set[int]]:
    """For each example, the input steps whose embedding received a nonzero gradient (every
    (example, step) has its own token)."""
    grad = model.embedding.table.weight.grad
    rows = (grad.abs().sum(1) > 0).nonzero().flatten().tolist()
    return [{r - b * T for r in rows if b * T <= r < (b + 1) * T} for b in range(BATCH)]


def test_the_method_is_a_cell_with_the_loss_and_no_anchor_or_decoder(cell):
    cfg, model, _, _ = make(cell)
    assert METHODS[cfg["method"]].losses == (LOSS.kind,) and not LOSS.anchored
    assert list(model.aux) == [LOSS.kind]
    assert not any(isinstance(m, torch.nn.LSTM) for m in model.aux.modules())


def test_the_loss_is_the_mean_next_token_cross_entropy_of_the_uncut_network(cell):
    """State carried between chunks: the chunked loss equals one full forward's next-step
    loss over the T - 1 targets, in pretraining alone and added with aux_weight after."""
    cfg, model, tokens, labels = make(cell, aux_weight=0.5)
    out = recurrent_step(model, tokens, labels, cfg["train"], "pretrain", torch.Generator())
    h, _ = model.rnn(model.embedding(tokens))
    logits = model.aux[LOSS.kind](h[:, :-1])
    expected = F.cross_entropy(logits.reshape(-1, 256), tokens[:, 1:].reshape(-1))
    torch.testing.assert_close(out.aux_loss, expected)
    assert out.sup_loss is None
    torch.testing.assert_close(out.loss, out.aux_loss)
    assert out.aux_lengths.sum().item() == BATCH * (T - 1)  # every chunk's real targets
    joint = recurrent_step(model, tokens, labels, cfg["train"], "train", torch.Generator())
    torch.testing.assert_close(joint.loss, joint.sup_loss + 0.5 * joint.aux_loss)


def test_it_draws_nothing_from_the_generator(cell):
    cfg, model, tokens, labels = make(cell)
    gen = torch.Generator().manual_seed(3)
    before = gen.get_state()
    recurrent_step(model, tokens, labels, cfg["train"], "pretrain", gen)
    assert torch.equal(gen.get_state(), before)


@pytest.mark.parametrize("target", [3, 8, 15, 28])
def test_each_targets_gradient_reaches_back_to_its_chunks_start_only(cell, monkeypatch, target):
    """The target x_{t+1} is scored at step t; its gradient reaches steps [chunk start, t]."""
    cfg, model, tokens, labels = make(cell)
    real_loss = next_step.token_loss_sum

    def one_target(logits, targets, pad_token, real, groups=1):
        keep = torch.zeros_like(real)
        chunk, offset = divmod(target, CHUNK)
        keep[chunk::(T - 1 + CHUNK - 1) // CHUNK, offset] = True  # that step, every example
        return real_loss(logits, targets, pad_token, real & keep, groups)

    monkeypatch.setattr(next_step, "token_loss_sum", one_target)
    recurrent_step(model, tokens, labels, cfg["train"], "pretrain", torch.Generator()
                   ).loss.backward()
    start = target - target % CHUNK
    assert grad_steps(model) == [set(range(start, target + 1))] * BATCH


def test_the_whole_loss_reaches_every_step_with_a_next_token(cell):
    cfg, model, tokens, labels = make(cell)
    recurrent_step(model, tokens, labels, cfg["train"], "pretrain", torch.Generator()
                   ).loss.backward()
    assert grad_steps(model) == [set(range(T - 1))] * BATCH  # x_{T-1} predicts nothing


def test_aux_bptt_full_is_one_chunk_from_step_zero(cell):
    cfg, model, tokens, _ = make(cell, aux_bptt="full")
    window = next_step.plan(model.aux[LOSS.kind], torch.zeros(BATCH, dtype=torch.long), T,
                            cfg["train"], torch.Generator(), tokens.device)
    assert window.width == T - 1 and window.host_start.tolist() == [0] * BATCH


def test_padded_documents_score_only_next_tokens_inside_the_document(cell, monkeypatch):
    """Left-padded documents of 1, 2 and 20 tokens: n - 1 targets each, none of them padding,
    and none predicted from a padding step."""
    cfg, model, _, _ = make(cell, pad_token=0)
    docs = torch.zeros(3, T, 1, dtype=torch.long)
    for row, n in enumerate([1, 2, 20]):
        docs[row, T - n:, 0] = torch.arange(1, n + 1) + 50 * row
    seen = {}
    real_loss = next_step.token_loss_sum

    def spy(logits, targets, pad_token, real, groups=1):
        seen["targets"], seen["real"] = targets, real
        return real_loss(logits, targets, pad_token, real, groups)

    monkeypatch.setattr(next_step, "token_loss_sum", spy)
    window = next_step.plan(model.aux[LOSS.kind], first_real_step(docs, 0), T, cfg["train"],
                            torch.Generator(), docs.device)
    collected, _ = scan_states(model, docs, (window.host_start - 1).reshape(3, -1), 7)
    state = tuple(q.reshape(-1, q.shape[-1]) for q in collected)
    _, count = next_step.loss_parts(model, model.aux[LOSS.kind], docs, window, state, 0)
    per_doc = seen["real"].reshape(3, -1).sum(1).tolist()
    assert per_doc == [0, 1, 19] and count.item() == 20
    assert window.lengths.reshape(3, -1).sum(1).tolist() == per_doc
    assert (seen["targets"][..., 0][seen["real"]] > 0).all()
    chunk_first = window.start.unsqueeze(1) + torch.arange(window.width)
    assert (docs[window.rows.unsqueeze(1), chunk_first.clamp(max=T - 1), 0][seen["real"]]
            > 0).all()  # the input of every scored step is real too
