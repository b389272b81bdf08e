"""The GRU and LRU main networks: the LRU's parallel scan against its sequential recurrence
(forward and gradients, any length, any window boundary), its initialisation, and the GRU
wrapper against nn.GRU. Their truncation semantics are tests/test_truncation.py's, per cell."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from auxbench.config import resolve
from auxbench.errors import ConfigError
from auxbench.models.gru import GRULayer
from auxbench.models.lru import LRULayer, scan_parallel, scan_sequential

LENGTHS = [1, 2, 7, 64, 100]


def random_recurrence(length: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    modulus = (0.5 + 0.499 * torch.rand(6, generator=g)).requires_grad_()
    angle = (math.pi * torch.rand(6, generator=g)).requires_grad_()
    b = tuple(torch.randn(3, length, 6, generator=g).requires_grad_() for _ in range(2))
    x0 = tuple(torch.randn(3, 6, generator=g).requires_grad_() for _ in range(2))
    return modulus, angle, b, x0


@pytest.mark.parametrize("length", LENGTHS)
def test_parallel_scan_equals_the_sequential_recurrence_in_value_and_gradient(length):
    args = random_recurrence(length, length)
    leaves = [args[0], args[1], *args[2], *args[3]]
    weights = [torch.randn(3, length, 6) for _ in range(2)]
    results = []
    for scan in (scan_parallel, scan_sequential):
        out = scan(*args)
        loss = sum((o * w).sum() for o, w in zip(out, weights))
        results.append((out, torch.autograd.grad(loss, leaves)))
    (fast, fast_grad), (slow, slow_grad) = results
    for a, b in zip(fast, slow):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    for a, b in zip(fast_grad, slow_grad):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_sequential_recurrence_by_hand():
    """One unit, lambda = 0.5i, x0 = 1: x_0 = 0.5i + 1, x_1 = 0.5i (0.5i + 1) + 0 = -0.25 + 0.5i."""
    modulus, angle = torch.tensor([0.5]), torch.tensor([math.pi / 2])
    b = (torch.tensor([[[1.0], [0.0]]]), torch.zeros(1, 2, 1))
    x0 = (torch.ones(1, 1), torch.zeros(1, 1))
    for scan in (scan_parallel, scan_sequential):
        re, im = scan(modulus, angle, b, x0)
        torch.testing.assert_close(re[0, :, 0], torch.tensor([1.0, -0.25]))
        torch.testing.assert_close(im[0, :, 0], torch.tensor([0.5, 0.5]))


def lru(mode: str, seed: int = 0) -> LRULayer:
    torch.manual_seed(seed)
    return LRULayer(5, 8, 6, mode=mode)


@pytest.mark.parametrize("length", LENGTHS)
def test_the_layer_in_both_modes_agrees_in_outputs_and_parameter_gradients(length):
    fast, slow = lru("scan"), lru("sequential")
    slow.load_state_dict(fast.state_dict())
    u = torch.randn(4, length, 5)
    state = tuple(torch.randn(4, part.shape[-1]) for part in fast.zero_state(4, u))
    outs = [layer(u, state) for layer in (fast, slow)]
    torch.testing.assert_close(outs[0][0], outs[1][0], rtol=1e-5, atol=1e-5)
    for a, b in zip(outs[0][1], outs[1][1]):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    grads = [torch.autograd.grad(out.square().sum(), list(layer.parameters()))
             for (out, _), layer in zip(outs, (fast, slow))]
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["scan", "sequential"])
@pytest.mark.parametrize("cut", [1, 13, 39])
def test_a_window_continued_from_the_state_equals_one_run(mode, cut):
    """A truncated window starts from the state the scan before it left: in value exactly the
    uninterrupted run, whichever form computes it."""
    layer = lru(mode)
    u = torch.randn(2, 40, 5)
    whole, final = layer(u)
    head, state = layer(u[:, :cut])
    tail, final2 = layer(u[:, cut:], state)
    torch.testing.assert_close(torch.cat([head, tail], 1), whole, rtol=1e-5, atol=1e-5)
    for a, b in zip(final, final2):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_initialisation_is_the_stable_ring_with_normalised_inputs():
    layer = LRULayer(5, 8, 400, r_min=0.9, r_max=0.999, max_phase=0.314)
    modulus = torch.exp(-torch.exp(layer.nu_log))
    assert 0.9 - 1e-6 <= modulus.min() and modulus.max() <= 0.999 + 1e-6
    phase = torch.exp(layer.theta_log)
    assert 0 <= phase.min() and phase.max() <= 0.314 + 1e-6
    torch.testing.assert_close(torch.exp(layer.gamma_log), torch.sqrt(1 - modulus ** 2))
    with torch.no_grad():  # any parameters give |lambda| < 1: the recurrence cannot blow up
        layer.nu_log.fill_(-8.0)
    assert torch.exp(-torch.exp(layer.nu_log)).max() < 1


def test_lru_options_are_checked():
    with pytest.raises(ConfigError, match=r"model.lru.r_min \(0.99\) exceeds model.lru.r_max"):
        resolve({"method": "rlru", "model": {"lru": {"state_size": 4, "r_min": 0.99,
                                                     "r_max": 0.9, "max_phase": 0.3,
                                                     "mode": "scan"}}})
    with pytest.raises(ConfigError, match="model.lru.mode"):
        resolve({"method": "lru", "model": {"lru": {"state_size": 4, "r_min": 0.9, "r_max": 0.99,
                                                    "max_phase": 0.3, "mode": "fast"}}})


def test_gru_is_nn_gru_with_a_state_tuple():
    torch.manual_seed(0)
    layer = GRULayer(5, 7)
    reference = nn.GRU(5, 7, batch_first=True)
    reference.load_state_dict(layer.state_dict())  # the same parameters, by name
    x, h0 = torch.randn(3, 11, 5), torch.randn(3, 7)
    out, (hn,) = layer(x, (h0,))
    ref_out, ref_hn = reference(x, h0[None])
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(hn, ref_hn[0])
    h, c = layer.decoder_state((hn,))
    assert h is hn and not c.any()
