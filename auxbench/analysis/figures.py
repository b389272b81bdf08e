"""The paper's figures, redrawn from our runs, with error bars or bands over seeds.

Every function takes an `Analysis` and an output folder, writes `<name>.png` (150 dpi, for the
report) and `<name>.pdf`, and returns a `FigureRecord`: the paths, a caption that gives n, the
interval method and the test used. When an experiment has no data the figure still exists (a
panel saying so), so that workflow rules can always declare it.

Files are byte-reproducible: the same data give the same bytes (no timestamps in PDF metadata).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from auxbench.atomic import atomic_path
from auxbench.experiments import CATALOGUE, EXPERIMENTS, FOREST, figure_names

from . import (
    style,  # noqa: F401  (selects the Agg backend before pyplot)
)
from .core import Analysis, reference_cell
from .curves import CURVE_MAX_RESAMPLES, CURVE_METRICS, aligned
from .style import (
    PAPER_DATASET_ORDER,
    RC_PARAMS,
    cell_label,
    color,
    dataset_name,
    line_kwargs,
    marker,
    method_label,
    method_rank,
    row_dataset_name,
    series_label,
    setting_rank,
    split_series,
    truncation,
)


@dataclass
class FigureRecord:
    name: str
    png: str
    pdf: str
    caption: str
    n: str
    interval: str
    test: str
    status: str = "ok"  # ok | no data

    def as_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- helpers


def _new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1, **kw):
    with plt.rc_context(RC_PARAMS):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), layout="constrained",
                                 squeeze=False, **kw)
    return fig, axes


def save_figure(fig, out_dir: str | Path, name: str) -> tuple[str, str]:
    out_dir = Path(out_dir)
    png, pdf = out_dir / f"{name}.png", out_dir / f"{name}.pdf"
    with plt.rc_context(RC_PARAMS):
        with atomic_path(png) as tmp:
            fig.savefig(tmp, format="png", dpi=150, metadata={"Software": None})
        with atomic_path(pdf) as tmp:
            fig.savefig(tmp, format="pdf",
                        metadata={"CreationDate": None, "ModDate": None, "Producer": None,
                                  "Creator": None})
    plt.close(fig)
    return str(png), str(pdf)


def _empty(out_dir, name: str, title: str, reason: str) -> FigureRecord:
    fig, axes = _new_figure(5.0, 2.0)
    ax = axes[0, 0]
    ax.set_axis_off()
    ax.text(0.5, 0.5, f"{title}\n\nNo data: {reason}", ha="center", va="center",
            transform=ax.transAxes)
    png, pdf = save_figure(fig, out_dir, name)
    return FigureRecord(name, png, pdf, f"{title}. No data: {reason}.", "n = 0", "none", "none",
                        status="no data")


def _n_text(cells: pd.DataFrame) -> str:
    """'n = 3 seeds per point' or 'n = 2-5 seeds per point (2 cells with failed seeds)'."""
    done = cells[cells["n"] > 0]
    if done.empty:
        return "n = 0"
    ns = done["n"].astype(int)
    lo, hi = int(ns.min()), int(ns.max())
    txt = f"n = {lo} seeds per point" if lo == hi else f"n = {lo}–{hi} seeds per point"
    bad = int(((cells["n_failed"] + cells["n_missing"]) > 0).sum())
    if bad:
        txt += f" ({bad} point{'s' if bad != 1 else ''} with failed or missing seeds)"
    return txt


def _interval_text(a: Analysis, cells: pd.DataFrame) -> str:
    methods = sorted(set(cells["ci_method"]) - {"none"}) if not cells.empty else []
    conf = round(a.cfg.confidence * 100)
    txt = f"{conf}% bootstrap CI of the mean ({', '.join(methods) or 'none'})"
    if not cells.empty and (cells["n"] == 1).any():
        txt += "; points with n=1 have no interval"
    return txt


def _yerr(cells: pd.DataFrame) -> np.ndarray:
    lo = (cells["mean"] - cells["ci_low"]).to_numpy(dtype=float)
    hi = (cells["ci_high"] - cells["mean"]).to_numpy(dtype=float)
    return np.vstack([np.nan_to_num(lo, nan=0.0), np.nan_to_num(hi, nan=0.0)])


def _series_keys(cells: pd.DataFrame) -> list[tuple[str, str]]:
    keys = set(zip(cells["method"], cells["setting"]))
    return sorted(keys, key=lambda k: (method_rank(k[0]), k[0], setting_rank(k[1])))


def _legend(fig, axes_list, handles=None) -> None:
    """One legend under the panels; as many columns as fit the figure's width."""
    if handles is None:
        found: dict = {}
        for ax in axes_list:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                found.setdefault(lab, h)
        handles = [(h, lab) for lab, h in found.items()]
        handles.sort(key=lambda x: ": " in x[1])  # failure markers after the series
    else:
        handles = [(h, h.get_label()) for h in handles]
    if not handles:
        return
    width = fig.get_figwidth()
    longest = max(len(lab) for _, lab in handles)
    ncols = max(1, min(len(handles), int(width // (0.06 * longest + 0.6))))
    fig.legend([h for h, _ in handles], [lab for _, lab in handles],
               loc="outside lower center", ncols=ncols, frameon=False)


# --------------------------------------------------------------------------- Figure 3


def figure3(a: Analysis, out_dir: str | Path, experiment: str = "fig3") -> FigureRecord:
    """Accuracy against sequence length (log x), one line per model, CI error bars; points
    whose seeds all failed (e.g. out of memory) are marked with a cross at the bottom."""
    name, title = EXPERIMENTS["fig3"].figure, EXPERIMENTS["fig3"].title
    cells = a.cells_of(experiment)
    cells = cells[np.isfinite(cells["seq_len"])]
    if cells.empty:
        return _empty(out_dir, name, title, f"no {experiment} runs with seq_len")
    paper_sets = sorted(set(cells["paper_dataset"].dropna()))
    fig, axes = _new_figure(5.5, 3.8)
    ax = axes[0, 0]
    done = cells[cells["n"] > 0]
    failed = cells[cells["n"] == 0]
    for method, setting in _series_keys(cells):
        g = done[(done["method"] == method) & (done["setting"] == setting)].sort_values("seq_len")
        if not g.empty:
            ax.errorbar(g["seq_len"], g["mean"], yerr=_yerr(g), capsize=3,
                        label=cell_label(method, setting), **line_kwargs(method, setting))
        f = failed[(failed["method"] == method) & (failed["setting"] == setting)]
        if not f.empty:
            ax.scatter(f["seq_len"], np.zeros(len(f)), marker="x", color=color(method), s=40,
                       zorder=5, clip_on=False, label=f"{cell_label(method, setting)}: all seeds failed")
    ax.set_xscale("log", base=2)
    lens = sorted(set(cells["seq_len"].astype(int)))
    ax.set_xticks(lens, [str(n) for n in lens])
    ax.minorticks_off()
    ax.set_ylim(bottom=0)
    ax.set_xlabel("sequence length (steps, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(", ".join(dataset_name(p) for p in paper_sets) or "sequence length")
    _legend(fig, [ax])
    n_txt = _n_text(cells)
    interval = _interval_text(a, cells)
    caption = (f"{title}. Points: mean test accuracy over seeds; bars: {interval}. {n_txt}. "
               "Crosses on the x-axis: every seed failed at that length (e.g. out of memory). "
               "No test: the figure shows robustness to length, as in the paper.")
    png, pdf = save_figure(fig, out_dir, name)
    return FigureRecord(name, png, pdf, caption, n_txt, interval, "none")


# --------------------------------------------------------------------------- Figure 4


def _bptt_x(setting: str, full_x: float) -> float | None:
    if setting == "full":
        return full_x
    return truncation(setting)


def _full_from_table2(a: Analysis, cells: pd.DataFrame) -> pd.DataFrame:
    """Table 2's Full BP cells of the figure's methods and datasets, where the figure has none
    of its own: the point its x-axis ends at."""
    if (cells["setting"] == "full").any():
        return cells.iloc[:0]
    t2 = a.cells_of("table2")
    return t2[(t2["setting"] == "full") & t2["method"].isin(set(cells["method"]))
              & t2["dataset"].isin(set(cells["dataset"])) & (t2["n"] > 0)]


def figure4(a: Analysis, out_dir: str | Path, experiment: str = "fig4") -> FigureRecord:
    """Accuracy against the supervised BPTT length K (symlog x, down to 0), `full` (the
    experiment's own Full BP cells, else Table 2's) as a separate point right of a dashed
    separator, or no such column where neither ran; chance as a dotted line; a star where r-LSTM
    beats LSTM at that K (the analysis's one-sided comparisons of the experiment, Holm across
    them)."""
    name, title = EXPERIMENTS["fig4"].figure, EXPERIMENTS["fig4"].title
    cells = a.cells_of(experiment)
    cells = cells[cells["setting"].map(lambda s: s == "full" or truncation(s) is not None)]
    if cells.empty:
        return _empty(out_dir, name, title, f"no {experiment} runs with tK or full settings")
    borrowed = _full_from_table2(a, cells)
    cells = pd.concat([cells, borrowed], ignore_index=True)
    datasets = sorted(set(cells["dataset"]))
    fig, axes = _new_figure(5.5 * min(len(datasets), 2), 3.8 * math.ceil(len(datasets) / 2),
                            nrows=math.ceil(len(datasets) / 2), ncols=min(len(datasets), 2))
    ks = sorted({truncation(s) for s in cells["setting"] if truncation(s) is not None})
    kmax = max(ks) if ks else 300
    full_x = kmax * 2.5 if kmax > 0 else 10.0
    axes_used = []
    for i, dataset in enumerate(datasets):
        ax = axes.flat[i]
        axes_used.append(ax)
        c = cells[cells["dataset"] == dataset]
        for method in sorted(set(c["method"]), key=method_rank):
            g = c[(c["method"] == method) & (c["n"] > 0)].copy()
            g["x"] = [_bptt_x(s, full_x) for s in g["setting"]]
            trunc = g[g["setting"] != "full"].sort_values("x")
            kw = line_kwargs(method, "t0")
            if not trunc.empty:
                ax.errorbar(trunc["x"], trunc["mean"], yerr=_yerr(trunc), capsize=3,
                            label=cell_label(method, "t0").replace(" Truncate 0", ""), **kw)
            full = g[g["setting"] == "full"]
            if not full.empty:
                fkw = line_kwargs(method, "full")
                fkw["linestyle"] = "none"
                ax.errorbar(full["x"], full["mean"], yerr=_yerr(full), capsize=3, **fkw)
        ncls = c["n_classes"].dropna()
        if len(ncls):
            chance = 100.0 / float(ncls.median())
            ax.axhline(chance, color="0.4", linestyle=(0, (1, 2)), linewidth=1,
                       label="chance")
        pdn = c["paper_dataset"].iloc[0]
        if pdn == "cifar10" and bool(c["comparable"].iloc[0]):
            ax.scatter([0], [40.0], marker="*", s=120, color="black", zorder=6,
                       label="paper: r-LSTM ≈40% at K=0")
        has_full = bool((c["setting"] == "full").any())
        if has_full:
            ax.axvline((kmax + full_x) / 2 if kmax > 0 else 5.0, color="0.6", linestyle="--",
                       linewidth=0.8)
        ax.set_xscale("symlog", linthresh=10, linscale=0.5)
        ax.set_xticks(ks + [full_x] * has_full, [str(k) for k in ks] + ["full"] * has_full)
        ax.minorticks_off()
        ax.set_xlim(-1, full_x * 1.3 if has_full else kmax * 1.3 + 1)
        ax.set_xlabel("supervised BPTT length K (steps, symlog scale)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(dataset_name(dataset, pdn))
    for j in range(len(datasets), axes.size):
        axes.flat[j].set_axis_off()
    tests = a.comparisons.get(experiment, pd.DataFrame())
    tests = tests[tests["a_setting"].isin(set(cells["setting"]))] if not tests.empty else tests
    n_sig = 0
    for _, t in tests.iterrows():
        if np.isfinite(t["p_holm"]) and t["p_holm"] < a.cfg.alpha:
            n_sig += 1
            x = a.runs[(a.runs["experiment"] == experiment) & (a.runs["dataset"] == t["dataset"])
                       & (a.runs["setting"] == t["a_setting"])
                       & a.runs["method"].isin([t["a_method"], t["b_method"]])
                       & (a.runs["status"] == "completed")]
            axes.flat[datasets.index(t["dataset"])].annotate(
                "*", (_bptt_x(t["a_setting"], full_x), x["test_accuracy_pct"].max()),
                textcoords="offset points", xytext=(0, 4), ha="center", fontsize=11)
    _legend(fig, axes_used)
    n_txt = _n_text(cells[cells["n"] > 0])
    interval = _interval_text(a, cells)
    pair = " > ".join(method_label(m) for m in EXPERIMENTS["fig4"].method_pairs[0])
    test = (f"{pair} at each K: {tests['test'].iloc[0]}, Holm across {len(tests)} "
            f"comparisons, α={a.cfg.alpha:g}" if not tests.empty else "none")
    full_text = ("filled markers right of the dashed line: full BPTT"
                 + (" (Table 2's runs)" if not borrowed.empty else "") + ". "
                 if (cells["setting"] == "full").any() else "")
    caption = (f"{title}. K = 0: no supervised gradient reaches the LSTM (only the classifier "
               f"head learns). Hollow markers: truncated; {full_text}Bars: {interval}. "
               f"{n_txt}. Dotted line: chance. "
               + (f"*: {test}, the claims' one-sided test ({n_sig} significant)."
                  if not tests.empty else ""))
    png, pdf = save_figure(fig, out_dir, name)
    return FigureRecord(name, png, pdf, caption, n_txt, interval, test)


# --------------------------------------------------------------------------- Figure 5


CURVE_LABELS = {"train_accuracy": "train accuracy (%)", "test_accuracy": "test accuracy (%)",
                "train_loss": "train loss", "test_loss": "test loss"}


def figure5(a: Analysis, out_dir: str | Path, experiment: str = "fig5") -> FigureRecord:
    """Train and test accuracy and loss by epoch: mean line and CI band over seeds (the
    analysis's curve bands); the pretraining epochs (auxiliary loss only) shaded."""
    name, title = EXPERIMENTS["fig5"].figure, EXPERIMENTS["fig5"].title
    cur = a.curves
    if cur is None or cur.empty or not (cur["experiment"] == experiment).any():
        return _empty(out_dir, name, title, f"no {experiment} curves")
    cur = aligned(cur[cur["experiment"] == experiment])
    bands = a.curve_bands[a.curve_bands["experiment"] == experiment]
    datasets = sorted(set(cur["dataset"]))
    fig, axes = _new_figure(10.0, 3.0 * len(datasets) + 0.6, nrows=len(datasets),
                            ncols=len(CURVE_METRICS))
    ns = {}
    for i, dataset in enumerate(datasets):
        c = cur[cur["dataset"] == dataset]
        pre = c[c["phase"] == "pretrain"]
        for j, col in enumerate(CURVE_METRICS):
            ax = axes[i, j]
            if not pre.empty:
                who = ", ".join(dict.fromkeys(
                    cell_label(m, s).split(" ")[0] for m, s in zip(pre["method"], pre["setting"])))
                ax.axvspan(pre["x"].min() - 0.5, 0.5, facecolor="0.88", hatch="//",
                           edgecolor="0.75", linewidth=0,
                           label=f"pretraining of {who} (auxiliary loss only)")
            for method, setting in sorted(set(zip(c["method"], c["setting"])),
                                          key=lambda k: (method_rank(k[0]), setting_rank(k[1]))):
                ns[(dataset, method, setting)] = c.loc[
                    (c["method"] == method) & (c["setting"] == setting), "seed"].nunique()
                band = bands[(bands["dataset"] == dataset) & (bands["method"] == method)
                             & (bands["setting"] == setting) & (bands["metric"] == col)]
                if band.empty:
                    continue
                arr = band[["x", "mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
                kw = line_kwargs(method, setting)
                kw.pop("markersize")
                ax.plot(arr[:, 0], arr[:, 1], label=cell_label(method, setting),
                        markevery=max(1, len(arr) // 8), markersize=4, **kw)
                ax.fill_between(arr[:, 0], np.nan_to_num(arr[:, 2], nan=arr[:, 1]),
                                np.nan_to_num(arr[:, 3], nan=arr[:, 1]), color=color(method),
                                alpha=0.2, linewidth=0)
            ax.set_xlabel("epoch (≤ 0: pretraining)")
            ax.set_ylabel(CURVE_LABELS[col])
            if j == 0:
                ax.set_title(dataset_name(dataset, a.cfg.paper_dataset(dataset)), loc="left")
    _legend(fig, list(axes.flat))
    n_vals = sorted(set(ns.values()))
    n_txt = (f"n = {n_vals[0]} seeds per curve" if len(n_vals) == 1
             else f"n = {n_vals[0]}–{n_vals[-1]} seeds per curve")
    conf = round(a.cfg.confidence * 100)
    interval = (f"{conf}% bootstrap CI per epoch (BCa, percentile where degenerate or n<3; "
                f"{min(a.cfg.n_resamples, CURVE_MAX_RESAMPLES)} resamples)")
    caption = (f"{title}. Lines: mean over seeds; bands: {interval}. {n_txt}. Train and test "
               "numbers are measured alike, in eval mode (no dropout) at the end of each epoch; "
               "train on a fixed class-stratified training subset as large as the test set. "
               "Epochs are aligned on supervised training (epoch 1 = first joint-training epoch "
               "of every model); shaded, at epochs ≤ 0: pretraining, where only the auxiliary "
               "loss is trained. No test.")
    png, pdf = save_figure(fig, out_dir, name)
    return FigureRecord(name, png, pdf, caption, n_txt, interval, "none")


# --------------------------------------------------------------------------- Figure 6


def figure6(a: Analysis, out_dir: str | Path, experiment: str = "fig6") -> FigureRecord:
    """Ablation: one dot per setting with its CI, the full method as the reference line; a star
    where a setting differs from the full method (Welch two-sided, Holm across settings)."""
    name, title = EXPERIMENTS["fig6"].figure, EXPERIMENTS["fig6"].title
    cells = a.cells_of(experiment)
    cells = cells[cells["n"] > 0]
    if cells.empty:
        return _empty(out_dir, name, title, f"no completed {experiment} runs")
    ref = reference_cell(a.cells, experiment)
    comps = a.comparisons.get(experiment, pd.DataFrame())
    datasets = sorted(set(cells["dataset"]))
    height = 0.35 * max(len(g) for _, g in cells.groupby("dataset")) + 1.5
    fig, axes = _new_figure(5.5 * len(datasets), height, ncols=len(datasets))
    for i, dataset in enumerate(datasets):
        ax = axes[0, i]
        g = cells[cells["dataset"] == dataset].copy()
        g["_k"] = [setting_rank(s) for s in g["setting"]]
        g = g.sort_values(["_k", "method"], key=None).reset_index(drop=True)
        if ref is not None:
            top = g[(g["method"] == ref[0]) & (g["setting"] == ref[1])]
            g = pd.concat([top, g.drop(top.index)]).reset_index(drop=True)
        y = np.arange(len(g))[::-1]
        for yy, (_, r) in zip(y, g.iterrows()):
            kw = line_kwargs(r["method"], "full")
            kw["linestyle"] = "none"
            ax.errorbar([r["mean"]], [yy], xerr=_yerr(pd.DataFrame([r])), capsize=3, **kw)
        labels = []
        for _, r in g.iterrows():
            lab = f"{r['setting'].replace('_', ' ')} (n={int(r['n'])}"
            lab += f"/{int(r['n'] + r['n_failed'] + r['n_missing'])}†)" if (
                r["n_failed"] + r["n_missing"]) else ")"
            if not comps.empty:
                hit = comps[(comps["dataset"] == dataset) & (comps["a_method"] == r["method"])
                            & (comps["a_setting"] == r["setting"])]
                if not hit.empty and np.isfinite(hit["p_holm"].iloc[0]) and \
                        hit["p_holm"].iloc[0] < a.cfg.alpha:
                    lab += " *"
            labels.append(lab)
        ax.set_yticks(y, labels)
        if ref is not None:
            rr = g[(g["method"] == ref[0]) & (g["setting"] == ref[1])]
            if not rr.empty:
                ax.axvline(rr["mean"].iloc[0], color=color(ref[0]), linestyle="--",
                           linewidth=0.8)
        ax.set_xlabel("test accuracy (%)")
        ax.set_title(dataset_name(dataset, g["paper_dataset"].iloc[0]))
        ax.grid(axis="y", visible=False)
    n_txt = _n_text(cells)
    interval = _interval_text(a, cells)
    test = (f"each setting vs {ref[1]}: Welch t two-sided, Holm across {len(comps)} "
            f"comparisons, α={a.cfg.alpha:g}" if ref is not None and not comps.empty else "none")
    caption = (f"{title}. Dots: mean test accuracy; bars: {interval}. {n_txt} (n in each "
               f"label; † failed or missing seeds). Dashed line: the full method. "
               + (f"*: {test}." if test != "none" else "No reference setting found: no test."))
    png, pdf = save_figure(fig, out_dir, name)
    return FigureRecord(name, png, pdf, caption, n_txt, interval, test)


# --------------------------------------------------------------------------- Table 3 figure


def figure_resources(a: Analysis, out_dir: str | Path) -> FigureRecord:
    """Peak memory and step time against sequence length, log-log; OOM points as crosses at the
    top edge; bars span min-max over benchmark repeats."""
    name, title = EXPERIMENTS["table3"].figure, f"{EXPERIMENTS['table3'].title} (as a figure)"
    b = a.resources
    if b is None or b.empty:
        return _empty(out_dir, name, title, "no resource benchmark records")
    fig, axes = _new_figure(12.0, 3.6, ncols=3)
    # activation memory (what autograd keeps for backward) is what truncation bounds; the
    # process peak adds libraries and buffers (RSS on CPU, allocated memory on CUDA)
    panels = (("activation_mb", "activations kept for backward (MiB)"),
              ("peak_memory_mb", "process peak memory (MiB)"),
              ("step_time_s", "time per step (s)"))
    reps = []
    for ax, (col, ylabel) in zip(axes[0], panels):
        ok = b[(b["status"] == "ok") & np.isfinite(b[col])]
        ymax = ok[col].max() if not ok.empty else 1.0
        keys = sorted(set(zip(b["method"], b["series"])),
                      key=lambda k: (method_rank(k[0]), k[0],
                                     setting_rank(split_series(k[1])[0]), k[1]))
        for method, series in keys:
            setting = split_series(series)[0]
            label = series_label(method, series)
            g = b[(b["method"] == method) & (b["series"] == series)]
            gok = ok[(ok["method"] == method) & (ok["series"] == series)]
            if not gok.empty:
                agg = gok.groupby("seq_len")[col].agg(["mean", "min", "max", "count"])
                reps.extend(agg["count"].tolist())
                yerr = np.vstack([agg["mean"] - agg["min"], agg["max"] - agg["mean"]])
                kw = line_kwargs(method, setting)
                if split_series(series)[1] == "torch-default":
                    kw["alpha"] = 0.5
                ax.errorbar(agg.index, agg["mean"], yerr=yerr, capsize=2, label=label, **kw)
            bad = g[~g["status"].isin(["ok", "skipped"])]
            bad = bad[~bad["seq_len"].isin(gok["seq_len"])]
            if not bad.empty:
                ax.scatter(bad["seq_len"], np.full(len(bad), ymax * 1.6), marker="x", s=50,
                           color=color(method), clip_on=False, zorder=5,
                           label=f"{label}: OOM/timeout/error")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        lens = sorted(set(b["seq_len"].dropna().astype(int)))
        ax.set_xticks(lens, [str(n) for n in lens], rotation=45)
        ax.minorticks_off()
        # labelled ticks at 1-2-5 steps, so a narrow range (flat memory) still has numbers
        ax.yaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        ax.set_xlabel("sequence length (steps)")
        ax.set_ylabel(ylabel)
    _legend(fig, list(axes.flat))
    n_txt = (f"n = {min(reps)}–{max(reps)} benchmark repeats per point" if reps and
             min(reps) != max(reps) else f"n = {reps[0] if reps else 0} benchmark repeat(s) "
             "per point")
    interval = "min–max over repeats (single measurements have no bar)"
    devices = ", ".join(sorted(str(d) for d in b["device"].dropna().unique())) or "?"
    caption = (f"{title}, log-log. Lines: mean over repeats; bars: {interval}. {n_txt}. "
               "Crosses at the top: out of memory, timeout or error at that length (longer "
               f"lengths are then skipped). Device: {devices}. "
               "Activations: the bytes autograd keeps for the backward pass (exact); process "
               "peak: resident memory on CPU, allocated memory on CUDA, libraries included. "
               "Expected: constant memory for truncated r-LSTM, linear for full BPTT, "
               "quadratic for the Transformer (docs/paper.md §7).")
    png, pdf = save_figure(fig, out_dir, name)
    return FigureRecord(name, png, pdf, caption, n_txt, interval, "none")


# --------------------------------------------------------------------------- forest plot


def figure_forest(a: Analysis, out_dir: str | Path) -> FigureRecord:
    """Forest plot on the difference scale: for each paper number, our mean minus the paper's
    value with our interval shifted the same way; the paper's value is the star at 0, the grey
    bar its tolerance band; the verdict is written on the right. Rows are grouped by dataset."""
    name, title = FOREST, "Paper versus reproduced"
    pv = a.paper_vs
    pv = pv[(pv["kind"] != "literature")] if pv is not None else pd.DataFrame()
    if pv.empty:
        return _empty(out_dir, name, title, "no paper numbers")
    order = {p: i for i, p in enumerate(PAPER_DATASET_ORDER)}
    pv = pv.assign(_d=pv["paper_dataset"].map(lambda d: order.get(d, 99)))
    pv = pv.sort_values(["_d", "dataset"], kind="stable", na_position="last")
    pv = pv.reset_index(drop=True)
    fig, axes = _new_figure(8.5, 0.28 * len(pv) + 1.8)
    ax = axes[0, 0]
    y = np.arange(len(pv))[::-1]
    labels = []
    for yy, (_, r) in zip(y, pv.iterrows()):
        ds = row_dataset_name(r)
        approx = "≈" if r["kind"] == "approx" else ""
        labels.append(f"{ds}: {r['label']} (paper {approx}{r['paper']:.1f})")
        ax.plot([-r["tolerance"], r["tolerance"]], [yy, yy], color="0.82", linewidth=6,
                solid_capstyle="butt", zorder=1)
        if r["n"] > 0 and np.isfinite(r["mean"]):
            d = r["mean"] - r["paper"]
            lo = r["mean"] - r["ci_low"] if np.isfinite(r["ci_low"]) else 0.0
            hi = r["ci_high"] - r["mean"] if np.isfinite(r["ci_high"]) else 0.0
            kw = line_kwargs(r["method"], r["setting"])
            kw["linestyle"] = "none"
            ax.errorbar([d], [yy], xerr=[[lo], [hi]], capsize=2, zorder=4, **kw)
    ax.scatter(np.zeros(len(y)), y, marker="*", s=45, color="black", zorder=2)
    ax.axvline(0.0, color="black", linewidth=0.6, zorder=0)
    ax.set_yticks(y, labels)
    ax.set_xlabel("ours − paper (percentage points)")
    ax.grid(axis="y", visible=False)
    right = ax.twinx()
    right.set_ylim(ax.get_ylim())
    verdict_labels = [f"{v} (n={int(n)})" if n else v for v, n in zip(pv["verdict"], pv["n"])]
    right.set_yticks(y, verdict_labels)
    right.grid(False)
    right.spines["right"].set_visible(False)
    right.tick_params(axis="y", length=0)
    handles = [plt.Line2D([], [], marker="*", color="black", linestyle="none", markersize=9,
                          label="paper's value"),
               plt.Line2D([], [], color="0.82", linewidth=6, label="paper ± tolerance")]
    for m in sorted(set(pv.loc[pv["n"] > 0, "method"]), key=method_rank):
        handles.append(plt.Line2D([], [], marker=marker(m), color=color(m), linestyle="none",
                                  label=f"ours: {method_label(m)}"))
    _legend(fig, [ax], handles=handles)
    banner = ""
    ran = pv[pv["n"] > 0]
    if not ran.empty and not ran["comparable"].all():
        banner = " (stand-in data or reduced scale: not comparable)"
    ax.set_title(f"{title}{banner}", fontsize=9)
    n_txt = _n_text(pv)
    conf = round(a.cfg.confidence * 100)
    interval = f"{conf}% bootstrap CI of the mean (BCa; percentile where degenerate or n<3)"
    caption = (f"Forest plot, paper versus reproduced{banner}, on the difference scale. "
               f"Stars at 0: the paper's numbers (docs/paper.md §5.1, value in each label); grey "
               f"bars: paper ± tolerance ({a.cfg.tolerance_pp:g} pp; "
               f"{a.cfg.approx_tolerance_pp:g} pp for rough values); markers and bars: our mean "
               f"minus the paper's value, with our {interval} shifted alike. {n_txt}. Verdict "
               "and n on the right (rules in the paper-vs-reproduced table).")
    png, pdf = save_figure(fig, out_dir, name)
    return FigureRecord(name, png, pdf, caption, n_txt, interval, "verdict rules (no p-value)")


DRAW = {"fig3": figure3, "table3": figure_resources, "fig4": figure4, "fig5": figure5,
        "fig6": figure6}


def write_figures(a: Analysis, out_dir: str | Path) -> list[FigureRecord]:
    """The figures of the experiments the plan enables (auxbench.experiments.figure_names;
    every catalogue figure for an analysis made without a plan), in the catalogue's order."""
    names = set(figure_names(a.plan.get("experiments", EXPERIMENTS)))
    return ([DRAW[e.name](a, out_dir) for e in CATALOGUE if e.figure in names]
            + [figure_forest(a, out_dir)])
