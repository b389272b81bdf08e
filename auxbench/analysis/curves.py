"""Training curves over seeds: epochs aligned on supervised training, a band per epoch.

Runs that pretrain (auxiliary loss only) have more epochs; `x = epoch - pretraining epochs`
puts the first supervised epoch of every run at x = 1 and pretraining at x <= 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import stats
from .options import AnalysisConfig

# Train and test numbers alike: eval mode (no dropout) at the end of each epoch; train on a
# fixed class-stratified training subset as large as the test set.
CURVE_METRICS = ("train_accuracy", "test_accuracy", "train_loss", "test_loss")
CURVE_MAX_RESAMPLES = 1999  # a band per epoch and metric: fewer resamples than a cell's
BAND_COLUMNS = ["experiment", "dataset", "method", "setting", "metric", "x", "mean", "ci_low",
                "ci_high", "n"]


def aligned(curves: pd.DataFrame) -> pd.DataFrame:
    """The curves with `x`, the epoch counted from the run's first supervised epoch."""
    n_pre = curves.groupby(["experiment", "dataset", "method", "setting", "seed"])[
        "phase"].transform(lambda p: int((p == "pretrain").sum()))
    return curves.assign(x=curves["epoch"] - n_pre)


def curve_bands(curves: pd.DataFrame, experiment: str, cfg: AnalysisConfig) -> pd.DataFrame:
    """Mean and bootstrap interval over seeds of every metric at every aligned epoch."""
    cur = curves[curves["experiment"] == experiment]
    rows = []
    if cur.empty:
        return pd.DataFrame(rows, columns=BAND_COLUMNS)
    cur = aligned(cur)
    resamples = min(cfg.n_resamples, CURVE_MAX_RESAMPLES)
    for (dataset, method, setting), g in cur.groupby(["dataset", "method", "setting"]):
        for metric in CURVE_METRICS:
            for x, ge in g.groupby("x"):
                vals = ge[metric].to_numpy(dtype=float)
                if np.isfinite(vals).any():
                    s = stats.summarize(vals, cfg.confidence, resamples, cfg.seed)
                    rows.append((experiment, dataset, method, setting, metric, x, s.mean,
                                 s.ci_low, s.ci_high, s.n))
    return pd.DataFrame(rows, columns=BAND_COLUMNS)
