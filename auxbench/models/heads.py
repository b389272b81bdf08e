"""Feed-forward heads: the classifier and the auxiliary token predictors."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from auxbench.errors import ConfigError

HEAD_NORMS = ("none", "batch")
# The paper does not name the FFN's nonlinearity (docs/paper.md §2). A ReLU unit whose input
# barely varies across examples is on for all or off for all, and once off it gets no gradient:
# docs/calibration.md (section 7) measured classifier heads with every unit off, which leave the
# supervised loss no path into the LSTM. tanh and leaky ReLU units cannot switch off for good.
HEAD_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU}


class DropConnectLinear(nn.Linear):
    """Linear layer whose weights are dropped during training (belepi93's reading of dropout)."""

    def __init__(self, in_features: int, out_features: int, p: float):
        super().__init__(in_features, out_features)
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        weight = F.dropout(self.weight, self.p, self.training) if self.p > 0 else self.weight
        return F.linear(x, weight, self.bias)


class FFN(nn.Module):
    """`hidden_layers` x (Linear -> activation), then dropout and the output Linear (docs/paper.md §8.9).

    `input_norm` "batch" standardises each input feature over the batch first (BatchNorm
    without affine parameters; running statistics at evaluation): the classifier then reads a
    state whose examples differ by 0.01 as readily as one whose examples differ by 1. Its eps is
    1e-8, not BatchNorm's 1e-5, which would mute features whose spread is below ~0.003.
    """

    def __init__(self, in_features: int, hidden: int, out_features: int, dropout: float,
                 hidden_layers: int = 1, dropconnect: bool = False, input_norm: str = "none",
                 activation: str = "relu"):
        super().__init__()
        if input_norm not in HEAD_NORMS:
            raise ConfigError(f"model.head_norm: {input_norm!r} is not one of {list(HEAD_NORMS)}")
        if activation not in HEAD_ACTIVATIONS:
            raise ConfigError(f"model.head_activation: {activation!r} is not one of "
                              f"{list(HEAD_ACTIVATIONS)}")
        layers: list[nn.Module] = []
        if input_norm == "batch":
            layers.append(nn.BatchNorm1d(in_features, eps=1e-8, affine=False))
        width = in_features
        for _ in range(hidden_layers):
            layers += [nn.Linear(width, hidden), HEAD_ACTIVATIONS[activation]()]
            width = hidden
        if dropconnect:
            layers.append(DropConnectLinear(width, out_features, dropout))
        else:
            layers += [nn.Dropout(dropout), nn.Linear(width, out_features)]
        self.net = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class TokenHead(nn.Module):
    """Predict `channels` tokens of `vocab` values each: logits [..., C, vocab]."""

    def __init__(self, in_features: int, hidden: int, channels: int, vocab: int, dropout: float):
        super().__init__()
        self.channels, self.vocab = channels, vocab
        self.ffn = FFN(in_features, hidden, channels * vocab, dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.ffn(x).unflatten(-1, (self.channels, self.vocab))
