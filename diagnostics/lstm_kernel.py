"""Side-by-side CPU timings of the LSTM backends at the paper's sizes, in one process.

    python diagnostics/lstm_kernel.py --threads 2 --repeats 5 --all
    python diagnostics/lstm_kernel.py --peak-rss torch --repeats 2   # also: fused, --keep-memory

Cases (batch 128):
  window   main LSTM 128->128, 300 steps, forward + backward (loss on the last output, as the
           classifier; the input needs a gradient, as the embedding below it does)
  decoder  auxiliary decoder, 2 layers of 256 (input 128), 600 steps, forward + backward
           (loss on every output, random initial states that need gradients)
  scan784, scan4096   main LSTM forward under no_grad (the state-collecting pass)
  r-LSTM   window + decoder + scan784: the LSTM work of one r-LSTM step on MNIST

Variants: nn.LSTM with PyTorch's defaults (no denormal flush), nn.LSTM with flush, the fused
backend with flush; with --all also nn.LSTM with oneDNN disabled, fused without flush, and both
backends with glibc keeping freed memory (`auxbench.runtime.keep_freed_memory`). Every round runs every case in every variant, in turn,
so machine noise hits all variants alike; the table reports medians over rounds, and the
speed-up is the median of the per-round ratios to the default variant.

FLOPs are the matrix products only: forward 2*B*T*4H*(I+H) per layer, backward twice that.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from auxbench.models.lstm import LSTMLayer, StackedLSTM
from auxbench.runtime import keep_freed_memory, peak_memory_mb

B = 128
VARIANTS = [  # (label, backend, flush denormals, keep freed memory)
    ("nn.LSTM, PyTorch defaults", "torch", False, False),
    ("nn.LSTM + flush", "torch", True, False),
    ("fused + flush", "fused", True, False),
]
EXTRA_VARIANTS = [  # --all
    ("nn.LSTM without oneDNN + flush", "torch-aten", True, False),
    ("fused, no flush", "fused", False, False),
    ("nn.LSTM + flush + keep memory", "torch", True, True),
    ("fused + flush + keep memory", "fused", True, True),
]


def lstm_flop(batch, steps, inputs, hidden):
    return 2.0 * batch * steps * 4 * hidden * (inputs + hidden)


def matmul_peak(n=2048, repeats=10):
    """GFLOP/s of one n x n float32 matrix product (median of repeats)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    out = torch.empty(n, n)
    for _ in range(3):
        torch.mm(a, b, out=out)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        torch.mm(a, b, out=out)
        times.append(time.perf_counter() - t)
    return 2.0 * n**3 / statistics.median(times) / 1e9


def build_cases(scale):
    """Each case: (name, modules whose backend is switched, run function, GFLOP)."""
    t_win, t_dec, scans = (300, 600, (784, 4096)) if scale == 1 else (30, 60, (78, 409))
    g = torch.Generator().manual_seed(0)
    torch.manual_seed(0)
    main = LSTMLayer(128, 128)
    dec = StackedLSTM(128, 256, 2)
    x_win = torch.randn(B, t_win, 128, generator=g).requires_grad_()
    x_dec = torch.randn(B, t_dec, 128, generator=g).requires_grad_()
    dec_states = [(torch.randn(B, 256, generator=g).mul_(0.5).requires_grad_(),
                   torch.randn(B, 256, generator=g).requires_grad_()) for _ in range(2)]
    proj = torch.randn(B, t_dec, 256, generator=g)
    x_scan = {t: torch.randn(B, t, 128, generator=g) for t in scans}
    main_params, dec_params = list(main.parameters()), list(dec.parameters())

    def window():
        out, _ = main(x_win, None)
        torch.autograd.grad(out[:, -1].sum(), [x_win, *main_params])

    def decoder():
        out, _ = dec.run(x_dec, dec_states)
        flat = [t for s in dec_states for t in s]
        torch.autograd.grad((out * proj).sum(), [x_dec, *flat, *dec_params])

    def scan(t):
        def run():
            with torch.no_grad():
                main(x_scan[t], None)
        return run

    dec_flop = lstm_flop(B, t_dec, 128, 256) + lstm_flop(B, t_dec, 256, 256)
    cases = [("window", [main], window, 3 * lstm_flop(B, t_win, 128, 128)),
             ("decoder", [dec], decoder, 3 * dec_flop)]
    cases += [(f"scan{t}", [main], scan(t), lstm_flop(B, t, 128, 128)) for t in scans]
    return cases


def set_variant(modules, backend, flush, keep):
    """`torch-aten`: nn.LSTM with oneDNN disabled (its per-step ATen path, as where no oneDNN)."""
    torch.backends.mkldnn.enabled = backend != "torch-aten"
    for m in modules:
        m.backend = "torch" if backend == "torch-aten" else backend
    torch.set_flush_denormal(flush)
    keep_freed_memory(keep)


def timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def peak_rss(backend, rounds, scale, keep):
    """Peak resident memory of the r-LSTM LSTM work with one backend (run one per process)."""
    cases = build_cases(scale)
    for _ in range(rounds):
        for _name, modules, fn, _ in cases[:3]:
            set_variant(modules, backend, True, keep)
            fn()
    print(f"{backend}{' + keep memory' if keep else ''}: peak RSS "
          f"{peak_memory_mb(torch.device('cpu')):.0f} MiB (window + decoder + scan784, "
          f"{rounds} rounds)")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=5, help="timed rounds (default 5)")
    p.add_argument("--all", action="store_true",
                   help="also nn.LSTM without oneDNN, fused without flush, and both backends "
                        "with keep_freed_memory")
    p.add_argument("--quick", action="store_true", help="1/10 of the sequence lengths (smoke)")
    p.add_argument("--peak-rss", choices=["torch", "fused"],
                   help="instead of timing: peak memory of one backend (one per process)")
    p.add_argument("--keep-memory", action="store_true",
                   help="with --peak-rss: under keep_freed_memory()")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    scale = 10 if args.quick else 1
    if args.peak_rss:
        peak_rss(args.peak_rss, args.repeats, scale, args.keep_memory)
        return
    variants = VARIANTS + (EXTRA_VARIANTS if args.all else [])
    cases = build_cases(scale)
    times = {(c[0], v[0]): [] for c in cases for v in variants}
    peaks = []
    for rnd in range(args.repeats + 1):  # round 0 is the warm-up
        for name, modules, fn, _ in cases:
            for label, backend, flush, keep in variants:
                set_variant(modules, backend, flush, keep)
                t = timed(fn)
                if rnd > 0:
                    times[(name, label)].append(t)
        keep_freed_memory(False)
        peaks.append(matmul_peak())
    torch.set_flush_denormal(False)
    torch.backends.mkldnn.enabled = True
    peak = statistics.median(peaks)

    # the r-LSTM step: window + decoder + scan784, round by round
    r_cases = [c[0] for c in cases[:3]]
    for label, *_ in variants:
        times[("r-LSTM", label)] = [sum(times[(c, label)][i] for c in r_cases)
                                    for i in range(args.repeats)]
    gflop = {name: f / 1e9 for name, _, _, f in cases}
    gflop["r-LSTM"] = sum(gflop[c] for c in r_cases)

    print(f"torch {torch.__version__}, {platform.machine()}, {args.threads} threads, "
          f"{args.repeats} rounds; float32 matmul peak (2048^3, once per round): median "
          f"{peak:.0f} GFLOP/s (min {min(peaks):.0f}, max {max(peaks):.0f})")
    print()
    print("| case | variant | median s | min s | speed-up vs defaults | GFLOP/s | % of peak |")
    print("|---|---|---:|---:|---:|---:|---:|")
    base_label = variants[0][0]
    for name, flop in gflop.items():
        base = times[(name, base_label)]
        for label, *_ in variants:
            ts = times[(name, label)]
            med = statistics.median(ts)
            ratio = statistics.median(b / t for b, t in zip(base, ts, strict=True))
            rate = flop / med
            print(f"| {name} ({flop:.1f} GFLOP) | {label} | {med:.3f} | {min(ts):.3f} | "
                  f"{ratio:.2f}x | {rate:.0f} | {100 * rate / peak:.0f}% |")


if __name__ == "__main__":
    main()
