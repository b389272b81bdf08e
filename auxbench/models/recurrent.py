"""The paper's main network (embedding -> 1-layer LSTM -> FFN on the last state) together with
the auxiliary networks of its method's losses; the LSTM may be another cell (GRU, LRU: the method's
`cell`). How gradient flows through it is decided by `auxbench.train.objective`, not here."""

from __future__ import annotations

import torch
from torch import nn

from auxbench.losses import steps
from auxbench.methods import METHODS
from auxbench.models.embedding import TokenEmbedding
from auxbench.models.heads import FFN
from auxbench.models.layers import LAYERS


class RecurrentClassifier(nn.Module):
    groups = 1  # runs this model holds (auxbench/models/grouped.py); its rows are member-major

    def __init__(self, method: str, channels: int, vocab: int, n_classes: int, model_cfg: dict,
                 pad_token: int | None = None):
        super().__init__()
        m = model_cfg
        self.method, self.channels, self.vocab, self.pad_token = method, channels, vocab, pad_token
        self.embedding = TokenEmbedding(channels, vocab, m["embed_dim"], m["embedding_mode"])
        self.rnn = LAYERS[METHODS[method].cell](m)  # the cell's layer (auxbench/rnn_cells/)
        self.head = FFN(m["hidden"], m["head_hidden"], n_classes, m["head_dropout"],
                        m["head_layers"], m["dropconnect"], m["head_norm"],
                        m["head_activation"])
        self.decoder_embedding = (None if m["share_embedding"] else
                                  TokenEmbedding(channels, vocab, m["embed_dim"], m["embedding_mode"]))
        self.bos = nn.Parameter(torch.zeros(m["embed_dim"])) if m["aux_bos"] else None
        self.teacher_forcing = m["aux_teacher_forcing"]
        # one network per auxiliary loss of the method, by kind (auxbench.losses)
        self.aux = nn.ModuleDict({kind: steps.STEPS[kind].build(m, channels, vocab)
                                  for kind in METHODS[method].losses})

    def embed_aux_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """Embed tokens fed to an auxiliary decoder (shared table unless configured otherwise)."""
        table = self.decoder_embedding if self.decoder_embedding is not None else self.embedding
        return table(tokens)
