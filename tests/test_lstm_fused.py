"""The fused CPU LSTM must be a drop-in for nn.LSTM: same outputs, final states and gradients.

Tolerances: both sides compute in float32 (eps = 1.2e-7) but sum in different orders (hoisted
input projection, per-chunk weight-gradient matmuls, tanh as 2*sigmoid(2x)-1). Observed
differences are ~1e-7 relative even after 300 steps; rtol 1e-4 / atol 1e-5 leaves ~100x margin
while still catching any wrong term (a missing or misplaced gate term is O(1e-2) or larger).
Gradients are compared at the scale of their own largest entry, because a weight-gradient entry
is a sum over B*T terms and can cancel to near zero.
"""

from __future__ import annotations

import pytest
import torch

from auxbench.errors import ConfigError
from auxbench.models import fused_lstm as fl
from auxbench.models.fused_lstm import FusedLSTMFunction, fused_lstm
from auxbench.models.lstm import BACKENDS, LSTMLayer, StackedLSTM, auto_backend

RTOL, ATOL = 1e-4, 1e-5


def close(actual, expected, what=""):
    torch.testing.assert_close(actual, expected, rtol=RTOL, atol=ATOL, msg=lambda m: f"{what}: {m}")


def close_grad(actual, expected, what=""):
    """Gradients: atol relative to the gradient's own scale (see module docstring)."""
    scale = max(expected.abs().max().item(), 1e-30)
    torch.testing.assert_close(actual, expected, rtol=RTOL, atol=ATOL * scale,
                               msg=lambda m: f"{what}: {m}")


def make_layer(inputs, hidden, seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    layer = LSTMLayer(inputs, hidden, forget_bias=1.0, backend="torch").to(dtype)
    with torch.no_grad():  # random biases everywhere, so every bias gradient path is exercised
        layer.bias_ih_l0.uniform_(-0.5, 0.5)
        layer.bias_hh_l0.uniform_(-0.5, 0.5)
    return layer


def run(layer, backend, x, state):
    layer.backend = backend
    return layer(x, state)


def loss_and_grads(layer, backend, xs, h0, c0, proj):
    """Run the layer over the segments xs (state chained), return outputs and all gradients."""
    state = (h0, c0)
    outs = []
    for x in xs:
        out, state = run(layer, backend, x, state)
        outs.append(out)
    out = torch.cat(outs, 1)
    loss = (out * proj[0]).sum() + (state[0] * proj[1]).sum() + (state[1] * proj[2]).sum()
    wrt = [*xs, h0, c0, *layer.parameters()]
    grads = torch.autograd.grad(loss, wrt)
    return out.detach(), [s.detach() for s in state], grads


def inputs(batch, lengths, inputs_, hidden, dtype=torch.float32, seed=1):
    g = torch.Generator().manual_seed(seed)
    xs = [torch.randn(batch, t, inputs_, generator=g, dtype=dtype).requires_grad_()
          for t in lengths]
    h0 = (0.5 * torch.randn(batch, hidden, generator=g, dtype=dtype)).requires_grad_()
    c0 = torch.randn(batch, hidden, generator=g, dtype=dtype).requires_grad_()
    total = sum(lengths)
    proj = (torch.randn(batch, total, hidden, generator=g, dtype=dtype),
            torch.randn(batch, hidden, generator=g, dtype=dtype),
            torch.randn(batch, hidden, generator=g, dtype=dtype))
    return xs, h0, c0, proj


def compare(batch, lengths, inputs_=5, hidden=8):
    layer = make_layer(inputs_, hidden)
    xs, h0, c0, proj = inputs(batch, lengths, inputs_, hidden)
    ref_out, ref_state, ref_grads = loss_and_grads(layer, "torch", xs, h0, c0, proj)
    out, state, grads = loss_and_grads(layer, "fused", xs, h0, c0, proj)
    close(out, ref_out, "output")
    close(state[0], ref_state[0], "h_T")
    close(state[1], ref_state[1], "c_T")
    names = ([f"x{i}" for i in range(len(xs))] + ["h0", "c0"]
             + [n for n, _ in layer.named_parameters()])
    assert len(grads) == len(ref_grads) == len(names)
    for name, g, r in zip(names, grads, ref_grads, strict=True):
        assert g is not None and g.shape == r.shape, name
        close_grad(g, r, f"grad {name}")


@pytest.mark.parametrize("batch", [1, 17])
@pytest.mark.parametrize("steps", [1, 2, 7, 300])
def test_matches_nn_lstm_outputs_states_and_all_gradients(batch, steps):
    compare(batch, [steps])


@pytest.mark.parametrize("lengths", [[7, 5], [300, 1], [33, 64]])
def test_matches_nn_lstm_when_chained_over_segments(lengths):
    """Two calls, the final state of the first feeding the second: the gradient must flow back
    through the state into the first segment's inputs and into h0, c0."""
    compare(17, lengths)


def test_hidden_larger_than_input_and_chunk_boundaries():
    # T not a multiple of the chunk, hidden > input and input > hidden
    compare(3, [fl.CHUNK * 2 + 3], inputs_=4, hidden=12)
    compare(3, [fl.CHUNK + 1], inputs_=12, hidden=4)


def test_gradcheck_float64():
    torch.manual_seed(0)
    b, t, i, h = 2, 4, 3, 2
    args = [torch.randn(b, t, i), torch.randn(b, h), torch.randn(b, h),
            torch.randn(4 * h, i), torch.randn(4 * h, h), torch.randn(4 * h), torch.randn(4 * h)]
    args = [a.double().requires_grad_() for a in args]
    assert torch.autograd.gradcheck(FusedLSTMFunction.apply, args, eps=1e-6, atol=1e-6)


def test_float64_layer_matches_nn_lstm_tightly():
    layer = make_layer(3, 4, dtype=torch.float64)
    xs, h0, c0, proj = inputs(2, [9], 3, 4, dtype=torch.float64)
    ref = loss_and_grads(layer, "torch", xs, h0, c0, proj)
    got = loss_and_grads(layer, "fused", xs, h0, c0, proj)
    torch.testing.assert_close(got[0], ref[0], rtol=1e-10, atol=1e-12)
    for g, r in zip(got[2], ref[2], strict=True):
        torch.testing.assert_close(g, r, rtol=1e-10, atol=1e-12)


def test_truncation_boundary_gives_exactly_zero_gradient_to_the_earlier_segment():
    """Segment A under no_grad, its state detached, then segment B with grad: A's inputs get no
    gradient at all, and B's gradients equal nn.LSTM's for the same chain."""
    layer = make_layer(5, 8)
    xa = torch.randn(4, 11, 5, requires_grad=True)
    xb = torch.randn(4, 6, 5, requires_grad=True)
    results = {}
    for backend in ("torch", "fused"):
        layer.backend = backend
        with torch.no_grad():
            _, state = layer(xa, None)
        assert not state[0].requires_grad and state[0].grad_fn is None
        state = (state[0].detach(), state[1].detach())
        out, (hn, cn) = layer(xb, state)
        loss = out.square().sum() + hn.sum() + cn.sum()
        ga, gb, *gw = torch.autograd.grad(loss, [xa, xb, *layer.parameters()], allow_unused=True)
        assert ga is None or torch.count_nonzero(ga) == 0
        results[backend] = [gb, *gw]

    # the same boundary, with A run with gradient enabled and the state detached
    layer.backend = "fused"
    _, state = layer(xa, None)
    out, _ = layer(xb, (state[0].detach(), state[1].detach()))
    ga, = torch.autograd.grad(out.sum(), [xa], allow_unused=True)
    assert ga is None or torch.count_nonzero(ga) == 0
    for g, r in zip(results["fused"], results["torch"], strict=True):
        close_grad(g, r)


def test_no_grad_path_saves_nothing_and_matches():
    layer = make_layer(5, 8)
    x = torch.randn(3, 70, 5)
    layer.backend = "fused"
    with torch.no_grad():
        out, (hn, cn) = layer(x)
    assert out.grad_fn is None and not out.requires_grad
    # grad mode on, but nothing requires grad: also the inference path
    layer.requires_grad_(False)
    out2, _ = layer(x)
    assert out2.grad_fn is None
    layer.requires_grad_(True)
    layer.backend = "torch"
    with torch.no_grad():
        ref, (rh, rc) = layer(x)
    close(out, ref)
    close(hn, rh)
    close(cn, rc)
    torch.testing.assert_close(out2, out, rtol=0, atol=0)


def test_initial_state_is_not_modified_and_may_alias():
    """zero_state returns the same tensor for h and c; the kernel must not write into it."""
    layer = make_layer(5, 8)
    layer.backend = "fused"
    x = torch.randn(2, 5, 5)
    z = torch.zeros(2, 8)
    h0 = torch.randn(2, 8)
    h0_copy = h0.clone()
    with torch.no_grad():
        layer(x, (z, z))
        layer(x, (h0, h0))
    layer(x, (h0, h0))[0].sum().backward()
    assert torch.count_nonzero(z) == 0
    torch.testing.assert_close(h0, h0_copy, rtol=0, atol=0)


def test_non_contiguous_input_slices():
    layer = make_layer(5, 8)
    full = torch.randn(4, 40, 5, requires_grad=True)
    grads = {}
    for backend in ("torch", "fused"):
        layer.backend = backend
        out, _ = layer(full[:, 10:33], None)
        grads[backend], = torch.autograd.grad(out.square().sum(), [full])
    close_grad(grads["fused"], grads["torch"])
    assert torch.count_nonzero(grads["fused"][:, :10]) == 0


def test_saved_tensors_are_visible_to_hooks_and_freed_after_backward():
    """Buffers go through save_for_backward, so memory accounting (saved-tensor hooks) sees them."""
    b, t, i, h = 2, 10, 3, 4
    layer = make_layer(i, h)
    layer.backend = "fused"
    sizes = []

    def pack(tensor):
        sizes.append(tensor.numel())
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        out, _ = layer(torch.randn(b, t, i), None)
    assert t * b * 4 * h in sizes  # the gate buffer
    out.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        out.sum().backward()


def test_in_place_change_of_output_before_backward_is_detected():
    layer = make_layer(3, 4)
    layer.backend = "fused"
    out, _ = layer(torch.randn(2, 5, 3, requires_grad=True), None)
    with pytest.raises(RuntimeError):
        out.mul_(2)
        out.sum().backward()


def test_backend_selection_and_state_dict():
    assert BACKENDS == ("auto", "torch", "fused")
    onednn = torch.backends.mkldnn.is_available()
    assert auto_backend(torch.zeros(1, 1, 1)) == ("torch" if onednn else "fused")
    was = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        assert auto_backend(torch.zeros(1, 1, 1)) == "fused"
    finally:
        torch.backends.mkldnn.enabled = was
    assert auto_backend(torch.zeros(1, 1, 1, dtype=torch.float64)) == "fused"
    assert auto_backend(torch.zeros(1, 1, 1, dtype=torch.float16)) == "torch"
    with pytest.raises(ConfigError, match="lstm_backend"):
        LSTMLayer(3, 4, backend="cudnn-please")
    layer = LSTMLayer(3, 4, backend="fused")
    ref = torch.nn.LSTM(3, 4, batch_first=True)
    assert list(layer.state_dict()) == list(ref.state_dict())
    ref.load_state_dict(layer.state_dict())
    x = torch.randn(2, 6, 3)
    with torch.no_grad():
        out, (hn, cn) = layer(x)
        ref_out, (ref_h, ref_c) = ref(x)
    close(out, ref_out)
    close(hn, ref_h[0])
    close(cn, ref_c[0])


def test_stacked_layers_match():
    """Two layers as one nn.LSTM call (cuDNN overlaps them) equal the fused backend run layer
    by layer on the same parameters, in outputs, final states and every gradient."""
    torch.manual_seed(0)
    stack = StackedLSTM(6, 8, 2, backend="torch")
    x = torch.randn(3, 12, 6, requires_grad=True)
    h0 = (torch.randn(3, 8), torch.randn(3, 8))
    res = {}
    for backend in ("torch", "fused"):
        stack.backend = backend
        out, states = stack.run(x, [h0, None])
        loss = out.square().sum() + sum(s[1].sum() for s in states)
        res[backend] = [out.detach(), *torch.autograd.grad(loss, [x, *stack.parameters()])]
    for g, r in zip(res["fused"], res["torch"], strict=True):
        close_grad(g, r)


def test_direct_function_matches_layer():
    """fused_lstm() with parameters in nn.LSTM layout, without the module."""
    layer = make_layer(3, 4)
    x = torch.randn(2, 5, 3)
    h0, c0 = torch.randn(2, 4), torch.randn(2, 4)
    with torch.no_grad():
        out, hn, cn = fused_lstm(x, h0, c0, layer.weight_ih_l0, layer.weight_hh_l0,
                                 layer.bias_ih_l0, layer.bias_hh_l0)
        layer.backend = "torch"
        ref, (rh, rc) = layer(x, (h0, c0))
    close(out, ref)
    close(hn, rh)
    close(cn, rc)
