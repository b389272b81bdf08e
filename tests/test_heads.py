"""The classifier head: optional input standardisation (model.head_norm), its nonlinearity."""

from __future__ import annotations

import pytest
import torch

from auxbench.config import resolve
from auxbench.errors import ConfigError
from auxbench.feasibility import check_batches
from auxbench.models.heads import FFN


def head(norm: str) -> FFN:
    torch.manual_seed(0)
    return FFN(8, 16, 3, dropout=0.0, input_norm=norm).double()


def test_batch_norm_head_reads_a_tiny_spread_as_well_as_a_large_one():
    x = torch.randn(64, 8, dtype=torch.float64)
    normed = head("batch").train()
    assert torch.allclose(normed(x), normed(0.01 * x + 3.0), atol=1e-4)
    plain = head("none").train()
    assert not torch.allclose(plain(x), plain(0.01 * x + 3.0), atol=1e-2)


def test_batch_norm_head_evaluates_single_examples_with_running_statistics():
    ffn = head("batch").train()
    for _ in range(200):
        ffn(0.01 * torch.randn(32, 8, dtype=torch.float64) + 3.0)
    ffn.eval()
    one = 0.01 * torch.randn(1, 8, dtype=torch.float64) + 3.0
    batch = torch.cat([one, 0.01 * torch.randn(9, 8, dtype=torch.float64) + 3.0])
    assert torch.allclose(ffn(one), ffn(batch)[:1])  # no batch statistics at evaluation
    stats = ffn.net[0]
    assert torch.allclose(stats.running_mean, torch.full((8,), 3.0, dtype=torch.float64),
                          atol=0.01)


def test_unknown_head_norm_is_a_config_error():
    with pytest.raises(ConfigError, match="head_norm"):
        FFN(8, 16, 3, 0.0, input_norm="layer")
    with pytest.raises(ConfigError, match="head_norm"):
        resolve({"model": {"head_norm": "layer"}})


@pytest.mark.parametrize("n_train, batch, ok", [(2500, 32, True), (2017, 32, False),
                                                (64, 1, False), (65, 32, False), (66, 32, True)])
def test_batch_norm_head_refuses_a_training_batch_of_one(n_train, batch, ok):
    cfg = resolve({"model": {"head_norm": "batch"}, "train": {"batch_size": batch}})
    if ok:
        check_batches(cfg, n_train)
    else:
        with pytest.raises(ConfigError, match="batch of 1"):
            check_batches(cfg, n_train)
    check_batches(resolve({"train": {"batch_size": batch}}), n_train)  # plain head: any size


@pytest.mark.parametrize("activation, reaches", [("relu", False), ("tanh", True),
                                                 ("leaky_relu", True)])
def test_a_head_whose_units_are_all_off_passes_the_lstm_no_gradient_unless_they_cannot_die(
        activation, reaches):
    """The collapse measured in docs/calibration.md (section 7): every ReLU unit of the
    classifier is off for every example, so the supervised loss sends exactly zero gradient to
    the state it reads; tanh and leaky ReLU units still pass it."""
    torch.manual_seed(0)
    ffn = FFN(8, 16, 3, dropout=0.0, activation=activation).double()
    with torch.no_grad():
        ffn.net[0].bias.fill_(-5.0)  # every unit off for a state of small spread
    state = (0.1 * torch.randn(32, 8, dtype=torch.float64)).requires_grad_()
    loss = torch.nn.functional.cross_entropy(ffn(state), torch.arange(32) % 3)
    (grad,) = torch.autograd.grad(loss, state)
    assert bool(grad.abs().max() > 0) is reaches
    if not reaches:
        assert torch.equal(grad, torch.zeros_like(grad))


def test_unknown_head_activation_is_a_config_error():
    with pytest.raises(ConfigError, match="head_activation"):
        resolve({"method": "lstm"}, {"model": {"head_activation": "sigmoid"}})
    with pytest.raises(ConfigError, match="head_activation"):
        FFN(8, 16, 3, dropout=0.0, activation="sigmoid")
