"""Which cells learned and which runs collapsed: test accuracy against chance (100 / n_classes).

A claim that fails because nothing learned says something else than one that fails because the
method lost to another, so the report says which cells left chance behind:

- a cell *learned* when its interval lies above chance + `chance_margin_pp` (the margin of claim
  (e)); it *stayed at chance* when its interval reaches down to chance + `AT_CHANCE_PP` and stays
  below chance + the margin; otherwise it is *in between* (a cell of one seed, which has no
  interval, is judged by its mean);
- a completed run *collapsed* when it ended at or below chance + `AT_CHANCE_PP` while another seed
  of its cell ended above chance + the margin: that seed's optimisation failed, not the method.
"""

from __future__ import annotations

import pandas as pd

from auxbench.paths import KEY_FIELDS

from .cells import KEYS
from .options import AnalysisConfig

AT_CHANCE_PP = 1.0  # within this of chance, an accuracy is chance
LEARNED, AT_CHANCE, BETWEEN = "learned", "at chance", "in between"
COLLAPSED_COLUMNS = [*KEY_FIELDS, "test_accuracy_pct", "chance_pct", "best_other_pct", "reason"]


def chance_pct(n_classes: pd.Series) -> pd.Series:
    """Accuracy (%) of guessing among `n_classes` balanced classes."""
    return 100.0 / n_classes


def cell_outcomes(cells: pd.DataFrame, cfg: AnalysisConfig) -> pd.Series:
    """`learned`, `at chance` or `in between` per cell (index of `cells`); None where no seed
    completed or the number of classes is unknown."""
    chance = chance_pct(cells["n_classes"])
    low = cells["ci_low"].fillna(cells["mean"])
    high = cells["ci_high"].fillna(cells["mean"])
    out = pd.Series(BETWEEN, index=cells.index, dtype=object)
    out[(low <= chance + AT_CHANCE_PP) & (high < chance + cfg.chance_margin_pp)] = AT_CHANCE
    out[low > chance + cfg.chance_margin_pp] = LEARNED
    out[(cells["n"] == 0) | chance.isna()] = None
    return out


def collapsed_runs(runs: pd.DataFrame, cfg: AnalysisConfig) -> pd.DataFrame:
    """Completed runs that ended at chance while another seed of their cell learned, each with
    the reason the report gives (columns `COLLAPSED_COLUMNS`)."""
    done = runs[runs["status"] == "completed"].assign(chance_pct=lambda r: chance_pct(
        r["n_classes"]))
    rows = []
    for _, cell in done.groupby(KEYS, sort=True):
        acc, chance = cell["test_accuracy_pct"], cell["chance_pct"]
        learned = cell[acc > chance + cfg.chance_margin_pp]
        for _, r in cell[acc <= chance + AT_CHANCE_PP].iterrows():
            others = learned.loc[learned["seed"] != r["seed"], "test_accuracy_pct"]
            if others.empty:
                continue
            rows.append({**{k: r[k] for k in KEY_FIELDS},
                         "test_accuracy_pct": r["test_accuracy_pct"],
                         "chance_pct": r["chance_pct"], "best_other_pct": others.max(),
                         "reason": (f"ended at chance ({r['test_accuracy_pct']:.1f}%, chance "
                                    f"{r['chance_pct']:.1f}%) while other seeds of its cell "
                                    f"learned ({len(others)} above chance + "
                                    f"{cfg.chance_margin_pp:g} pp, best {others.max():.1f}%)")})
    return pd.DataFrame(rows, columns=COLLAPSED_COLUMNS)
