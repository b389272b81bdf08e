"""Per-cell summaries and the between-method comparisons of one table.

A cell is (experiment, dataset, method, setting); its values are the test accuracies (percent) of
its completed seeds. Failed and missing seeds are counted beside it, never silently dropped.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from . import stats
from .options import AnalysisConfig
from .style import cell_label, method_rank, setting_rank

KEYS = ["experiment", "dataset", "method", "setting"]
CELL_COLUMNS = KEYS + [
    "paper_dataset", "comparable", "label", "seq_len", "n_classes",
    "n", "n_failed", "n_missing", "n_seeds", "mean", "std", "ci_low", "ci_high", "halfwidth",
    "ci_method", "ci_note", "seeds", "failed_seeds", "missing_seeds", "errors",
]


def _seeds(values) -> str:
    return ",".join(str(int(s)) for s in sorted(values))


def cell_order(df: pd.DataFrame) -> pd.DataFrame:
    """Sort rows as the tables show them: method order, then Full BP, Truncate long to short."""
    if df.empty:
        return df
    key = df.apply(lambda r: (method_rank(r["method"]), r["method"],
                              setting_rank(r["setting"])), axis=1)
    return df.assign(_k=key).sort_values(["experiment", "dataset", "_k"], kind="stable").drop(
        columns="_k").reset_index(drop=True)


def summarize_cells(runs: pd.DataFrame, cfg: AnalysisConfig) -> pd.DataFrame:
    """One row per cell: n, mean, SD, bootstrap interval, and the failed/missing seeds."""
    rows = []
    if runs.empty:
        return _typed(pd.DataFrame(columns=CELL_COLUMNS))
    for key, g in runs.groupby(KEYS, sort=True):
        experiment, dataset, method, setting = key
        done = g[g["status"] == "completed"]
        failed = g[g["status"] == "failed"]
        missing = set(g.loc[g["status"] == "missing", "seed"])
        if cfg.seeds is not None:
            missing |= set(cfg.seeds) - set(g["seed"])
        s = stats.summarize(done["test_accuracy_pct"].to_numpy(), cfg.confidence,
                            cfg.n_resamples, cfg.seed)
        errors = sorted({str(e) for e in failed["error"].dropna()})
        seq = g["seq_len"].dropna()
        ncls = g["n_classes"].dropna()
        rows.append({
            "experiment": experiment, "dataset": dataset, "method": method, "setting": setting,
            "paper_dataset": cfg.paper_dataset(dataset),
            "comparable": cfg.is_comparable(dataset),
            "label": cell_label(method, setting),
            "seq_len": float(seq.median()) if len(seq) else math.nan,
            "n_classes": float(ncls.median()) if len(ncls) else math.nan,
            "n": s.n, "n_failed": len(failed), "n_missing": len(missing),
            "n_seeds": s.n + len(failed) + len(missing),
            "mean": s.mean, "std": s.std, "ci_low": s.ci_low, "ci_high": s.ci_high,
            "halfwidth": s.halfwidth, "ci_method": s.ci_method, "ci_note": s.ci_note,
            "seeds": _seeds(done["seed"]), "failed_seeds": _seeds(failed["seed"]),
            "missing_seeds": _seeds(missing), "errors": " | ".join(errors),
        })
    return cell_order(_typed(pd.DataFrame(rows, columns=CELL_COLUMNS)))


_FLOAT_COLUMNS = ("seq_len", "n_classes", "mean", "std", "ci_low", "ci_high", "halfwidth")
_INT_COLUMNS = ("n", "n_failed", "n_missing", "n_seeds")


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns numeric even when the table is empty."""
    for c in _FLOAT_COLUMNS:
        df[c] = df[c].astype(float)
    for c in _INT_COLUMNS:
        df[c] = df[c].astype(int)
    df["comparable"] = df["comparable"].astype(bool)
    return df


SCOPE_COLUMNS = ["experiment", "dataset", "methods", "settings", "min_seeds", "max_seeds",
                 "epochs", "pretrain_epochs"]


def run_scope(runs: pd.DataFrame) -> pd.DataFrame:
    """What ran, per experiment and dataset in the order of the runs: its methods and
    settings (in table order), the seeds per cell (fewest and most, as planned: failed and
    missing seeds count) and the distinct training and nonzero pretraining epochs of its
    completed runs. A reader weighs a verdict by these before anything else."""
    rows = []
    for (experiment, dataset), g in runs.groupby(["experiment", "dataset"], sort=False):
        seeds = g.groupby(["method", "setting"]).size()
        done = g[g["status"] == "completed"]
        pre = done["pretrain_epochs"].dropna()
        rows.append({
            "experiment": experiment, "dataset": dataset,
            "methods": sorted(set(g["method"]), key=lambda m: (method_rank(m), m)),
            "settings": sorted(set(g["setting"]), key=setting_rank),
            "min_seeds": int(seeds.min()), "max_seeds": int(seeds.max()),
            "epochs": sorted(int(e) for e in set(done["epochs"].dropna())),
            "pretrain_epochs": sorted(int(e) for e in set(pre[pre > 0])),
        })
    return pd.DataFrame(rows, columns=SCOPE_COLUMNS)


def cell_values(runs: pd.DataFrame, experiment: str, dataset: str, method: str,
                setting: str) -> np.ndarray:
    m = ((runs["experiment"] == experiment) & (runs["dataset"] == dataset)
         & (runs["method"] == method) & (runs["setting"] == setting)
         & (runs["status"] == "completed"))
    return runs.loc[m, "test_accuracy_pct"].to_numpy(dtype=float)


def _primary_p(c: stats.Comparison, cfg: AnalysisConfig) -> float:
    return c.mwu_p if cfg.primary_test == "mwu" else c.welch_p


COMPARISON_COLUMNS = [
    "experiment", "dataset", "a_method", "a_setting", "b_method", "b_setting", "a_label",
    "b_label", "n1", "n2", "mean1", "mean2", "diff", "diff_low", "diff_high", "welch_t",
    "welch_df", "welch_p", "mwu_U", "mwu_p", "mwu_min_p", "mwu_method", "prob_superiority",
    "hedges_g", "p", "p_holm", "test", "note",
]


def _comparison_row(experiment, dataset, a, b, comp: stats.Comparison, cfg) -> dict:
    row = {"experiment": experiment, "dataset": dataset,
           "a_method": a[0], "a_setting": a[1], "b_method": b[0], "b_setting": b[1],
           "a_label": cell_label(*a), "b_label": cell_label(*b)}
    row.update({k: v for k, v in comp.as_dict().items() if k in COMPARISON_COLUMNS})
    row["p"] = _primary_p(comp, cfg)
    row["test"] = cfg.test_name + (
        ", two-sided" if comp.alternative == "two-sided" else f", one-sided ({comp.alternative})")
    row["note"] = comp.note
    return row


BEST_COLUMNS = [
    "experiment", "dataset", "best_method", "best_setting", "runner_method", "runner_setting",
    "best_mean", "runner_mean", "diff", "diff_low", "diff_high", "p", "p_holm", "bold", "test",
    "note",
]


def best_marks(runs: pd.DataFrame, cells: pd.DataFrame, experiment: str,
               cfg: AnalysisConfig, group_col: str = "dataset") -> pd.DataFrame:
    """Per column: the best cell by mean and the runner-up, compared two-sided; Holm across the
    columns of the table. `bold` is true only where the Holm-adjusted p is below alpha.

    The pair is chosen after looking at the means, so the test is two-sided; the Holm family is
    the set of best-versus-runner-up tests of one table.
    """
    rows = []
    sub = cells[(cells["experiment"] == experiment) & (cells["n"] > 0)]
    for col, g in sub.groupby(group_col, sort=True):
        g = g.sort_values("mean", ascending=False, kind="stable")
        if len(g) < 2:
            continue
        best, runner = g.iloc[0], g.iloc[1]
        a = (best["method"], best["setting"])
        b = (runner["method"], runner["setting"])
        ds_a, ds_b = best["dataset"], runner["dataset"]
        comp = stats.compare(cell_values(runs, experiment, ds_a, *a),
                             cell_values(runs, experiment, ds_b, *b),
                             confidence=cfg.confidence, alpha=cfg.alpha)
        rows.append({
            "experiment": experiment, "dataset": col,
            "best_method": a[0], "best_setting": a[1],
            "runner_method": b[0], "runner_setting": b[1],
            "best_mean": comp.mean1, "runner_mean": comp.mean2, "diff": comp.diff,
            "diff_low": comp.diff_low, "diff_high": comp.diff_high,
            "p": _primary_p(comp, cfg), "p_holm": math.nan, "bold": False,
            "test": "Welch t, two-sided" if cfg.primary_test == "welch"
            else "Mann-Whitney U, two-sided",
            "note": comp.note,
        })
    df = pd.DataFrame(rows, columns=BEST_COLUMNS)
    if not df.empty:
        df["p_holm"] = stats.holm(df["p"].to_numpy(dtype=float))
        df["bold"] = (df["p_holm"] < cfg.alpha).fillna(False).astype(bool)
    return df


def _family(runs: pd.DataFrame, cells: pd.DataFrame, experiment: str, cfg: AnalysisConfig,
            pairs, alternative: str = "two-sided") -> pd.DataFrame:
    """The comparisons `pairs(keys)` names among the (method, setting) keys that ran on each
    dataset of an experiment; Holm across them all (one family). Two-sided with a `confidence`
    interval, or one-sided (`alternative` "greater": a above b) with the `one_sided_confidence`
    interval, whose bound on the tested side the test agrees with: the report's one convention."""
    rows = []
    sub = cells[(cells["experiment"] == experiment) & (cells["n"] > 0)]
    for dataset, g in sub.groupby("dataset", sort=True):
        for a, b in pairs(list(zip(g["method"], g["setting"]))):
            comp = stats.compare(cell_values(runs, experiment, dataset, *a),
                                 cell_values(runs, experiment, dataset, *b), alternative,
                                 confidence=(cfg.confidence if alternative == "two-sided"
                                             else cfg.one_sided_confidence), alpha=cfg.alpha)
            rows.append(_comparison_row(experiment, dataset, a, b, comp, cfg))
    df = pd.DataFrame(rows, columns=COMPARISON_COLUMNS)
    if not df.empty:
        df["p_holm"] = stats.holm(df["p"].to_numpy(dtype=float))
    return df


def table_comparisons(runs: pd.DataFrame, cells: pd.DataFrame, experiment: str,
                      cfg: AnalysisConfig) -> pd.DataFrame:
    """Every pair of cells within each dataset column of one experiment's table."""
    return _family(runs, cells, experiment, cfg, lambda keys: itertools.combinations(keys, 2))


def reference_comparisons(runs: pd.DataFrame, cells: pd.DataFrame, experiment: str,
                          reference: tuple[str, str], cfg: AnalysisConfig) -> pd.DataFrame:
    """Each cell of an experiment against one reference cell of the same dataset (e.g. every
    ablation against `full_method`)."""
    reference = tuple(reference)
    return _family(runs, cells, experiment, cfg, lambda keys: [
        (k, reference) for k in keys if k != reference] if reference in keys else [])


def method_comparisons(runs: pd.DataFrame, cells: pd.DataFrame, experiment: str,
                       method_pairs: tuple[tuple[str, str], ...], cfg: AnalysisConfig
                       ) -> pd.DataFrame:
    """Each method of a pair against the other at each setting both ran on a dataset (e.g.
    r-LSTM against LSTM at each truncation), Holm across them all: one-sided, the pair's first
    method better, the direction the claims test (as claims (a) and (g) do)."""
    def pairs(keys):
        out = []
        for a, b in method_pairs:
            both = {s for m, s in keys if m == a} & {s for m, s in keys if m == b}
            out += [((a, s), (b, s)) for s in sorted(both, key=setting_rank)]
        return out

    return _family(runs, cells, experiment, cfg, pairs, "greater")
