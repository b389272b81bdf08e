"""A single-layer CPU LSTM as a custom autograd function with a hand-written backward.

Where it stands (docs/benchmarks.md): PyTorch's own CPU nn.LSTM for float32 runs through
oneDNN's fused RNN kernel (~73% of the matmul peak for an r-LSTM step); this Python-level kernel
reaches ~63% and is 0.73-0.91x as fast, but needs ~22% less peak memory (the backward keeps
gate gradients for one chunk of steps only). `auto` therefore picks nn.LSTM when oneDNN is
there, and this kernel for float64 or where nn.LSTM falls back to its per-step ATen path
(1.2-1.6x slower than this one). It does the LSTM's arithmetic with few, large operations:

* The input projection ``x W_ih^T + b`` is hoisted out of the time loop and done as one matmul per
  chunk of time steps; each step then does one ``[B,H] x [H,4H]`` ``addmm_`` into its slot of the
  gate buffer plus a handful of in-place elementwise ops on preallocated, time-major buffers.
* Gates are kept internally in the order (o, i, f, g) instead of nn.LSTM's (i, f, g, o): the
  ``dh``-driven gate (o) and the three ``dc``-driven gates (i, f, g) are then contiguous, which
  lets the backward write each group with a single op.
* ``tanh`` is computed as ``2*sigmoid(2x) - 1``: on this CPU build ``torch.tanh`` is ~6x slower
  than ``torch.sigmoid``. The g-gate rows of the internal weights are pre-scaled by 2, so a single
  ``sigmoid_`` covers all four gates.
* The forward saves only what the backward needs (gates after the nonlinearity, the cell states,
  ``tanh(c)`` and the hidden states it writes anyway); under ``no_grad`` nothing is saved and the
  gate buffer is reused chunk by chunk (memory independent of the sequence length).
* The backward walks the time steps in reverse, one ``addmm`` per step for ``dh_{t-1}``, and does
  the weight and input gradients as large matmuls per chunk of steps (the chunk's gate gradients
  are still in cache), instead of tiny per-step products.

Denormals: the backward of a long window multiplies gradients by forget gates step after step and
can run into denormal floats, which are many times slower on x86. Call
``torch.set_flush_denormal(True)`` once per process (``auxbench.runtime.setup_torch`` does).

Numerics match nn.LSTM to float32 rounding (the sums are associated differently); works for
float32 and float64 (``gradcheck``).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

# Steps per chunk for the hoisted input projection and the backward's weight-gradient matmuls:
# large enough for efficient matmuls (K = chunk * B), small enough for the chunk to stay in cache.
CHUNK = 32


def _to_internal(w: Tensor, hidden: int) -> Tensor:
    """nn.LSTM gate order (i, f, g, o) -> internal order (o, i, f, g), rows of a [4H, ...] tensor."""
    h = hidden
    return torch.cat([w[3 * h:], w[:3 * h]])


def _from_internal(w: Tensor, hidden: int) -> Tensor:
    """Internal gate order (o, i, f, g) -> nn.LSTM order (i, f, g, o)."""
    h = hidden
    return torch.cat([w[h:], w[:h]])


def _forward_weights(w_ih: Tensor, w_hh: Tensor, bias: Tensor, hidden: int):
    """Internal-order weights, transposed for ``addmm`` ([in, 4H]), with the g rows scaled by 2.

    Scaling by 2 turns ``tanh(a)`` into ``2*sigmoid(2a) - 1``, so one sigmoid covers every gate.
    """
    h = hidden
    scale = w_ih.new_ones(4 * h, 1)
    scale[3 * h:] = 2.0
    wih_t = (_to_internal(w_ih, h) * scale).t().contiguous()
    whh_t = (_to_internal(w_hh, h) * scale).t().contiguous()
    b = _to_internal(bias, h) * scale[:, 0]
    return wih_t, whh_t, b


def _time_major_chunk(x: Tensor, t0: int, t1: int) -> Tensor:
    """x[:, t0:t1] as a contiguous [(t1-t0)*B, I] matrix, rows ordered (t, b)."""
    return x[:, t0:t1].transpose(0, 1).reshape(-1, x.shape[2])


def _cell_steps(gates: Tensor, hbuf: Tensor, c_prev: Tensor, cbuf: Tensor | None,
                tcbuf: Tensor | None, whh_t: Tensor, t0: int, hidden: int) -> Tensor:
    """Run the recurrence over the gate pre-activations ``gates`` [n, B, 4H] (input part only).

    Writes h_t into ``hbuf[t0 + k + 1]``. With ``cbuf``/``tcbuf`` (training), c_t and tanh(c_t)
    go to ``cbuf[t0 + k + 1]`` and ``tcbuf[t0 + k]``; without (inference), ``c_prev`` is updated
    in place. ``gates`` is overwritten with the gate values (o, i, f, g) after the nonlinearity.
    Returns the last cell state.
    """
    h = hidden
    tc = None if tcbuf is not None else torch.empty_like(c_prev)
    c = c_prev
    for k in range(gates.shape[0]):
        t = t0 + k
        g = gates[k]
        g.addmm_(hbuf[t], whh_t)
        g.sigmoid_()
        o, i, f, gg = g[:, :h], g[:, h:2 * h], g[:, 2 * h:3 * h], g[:, 3 * h:]
        gg.mul_(2.0).sub_(1.0)                         # g = tanh(a) = 2*sigmoid(2a) - 1
        if cbuf is not None:
            c = torch.mul(f, c, out=cbuf[t + 1])
        else:
            c.mul_(f)
        c.addcmul_(i, gg)
        tct = tcbuf[t] if tcbuf is not None else tc
        torch.add(c, c, out=tct).sigmoid_().mul_(2.0).sub_(1.0)     # tanh(c)
        torch.mul(o, tct, out=hbuf[t + 1])
    return c


def lstm_inference(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor,
                   b_ih: Tensor, b_hh: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Forward without autograd bookkeeping: x [B, T, I] -> (out [B, T, H], h_T, c_T).

    The gate buffer holds one chunk of steps only, so long no-grad passes (thousands of steps)
    need memory only for the outputs.
    """
    with torch.no_grad():
        bsz, steps, _ = x.shape
        h = w_hh.shape[1]
        wih_t, whh_t, b = _forward_weights(w_ih, w_hh, b_ih + b_hh, h)
        hbuf = x.new_empty(steps + 1, bsz, h)
        hbuf[0] = h0
        c = c0.clone()
        gates = x.new_empty(min(CHUNK, steps) * bsz, 4 * h)
        for t0 in range(0, steps, CHUNK):
            t1 = min(t0 + CHUNK, steps)
            gx = gates[:(t1 - t0) * bsz]
            torch.addmm(b, _time_major_chunk(x, t0, t1), wih_t, out=gx)
            c = _cell_steps(gx.view(t1 - t0, bsz, 4 * h), hbuf, c, None, None, whh_t, t0, h)
        return hbuf[1:].transpose(0, 1), hbuf[steps].clone(), c


class FusedLSTMFunction(torch.autograd.Function):
    """autograd Function: (x [B,T,I], h0, c0 [B,H], w_ih, w_hh, b_ih, b_hh) -> (out, h_T, c_T).

    Parameters are in nn.LSTM's layout and gate order; ``out`` is [B, T, H] (a transposed view of
    a time-major buffer, like nn.LSTM's batch_first output).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh):
        bsz, steps, _ = x.shape
        h = w_hh.shape[1]
        wih_t, whh_t, b = _forward_weights(w_ih, w_hh, b_ih + b_hh, h)
        gates = x.new_empty(steps, bsz, 4 * h)
        hbuf = x.new_empty(steps + 1, bsz, h)
        cbuf = x.new_empty(steps + 1, bsz, h)
        tcbuf = x.new_empty(steps, bsz, h)
        hbuf[0] = h0
        cbuf[0] = c0
        for t0 in range(0, steps, CHUNK):
            t1 = min(t0 + CHUNK, steps)
            gx = gates[t0:t1]
            torch.addmm(b, _time_major_chunk(x, t0, t1), wih_t, out=gx.view(-1, 4 * h))
            _cell_steps(gx, hbuf, cbuf[t0], cbuf, tcbuf, whh_t, t0, h)
        # Saved through save_for_backward (not as ctx attributes) so that autograd frees them after
        # backward, checks them for in-place changes, and saved-tensor hooks (memory accounting,
        # offloading) see them.
        ctx.save_for_backward(x, w_ih, w_hh, gates, hbuf, cbuf, tcbuf)
        return hbuf[1:].transpose(0, 1), hbuf[steps].clone(), cbuf[steps].clone()

    @staticmethod
    @once_differentiable
    def backward(ctx, d_out, d_hn, d_cn):
        x, w_ih, w_hh, gates, hbuf, cbuf, tcbuf = ctx.saved_tensors
        steps, bsz, h4 = gates.shape
        h = h4 // 4
        need_x, need_h0, need_c0, need_wih, need_whh, need_bih, need_bhh = ctx.needs_input_grad
        wih = _to_internal(w_ih, h)                 # unscaled: dgates are w.r.t. the true a_g
        whh = _to_internal(w_hh, h)
        d_out_tm = d_out.transpose(0, 1)            # [T, B, H] view; rows need not be contiguous

        dwih = w_ih.new_zeros(h4, w_ih.shape[1]) if need_wih else None
        dwhh = w_hh.new_zeros(h4, h) if need_whh else None
        db = w_ih.new_zeros(h4) if (need_bih or need_bhh) else None
        dx_tm = x.new_empty(steps, bsz, x.shape[2]) if need_x else None

        n_max = min(CHUNK, steps)
        dgates = x.new_empty(n_max, bsz, h4)        # gate-pre-activation grads of one chunk
        coef = x.new_empty(n_max, bsz, h4)          # d(gate)/d(pre-act) times its partner
        dc_coef = x.new_empty(n_max, bsz, h)        # o * (1 - tanh(c)^2)
        dg_next = None                              # dgates of step t+1 (start of later chunk)
        dh = d_out_tm[steps - 1].clone()
        if d_hn is not None:
            dh.add_(d_hn)
        dc = d_cn.clone() if d_cn is not None else torch.zeros_like(dh)

        for t1 in range(steps, 0, -CHUNK):
            t0 = max(t1 - CHUNK, 0)
            n = t1 - t0
            gt = gates[t0:t1]
            o, i, f, g = gt[..., :h], gt[..., h:2 * h], gt[..., 2 * h:3 * h], gt[..., 3 * h:]
            tc = tcbuf[t0:t1]
            cf, dcc = coef[:n], dc_coef[:n]
            # Vectorised over the chunk: sigmoid'(z) = s(1-s) for o, i, f; tanh' = 1 - g^2.
            torch.mul(gt[..., :3 * h], gt[..., :3 * h], out=cf[..., :3 * h])
            torch.sub(gt[..., :3 * h], cf[..., :3 * h], out=cf[..., :3 * h])
            cf[..., :h].mul_(tc)                    # do = dh * tanh(c) * o'
            cf[..., h:2 * h].mul_(g)                # di = dc * g * i'
            cf[..., 2 * h:3 * h].mul_(cbuf[t0:t1])  # df = dc * c_{t-1} * f'
            torch.mul(g, g, out=cf[..., 3 * h:])     # dg = dc * i * (1 - g^2)
            torch.addcmul(i, cf[..., 3 * h:], i, value=-1.0, out=cf[..., 3 * h:])
            torch.mul(tc, tc, out=dcc)              # dc += dh * o * (1 - tanh(c)^2)
            torch.addcmul(o, dcc, o, value=-1.0, out=dcc)

            dg = dgates[:n]
            for k in range(n - 1, -1, -1):
                t = t0 + k
                if dg_next is not None:
                    torch.addmm(d_out_tm[t], dg_next, whh, out=dh)
                dc.addcmul_(dh, dcc[k])
                row = dg[k]
                torch.mul(dh, cf[k, :, :h], out=row[:, :h])
                torch.mul(dc.unsqueeze(1), cf[k, :, h:].view(bsz, 3, h),
                          out=row[:, h:].view(bsz, 3, h))
                dc.mul_(f[k])                       # dc_{t-1}
                dg_next = row

            dg2 = dg.view(n * bsz, h4)
            if dwih is not None or dx_tm is not None:
                if dwih is not None:
                    dwih.addmm_(dg2.t(), _time_major_chunk(x, t0, t1))
                if dx_tm is not None:
                    torch.mm(dg2, wih, out=dx_tm[t0:t1].view(n * bsz, -1))
            if dwhh is not None:
                dwhh.addmm_(dg2.t(), hbuf[t0:t1].reshape(n * bsz, h))
            if db is not None:
                db.add_(dg2.sum(0))

        dh0 = torch.mm(dg_next, whh) if need_h0 else None
        dc0 = dc if need_c0 else None
        dx = dx_tm.transpose(0, 1) if dx_tm is not None else None
        dwih = _from_internal(dwih, h) if dwih is not None else None
        dwhh = _from_internal(dwhh, h) if dwhh is not None else None
        db = _from_internal(db, h) if db is not None else None
        return (dx, dh0, dc0, dwih, dwhh,
                db if need_bih else None, db if need_bhh else None)


def fused_lstm(x: Tensor, h0: Tensor, c0: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor,
               b_hh: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer over x [B, T, I] from (h0, c0) [B, H]: returns (out [B, T, H], h_T, c_T).

    Uses the autograd function when gradients are needed, else the cheaper inference path.
    """
    args = (x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    if torch.is_grad_enabled() and any(a.requires_grad for a in args):
        return FusedLSTMFunction.apply(*args)
    return lstm_inference(*args)
