"""Several runs of one cell as one model (issue [14]): every parameter gains a leading group
dimension G, and every activation holds G equal blocks of rows, member after member, so that one
kernel serves every member at once (a batched GEMM per timestep instead of G small ones).

`group_model` stacks G separately built models (each built after its own seed, so each member
starts from its own weights bitwise) into one module tree of the same shape: the same parameter
names, each [G, ...], so member g's state dict is the grouped one's `[g]` slices and its
checkpoint is a separate run's. Each leaf with parameters is replaced by its grouped twin below;
a leaf without one is refused by name. The recurrent layers return every step's state, so the
states a training step needs at anchors and window starts are gathers, not extra calls.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap

from auxbench.errors import ConfigError
from auxbench.models.cell import OutputFirst
from auxbench.models.embedding import TokenEmbedding
from auxbench.models.gru import GRULayer
from auxbench.models.lru import LRULayer
from auxbench.models.lstm import LSTMLayer, StackedLSTM
from auxbench.tensors import last_steps


def member_blocks(x: Tensor, groups: int) -> Tensor:
    """[G * N, ...] -> [G, N, ...]: the rows of each member."""
    return x.reshape(groups, -1, *x.shape[1:])


def stacked(members: list[nn.Module], name: str) -> nn.Parameter:
    return nn.Parameter(torch.stack([getattr(m, name).detach() for m in members]))


class GroupedLinear(nn.Module):
    """nn.Linear per member: x [G * N, ..., in] -> [G * N, ..., out], one batched GEMM."""

    def __init__(self, members: list[nn.Linear]):
        super().__init__()
        self.weight = stacked(members, "weight")
        self.bias = stacked(members, "bias") if members[0].bias is not None else None

    def forward(self, x: Tensor) -> Tensor:
        groups = self.weight.shape[0]
        flat = x.reshape(groups, -1, x.shape[-1])
        weight = self.weight.transpose(1, 2)
        out = (torch.bmm(flat, weight) if self.bias is None
               else torch.baddbmm(self.bias.unsqueeze(1), flat, weight))
        return out.reshape(*x.shape[:-1], out.shape[-1])


class GroupedDropout(nn.Module):
    """nn.Dropout per member, each mask drawn from the member's own generator exactly as a
    separate run's F.dropout draws it on the CPU (a Bernoulli(1 - p) tensor of the input's shape,
    scaled by 1 / (1 - p)), so a member's masks are its separate run's, bitwise. On CUDA the
    separate run's fused dropout kernel draws differently: there the masks are the member's own
    but not its separate run's."""

    def __init__(self, p: float, generators: list[torch.Generator]):
        super().__init__()
        self.p, self.generators = p, generators

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0:
            return x
        out = []
        for block, generator in zip(member_blocks(x, len(self.generators)), self.generators):
            noise = torch.empty_like(block).bernoulli_(1 - self.p, generator=generator)
            out.append(block * noise.div_(1 - self.p))
        return torch.stack(out).reshape(x.shape)


class GroupedTokenEmbedding(TokenEmbedding):
    """TokenEmbedding per member: the tables [G, C * V, dim] read as one table of G * C * V
    rows, member g's tokens offset by g * C * V."""

    def __init__(self, members: list[TokenEmbedding]):
        first = members[0]
        if first.project is not None:
            raise ConfigError("grouped training: model.embedding_mode concat is not grouped; "
                              "use sum or set compute.group_seeds: false")
        super().__init__(first.channels, first.vocab, first.dim, first.mode)
        self.table.weight = stacked([m.table for m in members], "weight")

    def forward(self, tokens: Tensor) -> Tensor:
        groups, rows = self.table.weight.shape[:2]
        member = torch.arange(groups, device=tokens.device).repeat_interleave(
            tokens.shape[0] // groups)
        offset = (member * rows).reshape(-1, *([1] * (tokens.dim() - 1)))
        return self.lookup(tokens.long() + self.offsets + offset, self.table.weight.flatten(0, 1))


def lstm_steps(x: Tensor, h: Tensor, c: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor,
               b_hh: Tensor) -> tuple[Tensor, Tensor]:
    """One grouped LSTM layer over x [G, N, T, I] from (h, c) [G, N, H]: every step's (h, c),
    each [G, N, T, H]. The input projections of all steps are one batched GEMM; each step is one
    batched GEMM and the gates (nn.LSTM's order i, f, g, o)."""
    groups, n, steps, width = x.shape
    projected = torch.baddbmm((b_ih + b_hh).unsqueeze(1), x.reshape(groups, n * steps, width),
                              w_ih.transpose(1, 2)).view(groups, n, steps, -1)
    recurrent = w_hh.transpose(1, 2)
    hs, cs = [], []
    for step in projected.unbind(2):  # one unbind: a slice per step would, in backward, write
        i, f, g, o = (step + torch.bmm(h, recurrent)).chunk(4, -1)  # a whole-size zero each
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
        cs.append(c)
    return torch.stack(hs, 2), torch.stack(cs, 2)


def gru_steps(x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor, b_hh: Tensor
              ) -> Tensor:
    """One grouped GRU layer (nn.GRU's equations and gate order r, z, n): every step's h."""
    groups, n, steps, width = x.shape
    projected = torch.baddbmm(b_ih.unsqueeze(1), x.reshape(groups, n * steps, width),
                              w_ih.transpose(1, 2)).view(groups, n, steps, -1)
    recurrent = w_hh.transpose(1, 2)
    hs = []
    for step in projected.unbind(2):
        xr, xz, xn = step.chunk(3, -1)
        hr, hz, hn = torch.baddbmm(b_hh.unsqueeze(1), h, recurrent).chunk(3, -1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        h = (1 - z) * torch.tanh(xn + r * hn) + z * h
        hs.append(h)
    return torch.stack(hs, 2)


class GroupedRecurrent(nn.Module):
    """What the grouped cells share: nn.LSTM/nn.GRU's parameter names per layer, stacked, and
    the reading of a trajectory (every step's state) at each row's own step."""

    NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        first = members[0]
        self.hidden_size, self.num_layers = first.hidden_size, first.num_layers
        for k in range(self.num_layers):
            for name in self.NAMES:
                setattr(self, f"{name}_l{k}", stacked(members, f"{name}_l{k}"))

    @property
    def groups(self) -> int:
        return self.weight_ih_l0.shape[0]

    def layer_parameters(self, k: int) -> tuple[Tensor, ...]:
        return tuple(getattr(self, f"{name}_l{k}") for name in self.NAMES)


class GroupedMainLayer(GroupedRecurrent):
    """A grouped main network (LSTM, GRU): `forward` and `states_after` read its `trajectory`."""

    def forward(self, x: Tensor, state=None):
        """As the member's layer: outputs [G * N, T, H] and the final state."""
        steps = self.trajectory(x, state)
        return steps[0], tuple(part[:, -1] for part in steps)

    def states_after(self, x: Tensor, lengths: np.ndarray, state) -> tuple[Tensor, ...]:
        """The state after the first lengths[i] steps of row i: one run over all T steps,
        read at each row's step."""
        at = last_steps(lengths, x.device)
        return tuple(part[at] for part in self.trajectory(x, state))


class GroupedLSTMStack(GroupedRecurrent):
    """StackedLSTM per member (the decoders): `run` as StackedLSTM's."""

    def zero_state(self, batch: int, like: Tensor):
        z = like.new_zeros(batch, self.hidden_size)
        return z, z

    def run(self, x: Tensor, states: list) -> tuple[Tensor, list]:
        groups, final = self.groups, []
        for k, state in enumerate(states):
            h, c = state if state is not None else self.zero_state(x.shape[0], x)
            hs, cs = lstm_steps(member_blocks(x, groups), member_blocks(h, groups),
                                member_blocks(c, groups), *self.layer_parameters(k))
            x = hs.flatten(0, 1)
            final.append((x[:, -1], cs.flatten(0, 1)[:, -1]))
        return x, final


class GroupedLSTMLayer(GroupedLSTMStack, GroupedMainLayer):
    """LSTMLayer per member: the main network."""

    output = staticmethod(LSTMLayer.output)
    decoder_state = staticmethod(LSTMLayer.decoder_state)

    def trajectory(self, x: Tensor, state=None) -> tuple[Tensor, Tensor]:
        """Every step's (h, c), each [G * N, T, H]."""
        groups = self.groups
        h, c = state if state is not None else self.zero_state(x.shape[0], x)
        hs, cs = lstm_steps(member_blocks(x, groups), member_blocks(h, groups),
                            member_blocks(c, groups), *self.layer_parameters(0))
        return hs.flatten(0, 1), cs.flatten(0, 1)


class GroupedGRULayer(OutputFirst, GroupedMainLayer):
    """GRULayer per member."""

    def zero_state(self, batch: int, like: Tensor):
        return (like.new_zeros(batch, self.hidden_size),)

    def trajectory(self, x: Tensor, state=None) -> tuple[Tensor]:
        groups = self.groups
        (h,) = state if state is not None else self.zero_state(x.shape[0], x)
        hs = gru_steps(member_blocks(x, groups), member_blocks(h, groups),
                       *self.layer_parameters(0))
        return (hs.flatten(0, 1),)


class MemberRun(nn.Module):
    """A layer's `run` as its forward, so that torch.func.functional_call can run it with one
    member's parameters."""

    def __init__(self, layer: nn.Module):
        super().__init__()
        self.layer = layer

    def forward(self, x: Tensor, state):
        return self.layer.run(x, state)


class GroupedLRULayer(LRULayer):
    """LRULayer per member: a member's own `run`, mapped over the group (torch.func.vmap): its
    scan and its position-wise parts are plain tensor ops, each batched over the members."""

    def __init__(self, members: list[LRULayer]):
        first = members[0]
        super().__init__(first.D.in_features, first.hidden_size, first.state_size,
                         mode=first.mode)
        for name, _ in first.named_parameters():
            owner, _, leaf = name.rpartition(".")
            setattr(self.get_submodule(owner), leaf,
                    nn.Parameter(torch.stack([m.get_parameter(name).detach() for m in members])))
        self.member = (MemberRun(copy.deepcopy(first)),)  # a tuple: not a registered module

    def run(self, u: Tensor, state=None) -> tuple[Tensor, Tensor, Tensor]:
        groups = self.nu_log.shape[0]
        state = state if state is not None else self.zero_state(u.shape[0], u)
        params = {f"layer.{name}": p for name, p in self.named_parameters()}
        out = vmap(lambda p, x, *s: functional_call(self.member[0], p, (x, s)))(
            params, member_blocks(u, groups), *(member_blocks(part, groups) for part in state))
        return tuple(part.flatten(0, 1) for part in out)

    def trajectory(self, x: Tensor, state=None) -> tuple[Tensor, Tensor, Tensor]:
        """Every step's (h, x_re, x_im), each [G * N, T, width]."""
        return self.run(x, state)


# Leaf types by their grouped twin (the exact type: DropConnectLinear is not an nn.Linear here).
GROUPED = {nn.Linear: GroupedLinear, TokenEmbedding: GroupedTokenEmbedding,
           LSTMLayer: GroupedLSTMLayer, StackedLSTM: GroupedLSTMStack, GRULayer: GroupedGRULayer,
           LRULayer: GroupedLRULayer}


def group_model(members: list[nn.Module], generators: list[torch.Generator]) -> nn.Module:
    """One model whose member g is `members[g]` (same architecture), its dropout drawn from
    `generators[g]`. ConfigError names a part with parameters that has no grouped twin."""
    grouped = copy.deepcopy(members[0])
    replaced: list[str] = []
    for name, module in list(grouped.named_modules()):
        if any(name.startswith(done + ".") for done in replaced):
            continue
        twin = GROUPED.get(type(module))
        if twin is not None:
            new = twin([m.get_submodule(name) for m in members])
        elif type(module) is nn.Dropout:
            new = GroupedDropout(module.p, generators)
        elif any(True for _ in module.parameters(recurse=False)):
            raise ConfigError(f"grouped training has no grouped {type(module).__name__} "
                              f"({name or 'the model'}); set compute.group_seeds: false")
        else:
            continue
        parent, _, leaf = name.rpartition(".")
        setattr(grouped.get_submodule(parent), leaf, new)
        replaced.append(name)
    grouped.groups = len(members)
    return grouped


def member_state(grouped: nn.Module, g: int) -> dict[str, Tensor]:
    """Member g's state dict, in its separate model's names and shapes."""
    return {key: value[g].clone() for key, value in grouped.state_dict().items()}
