"""The auxiliary network of r-LSTM and p-LSTM (docs/paper.md §1.3-1.4): a 2x256 LSTM whose bottom
layer starts from the main network's state at the anchor (as (h, c): the main cell's
`decoder_state`), then a token head.

r-LSTM feeds it embedded tokens of the past subsequence (teacher forcing); p-LSTM feeds it the
main LSTM's hidden states after the anchor ("stacked on top"). The network is the same.
"""

from __future__ import annotations

from torch import Tensor, nn

from auxbench.models.heads import TokenHead
from auxbench.models.lstm import StackedLSTM, State


class AuxiliaryLSTM(nn.Module):
    def __init__(self, input_size: int, main_hidden: int, hidden: int, layers: int,
                 head_hidden: int, dropout: float, channels: int, vocab: int,
                 state_init: str = "zero_pad", forget_bias: float = 1.0, backend: str = "auto"):
        super().__init__()
        if state_init == "zero_pad" and main_hidden > hidden:
            raise ValueError(f"aux_state_init zero_pad needs aux_hidden >= hidden ({main_hidden})")
        bottom = main_hidden if state_init == "match" else hidden
        # layers of one width run as one call (cuDNN overlaps them); "match" narrows the bottom
        groups = [(input_size, bottom, 1), (bottom, hidden, layers - 1)] if bottom != hidden \
            else [(input_size, hidden, layers)]
        self.stacks = nn.ModuleList(StackedLSTM(i, h, n, forget_bias, backend)
                                    for i, h, n in groups if n > 0)
        self.state_init, self.main_hidden, self.bottom_hidden = state_init, main_hidden, bottom
        if state_init == "project":
            self.project_h = nn.Linear(main_hidden, bottom)
            self.project_c = nn.Linear(main_hidden, bottom)
        self.head = TokenHead(self.stacks[-1].hidden_size, head_hidden, channels, vocab, dropout)

    def initial_state(self, main_state: State) -> State:
        h, c = main_state
        if self.state_init == "project":
            return self.project_h(h), self.project_c(c)
        if self.state_init == "zero_pad" and self.bottom_hidden > self.main_hidden:
            pad = self.bottom_hidden - self.main_hidden
            return nn.functional.pad(h, (0, pad)), nn.functional.pad(c, (0, pad))
        return h, c

    def forward(self, inputs: Tensor, main_state: State) -> Tensor:
        """inputs [N, L, input_size], main_state (h, c) [N, main_hidden] -> logits [N, L, C, V]."""
        out = inputs
        for k, stack in enumerate(self.stacks):
            first = [self.initial_state(main_state)] if k == 0 else [None]
            out, _ = stack.run(out, first + [None] * (stack.num_layers - 1))
        return self.head(out)


def build_auxiliary(m: dict, input_size: int, channels: int, vocab: int) -> AuxiliaryLSTM:
    """An auxiliary LSTM as the model config `m` sizes it, reading `input_size` features."""
    return AuxiliaryLSTM(input_size, m["hidden"], m["aux_hidden"], m["aux_layers"],
                         m["aux_head_hidden"], m["aux_dropout"], channels, vocab,
                         m["aux_state_init"], m["forget_bias"], m["lstm_backend"])
