"""Models: the paper's LSTM classifier with its auxiliary networks, and the Transformer."""

from __future__ import annotations

from torch import nn

from auxbench.methods import METHODS
from auxbench.models.recurrent import RecurrentClassifier
from auxbench.models.transformer import TransformerClassifier


def build_model(cfg: dict, channels: int, vocab: int, n_classes: int,
                pad_token: int | None) -> nn.Module:
    """The network a run config asks for, sized for a dataset (tokens of `vocab` values)."""
    m = cfg["model"]
    if METHODS[cfg["method"]].architecture == "transformer":
        t = m["transformer"]
        return TransformerClassifier(channels, vocab, n_classes, t["d_model"], t["heads"], t["ff"],
                                     t["layers"], t["dropout"], t["attn_dropout"], m["head_hidden"],
                                     m["head_dropout"], m["embedding_mode"], pad_token,
                                     m["head_norm"], m["head_activation"])
    return RecurrentClassifier(cfg["method"], channels, vocab, n_classes, m, pad_token)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


__all__ = ["RecurrentClassifier", "TransformerClassifier", "build_model", "count_parameters"]
