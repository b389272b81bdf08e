"""The linear recurrent unit (LRU; Orvieto et al., 2023, "Resurrecting Recurrent Neural Networks
for Long Sequences") as a main network (issue [13]), behind the cell interface of `LSTMLayer`.

A diagonal complex linear recurrence, exponentially parameterised so it is stable by
construction, with its input normalised per state unit:

    lambda = exp(-exp(nu_log) + i exp(theta_log))            |lambda| < 1 for any parameters
    x_t    = lambda * x_{t-1} + exp(gamma_log) * (B u_t)      gamma = sqrt(1 - |lambda|^2) at init
    z_t    = Re(C x_t) + D u_t
    h_t    = LayerNorm(z_t + (W_1 g_t) * sigmoid(W_2 g_t)),  g_t = GELU(z_t)   position-wise (GLU)

`mode: scan` computes x over time with a parallel (log-depth, Hillis-Steele) scan, `sequential`
step by step; both start from a given state, so a truncated window continues exactly where the
no-gradient scan left off. Complex numbers are held as (real, imaginary) float pairs, so every
state component is a real tensor like the LSTM's. The state is (h, x_re, x_im): h, the output
at the last step, is what the classifier reads and what an auxiliary LSTM decoder starts from,
as (h, 0); x carries the memory. The LayerNorm keeps h at the scale of an LSTM's bounded output:
without it the reconstruction loss, training the decoder that starts from h, grew h to |h| ~ 16
(max 75), the classifier's tanh units saturated and every r-LRU run stayed at chance
(docs/benchmarks.md, "The default run").
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from auxbench.models.cell import OutputFirst
from auxbench.tensors import last_steps

State = tuple[Tensor, Tensor, Tensor]
MODES = ("scan", "sequential")


def complex_mul(ar: Tensor, ai: Tensor, br: Tensor, bi: Tensor) -> tuple[Tensor, Tensor]:
    return ar * br - ai * bi, ar * bi + ai * br


def lambda_powers(modulus: Tensor, angle: Tensor, k: Tensor | int) -> tuple[Tensor, Tensor]:
    """lambda^k as (re, im), from its modulus and angle [N]; k an int or an int tensor [T, 1]."""
    r = modulus ** k
    return r * torch.cos(angle * k), r * torch.sin(angle * k)


def scan_parallel(modulus: Tensor, angle: Tensor, b: tuple[Tensor, Tensor],
                  x0: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """x_t = lambda x_{t-1} + b_t for b [B, T, N] (re, im) from x_{-1} = x0 [B, N]: after the
    round with offset k each b_t holds sum_{j<2k} lambda^j b_{t-j}, so log2(T) rounds."""
    br, bi = b
    steps = br.shape[1]
    k = 1
    while k < steps:
        pr, pi = lambda_powers(modulus, angle, k)
        ar, ai = complex_mul(pr, pi, br[:, :-k], bi[:, :-k])
        br = torch.cat([br[:, :k], br[:, k:] + ar], 1)
        bi = torch.cat([bi[:, :k], bi[:, k:] + ai], 1)
        k *= 2
    t = torch.arange(1, steps + 1, device=br.device).unsqueeze(1)
    pr, pi = lambda_powers(modulus, angle, t)  # [T, N]: lambda^(t+1) carries x0 to step t
    cr, ci = complex_mul(pr, pi, x0[0].unsqueeze(1), x0[1].unsqueeze(1))
    return br + cr, bi + ci


def scan_sequential(modulus: Tensor, angle: Tensor, b: tuple[Tensor, Tensor],
                    x0: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """The same recurrence one step at a time: the reference the parallel scan is tested on."""
    lr, li = lambda_powers(modulus, angle, 1)
    xr, xi = x0
    out_r, out_i = [], []
    for t in range(b[0].shape[1]):
        xr, xi = complex_mul(lr, li, xr, xi)
        xr, xi = xr + b[0][:, t], xi + b[1][:, t]
        out_r.append(xr)
        out_i.append(xi)
    return torch.stack(out_r, 1), torch.stack(out_i, 1)


class LRULayer(OutputFirst, nn.Module):
    def __init__(self, input_size: int, hidden_size: int, state_size: int, r_min: float = 0.9,
                 r_max: float = 0.999, max_phase: float = math.pi / 10, mode: str = "scan"):
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"model.lru.mode: {mode!r} is not one of {list(MODES)}")
        self.hidden_size, self.state_size, self.mode = hidden_size, state_size, mode
        # the ring initialisation of the paper: |lambda| uniform in [r_min, r_max] by area
        u1, u2 = torch.rand(state_size), torch.rand(state_size)
        radius2 = u1 * (r_max ** 2 - r_min ** 2) + r_min ** 2
        self.nu_log = nn.Parameter(torch.log(-0.5 * torch.log(radius2)))
        self.theta_log = nn.Parameter(torch.log(max_phase * u2))
        self.gamma_log = nn.Parameter(0.5 * torch.log(1 - radius2))
        self.B_re = nn.Parameter(torch.randn(state_size, input_size) / math.sqrt(2 * input_size))
        self.B_im = nn.Parameter(torch.randn(state_size, input_size) / math.sqrt(2 * input_size))
        self.C_re = nn.Parameter(torch.randn(hidden_size, state_size) / math.sqrt(state_size))
        self.C_im = nn.Parameter(torch.randn(hidden_size, state_size) / math.sqrt(state_size))
        self.D = nn.Linear(input_size, hidden_size, bias=False)
        self.glu = nn.Linear(hidden_size, 2 * hidden_size)
        self.norm = nn.LayerNorm(hidden_size)

    def zero_state(self, batch: int, like: Tensor) -> State:
        h = like.new_zeros(batch, self.hidden_size)
        x = like.new_zeros(batch, self.state_size)
        return h, x, x

    def run(self, u: Tensor, state: State | None) -> tuple[Tensor, Tensor, Tensor]:
        """u [B, T, I] -> outputs h [B, T, H] and the recurrent state x (re, im) [B, T, N]."""
        _, x0r, x0i = state if state is not None else self.zero_state(u.shape[0], u)
        modulus = torch.exp(-torch.exp(self.nu_log))
        angle = torch.exp(self.theta_log)
        gamma = torch.exp(self.gamma_log)
        b = (F.linear(u, self.B_re) * gamma, F.linear(u, self.B_im) * gamma)
        scan = scan_parallel if self.mode == "scan" else scan_sequential
        xr, xi = scan(modulus, angle, b, (x0r, x0i))
        z = F.linear(xr, self.C_re) - F.linear(xi, self.C_im) + self.D(u)  # Re(C x) + D u
        value, gate = self.glu(F.gelu(z)).chunk(2, dim=-1)
        return self.norm(z + value * torch.sigmoid(gate)), xr, xi

    def forward(self, u: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """u [B, T, I]; state (h, x_re, x_im) or None -> outputs [B, T, H] and the final state."""
        h, xr, xi = self.run(u, state)
        return h, (h[:, -1], xr[:, -1], xi[:, -1])

    def states_after(self, u: Tensor, lengths: np.ndarray, state: State) -> State:
        """The state after the first lengths[i] steps of row i (host NumPy, in [1, T]): one run
        over all T steps, read at each row's step."""
        at = last_steps(lengths, u.device)
        return tuple(part[at] for part in self.run(u, state))


def build(m: dict) -> LRULayer:
    """The main network's LRU as the model config `m` sizes it (options: `model.lru`)."""
    lru = m["lru"]
    return LRULayer(m["embed_dim"], m["hidden"], lru["state_size"], lru["r_min"], lru["r_max"],
                    lru["max_phase"], lru["mode"])
