"""Which inputs receive gradient, and which exactly do not (docs/paper.md §1.6).

Each step t of example b reads a token unique to (b, t), so the gradient that lands on row
`b * T + t` of the embedding table is exactly the gradient reaching input step t of example b.
Every test runs for each recurrent cell (LSTM, GRU, LRU): the methods named here as the paper's
LSTM rows stand for the same loss on the cell under test.
"""

from __future__ import annotations

import pytest
import torch

from auxbench.config import resolve
from auxbench.losses.steps import STEPS
from auxbench.methods import CELLS, METHODS, variant
from auxbench.models import build_model
from auxbench.rnn_cells import small_options
from auxbench.train import anchored
from auxbench.train.anchored import AuxWindow
from auxbench.train.anchors import first_real_step
from auxbench.train.objective import aux_loss_parts, recurrent_step
from auxbench.train.windows import scan_states, window_bounds

T = 60
BATCH = 2
CELL = {"name": "lstm"}


@pytest.fixture(autouse=True, params=CELLS)
def cell(request):
    CELL["name"] = request.param
    return request.param


def on_cell(method: str) -> str:
    """The method with `method`'s auxiliary loss on the cell under test ("rlstm" -> "rgru")."""
    return variant(method.removesuffix("lstm"), CELL["name"])


def start_states(model):
    return model.rnn.zero_state(BATCH, model.embedding.table.weight)


def make(method: str, model: dict | None = None, **train):
    method = on_cell(method)
    assert METHODS[method].cell == CELL["name"]
    cfg = resolve({"method": method,
                   "model": {"embed_dim": 8, "hidden": 8, "head_hidden": 16, "aux_hidden": 16,
                             "aux_head_hidden": 16, "head_dropout": 0.0, "aux_dropout": 0.0,
                             "share_embedding": False, **small_options(), **(model or {})},
                   "train": {"aux_len": 20, "aux_bptt": 10, "scan_chunk": 7, **train}})
    torch.manual_seed(0)
    model = build_model(cfg, channels=1, vocab=256, n_classes=3, pad_token=None).double()
    tokens = (torch.arange(BATCH).unsqueeze(1) * T + torch.arange(T)).unsqueeze(-1)
    labels = torch.tensor([0, 2])
    return cfg, model, tokens, labels


def grad_steps(model) -> list[set[int]]:
    """For each example, the input steps whose embedding received a nonzero gradient."""
    grad = model.embedding.table.weight.grad
    if grad is None:
        return [set() for _ in range(BATCH)]
    rows = (grad.abs().sum(1) > 0).nonzero().flatten().tolist()
    return [{r - b * T for r in rows if b * T <= r < (b + 1) * T} for b in range(BATCH)]


@pytest.mark.parametrize("k", [1, 10, 25])
def test_supervised_gradient_reaches_exactly_the_last_k_steps(k):
    cfg, model, tokens, labels = make("lstm", bptt=k)
    out = recurrent_step(model, tokens, labels, cfg["train"], "train", torch.Generator())
    out.loss.backward()
    assert grad_steps(model) == [set(range(T - k, T))] * BATCH


@pytest.mark.parametrize("k", [0, 10])
def test_batch_norm_head_keeps_the_truncation(k):
    """The head's batch statistics couple examples, never time steps."""
    cfg, model, tokens, labels = make("lstm", model={"head_norm": "batch"}, bptt=k)
    recurrent_step(model, tokens, labels, cfg["train"], "train", torch.Generator()).loss.backward()
    assert grad_steps(model) == [set(range(T - k, T))] * BATCH


def test_full_bptt_reaches_step_zero():
    cfg, model, tokens, labels = make("lstm", bptt="full")
    recurrent_step(model, tokens, labels, cfg["train"], "train", torch.Generator()).loss.backward()
    assert grad_steps(model) == [set(range(T))] * BATCH


def test_bptt_zero_trains_only_the_classifier_head():
    cfg, model, tokens, labels = make("lstm", bptt=0)
    recurrent_step(model, tokens, labels, cfg["train"], "train", torch.Generator()).loss.backward()
    assert grad_steps(model) == [set()] * BATCH
    assert all(p.grad is None for p in model.rnn.parameters())
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.head.parameters())


def test_truncated_supervised_output_equals_the_untruncated_forward():
    cfg, model, tokens, labels = make("lstm", bptt=10)
    out = recurrent_step(model, tokens, labels, cfg["train"], "train", torch.Generator())
    model.eval()
    _, last = model.rnn(model.embedding(tokens))
    torch.testing.assert_close(out.logits, model.head(model.rnn.output(last)))


def aux_window(model, kind, anchors, aux_len, back, through=False):
    """The window of the given anchors; `through`: train.plstm_gradient window."""
    anchors = torch.tensor(anchors)
    start, width = window_bounds(anchors, back, aux_len - 1 if through else 0, T)
    return AuxWindow(kind, torch.arange(BATCH), anchors, start, width,
                     torch.full((BATCH,), aux_len), anchors.numpy(), start.numpy(),
                     aux_len - 1 if through else 0)


def run_aux_loss(model, tokens, window, aux_len):
    collected, _ = scan_states(model, tokens, (window.host_start - 1).reshape(BATCH, 1), chunk=7)
    total, count = aux_loss_parts(model, tokens, window, tuple(q[:, 0] for q in collected),
                                  aux_len)
    return total / count


def run_aux(model, tokens, window, aux_len):
    run_aux_loss(model, tokens, window, aux_len).backward()


@pytest.mark.parametrize("anchors", [[30, 45], [20, 58]])
def test_reconstruction_gradient_reaches_the_main_lstm_only_within_its_window(anchors):
    _, model, tokens, _ = make("rlstm")
    run_aux(model, tokens, aux_window(model, "reconstruct", anchors, 20, 10), 20)
    assert grad_steps(model) == [set(range(a - 9, a + 1)) for a in anchors]


def test_reconstruction_window_near_the_start_reaches_step_zero_only():
    _, model, tokens, _ = make("rlstm", aux_len=5)
    run_aux(model, tokens, aux_window(model, "reconstruct", [6, 40], 5, 10), 5)
    assert grad_steps(model) == [set(range(7)), set(range(31, 41))]


@pytest.mark.parametrize("back", [10, T])
def test_prediction_gradient_reaches_the_main_lstm_only_up_to_the_anchor(back):
    """The paper's truncation (default): like r-LSTM's, the `aux_bptt` steps ending at the
    anchor (back = T: full auxiliary BPTT, every step up to the anchor), never the predicted
    window the stacked auxiliary LSTM reads."""
    _, model, tokens, _ = make("plstm")
    anchors = [5, 30]
    run_aux(model, tokens, aux_window(model, "predict", anchors, 20, back), 20)
    assert grad_steps(model) == [set(range(max(0, a - back + 1), a + 1)) for a in anchors]


@pytest.mark.parametrize("back", [10, T])
def test_prediction_gradient_through_window_option_covers_the_predicted_window(back):
    """train.plstm_gradient: window: also the l-1 steps after the anchor."""
    _, model, tokens, _ = make("plstm", plstm_gradient="window")
    anchors = [5, 30]
    run_aux(model, tokens, aux_window(model, "predict", anchors, 20, back, through=True), 20)
    assert grad_steps(model) == [set(range(max(0, a - back + 1), a + 20)) for a in anchors]


def test_prediction_loss_is_the_same_under_both_gradient_options():
    """The options differ only in where gradient flows: the stacked auxiliary LSTM reads the same
    main outputs, so the loss is identical."""
    _, model, tokens, _ = make("plstm")
    paper = run_aux_loss(model, tokens, aux_window(model, "predict", [5, 30], 20, 10), 20)
    window = run_aux_loss(model, tokens,
                          aux_window(model, "predict", [5, 30], 20, 10, through=True), 20)
    torch.testing.assert_close(paper, window)


def capture_targets(monkeypatch):
    seen = {}

    def spy(logits, targets, pad_token, real=None, groups=1):
        seen["targets"] = targets.clone()
        seen["real"] = real
        seen["logits"] = logits
        return logits.sum() * 0, torch.tensor(1.0)

    for step in STEPS.values():
        monkeypatch.setattr(step, "token_loss_sum", spy)
    return seen


def seen_targets(monkeypatch, method, kind, anchors, *, bos=False, wiring="stacked"):
    """The targets aux_loss_parts scores for the given anchors (examples in order)."""
    _, model, tokens, _ = make(method)
    if kind == "predict":
        model.aux[kind].wiring = wiring
    if bos:
        model.bos = torch.nn.Parameter(torch.zeros(8, dtype=torch.double))
    seen = capture_targets(monkeypatch)
    window = aux_window(model, kind, anchors, 20, 10)
    aux_loss_parts(model, tokens, window, start_states(model), 20)
    return tokens, seen["targets"]


def test_reconstruction_targets_are_the_tokens_before_the_anchor_in_order(monkeypatch):
    anchors = [30, 45]
    tokens, targets = seen_targets(monkeypatch, "rlstm", "reconstruct", anchors)
    for b, a in enumerate(anchors):
        expected = tokens[b, a - 20 + 1:a, 0]  # x_{a-l+1} .. x_{a-1}; x_{a-l} is the first input
        assert targets[b, :, 0].tolist() == expected.tolist()


def test_reconstruction_with_bos_predicts_all_l_tokens(monkeypatch):
    tokens, targets = seen_targets(monkeypatch, "rlstm", "reconstruct", [30, 45], bos=True)
    assert targets[0, :, 0].tolist() == tokens[0, 10:30, 0].tolist()


def test_prediction_targets_are_the_tokens_after_the_anchor_in_order(monkeypatch):
    anchors = [5, 30]
    tokens, targets = seen_targets(monkeypatch, "plstm", "predict", anchors)
    for b, a in enumerate(anchors):
        assert targets[b, :, 0].tolist() == tokens[b, a + 1:a + 21, 0].tolist()


def test_combined_method_trains_both_auxiliary_networks():
    cfg, model, tokens, labels = make("rplstm")
    out = recurrent_step(model, tokens, labels, cfg["train"], "pretrain", torch.Generator())
    out.loss.backward()
    assert list(model.aux) == ["reconstruct", "predict"]
    for net in model.aux.values():
        assert all(p.grad is not None for p in net.parameters())
    assert all(p.grad is None for p in model.head.parameters())  # pretraining: no supervised loss


def test_pretraining_does_not_train_the_classifier_and_joint_training_does():
    cfg, model, tokens, labels = make("rlstm")
    pre = recurrent_step(model, tokens, labels, cfg["train"], "pretrain", torch.Generator())
    pre.loss.backward()
    assert pre.sup_loss is None and pre.aux_loss is not None
    assert all(p.grad is None for p in model.head.parameters())
    model.zero_grad(set_to_none=True)
    joint = recurrent_step(model, tokens, labels, cfg["train"], "train", torch.Generator())
    joint.loss.backward()
    torch.testing.assert_close(joint.loss, joint.sup_loss + joint.aux_loss)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.head.parameters())


def test_predictor_decoder_wiring_feeds_and_predicts_the_tokens_after_the_anchor(monkeypatch):
    tokens, targets = seen_targets(monkeypatch, "plstm", "predict", [5, 30], wiring="decoder")
    for b, a in enumerate([5, 30]):  # x_{a+1} is fed first; x_{a+2} .. x_{a+l} are predicted
        assert targets[b, :, 0].tolist() == tokens[b, a + 2:a + 21, 0].tolist()


@pytest.mark.parametrize("aux_bptt,gradient", [(10, "anchor"), ("full", "anchor"),
                                                (10, "window"), ("full", "window")])
def test_combined_step_sends_each_gradient_exactly_through_its_own_window(monkeypatch, aux_bptt,
                                                                          gradient):
    """Through recurrent_step itself: supervised, reconstruction and prediction windows, with
    the anchors it sampled, and nothing else (catches mixed-up start states); the p part reaches
    past its anchor only under plstm_gradient: window."""
    cfg, model, tokens, labels = make("rplstm", bptt=8, aux_bptt=aux_bptt,
                                      plstm_gradient=gradient)
    back = T if aux_bptt == "full" else aux_bptt
    through = gradient == "window"
    drawn = []
    real = anchored.sample_anchors

    def recording(kind, *args, **kwargs):
        anchors, lengths = real(kind, *args, **kwargs)
        drawn.append((kind, anchors[:, 0].tolist()))
        return anchors, lengths

    monkeypatch.setattr(anchored, "sample_anchors", recording)
    out = recurrent_step(model, tokens, labels, cfg["train"], "train",
                         torch.Generator().manual_seed(5))
    out.loss.backward()
    (_, r_anchors), (_, p_anchors) = drawn
    reach = 20 if through else 1
    expected = [set(range(T - 8, T)) | set(range(max(0, r - back + 1), r + 1))
                | set(range(max(0, p - back + 1), p + reach)) for r, p in zip(r_anchors, p_anchors)]
    assert grad_steps(model) == expected

    def loss_of(kind, anchors):  # the same window, its start state computed on its own
        window = aux_window(model, kind, anchors, 20, back, through and kind == "predict")
        return run_aux_loss(model, tokens, window, 20)

    with torch.no_grad():
        reference = loss_of("reconstruct", r_anchors) + loss_of("predict", p_anchors)
    torch.testing.assert_close(out.aux_loss.detach(), reference)


def test_reconstruction_without_teacher_forcing_feeds_no_tokens(monkeypatch):
    """model.aux_teacher_forcing false: every token of the subsequence is a target, and the
    decoder's inputs carry no token (its output does not change when the tokens do)."""
    _, model, tokens, _ = make("rlstm")
    model.teacher_forcing = False
    seen = capture_targets(monkeypatch)
    window = aux_window(model, "reconstruct", [30, 45], 20, 10)
    aux_loss_parts(model, tokens, window, start_states(model), 20)
    assert seen["targets"][0, :, 0].tolist() == tokens[0, 10:30, 0].tolist()
    inputs, _ = anchored.decoder_inputs_targets(model, tokens, torch.arange(BATCH),
                                                 torch.tensor([10, 25]), 20)
    assert inputs.shape == (BATCH, 20, 8) and not inputs.any()


@pytest.mark.parametrize("method,kind,counted", [
    ("rlstm", "reconstruct", [0, 0, 2, 19]),   # l_eff - 1 targets: the first token is fed
    ("plstm", "predict", [0, 1, 4, 20]),       # stacked: all l_eff tokens after the anchor
])
def test_padded_documents_count_only_real_targets(monkeypatch, method, kind, counted):
    """Left-padded documents of 1, 2, 5 and 40 tokens (T = 60, l = 20): each row scores only
    the tokens of its own real document, and a document of under 2 tokens scores none."""
    cfg, _, _, _ = make(method)
    torch.manual_seed(0)
    model = build_model(cfg, channels=1, vocab=256, n_classes=3, pad_token=0).double()
    docs = torch.zeros(4, T, 1, dtype=torch.long)
    for row, n in enumerate([1, 2, 5, 40]):
        docs[row, T - n:, 0] = torch.arange(1, n + 1) + 50 * row
    window = STEPS[kind].plan(model.aux[kind], first_real_step(docs, 0), T, cfg["train"],
                              torch.Generator().manual_seed(1), docs.device)
    collected, _ = scan_states(model, docs, (window.host_start - 1).reshape(4, 1), chunk=7)
    seen = capture_targets(monkeypatch)
    aux_loss_parts(model, docs, window, tuple(q[:, 0] for q in collected), 20)
    real = seen["real"]
    assert real.sum(1).tolist() == counted
    assert (seen["targets"][..., 0][real] > 0).all()  # no padding among the counted targets
    for row in range(4):  # and every counted target is a token of the row's own document
        assert (seen["targets"][row, :, 0][real[row]] // 50 == row).all()
