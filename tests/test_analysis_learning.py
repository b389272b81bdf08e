"""What ran, which cells learned or stayed at chance, and which runs collapsed while their cell
learned."""

from __future__ import annotations

import pandas as pd
import pytest
from test_analysis_verdicts import runs_frame

from auxbench.analysis import learning
from auxbench.analysis.cells import run_scope, summarize_cells
from auxbench.analysis.options import AnalysisConfig

CFG = AnalysisConfig(n_resamples=500)


def test_a_seed_at_chance_beside_seeds_that_learned_is_flagged():
    runs = runs_frame([
        ("table2", "embedded_mnist", "rlstm", "t20", [10.0, 45.0, 52.0, 10.9, 28.0]),
        ("table2", "embedded_mnist", "lstm", "t20", [10.0, 10.0, 10.0]),   # nothing learned
        ("table2", "embedded_mnist", "plstm", "t20", [10.0, 19.0]),        # 19 < 10 + 10
        ("table4", "embedded_text", "rlstm", "full", [7.2, 40.0], 0, 14),  # chance 7.14%
    ])
    flagged = learning.collapsed_runs(runs, CFG)
    got = {(r.experiment, r.method, r.seed): r for r in flagged.itertuples()}
    assert set(got) == {("table2", "rlstm", 0), ("table2", "rlstm", 3), ("table4", "rlstm", 0)}
    r = got[("table2", "rlstm", 3)]
    assert r.test_accuracy_pct == 10.9 and r.chance_pct == 10.0 and r.best_other_pct == 52.0
    assert r.reason == ("ended at chance (10.9%, chance 10.0%) while other seeds of its cell "
                        "learned (3 above chance + 10 pp, best 52.0%)")
    assert got[("table4", "rlstm", 0)].chance_pct == pytest.approx(100 / 14)
    # The margin is the config's: at 40 pp only the 52% seed counts as learned.
    wide = learning.collapsed_runs(runs, CFG.replace(chance_margin_pp=40.0))
    assert set(wide["seed"]) == {0, 3} and set(wide["experiment"]) == {"table2"}
    assert "1 above chance + 40 pp" in wide["reason"].iloc[0]


def test_failed_runs_are_never_flagged_as_collapsed():
    runs = runs_frame([("table2", "embedded_mnist", "rlstm", "t20", [45.0], 2)])
    assert learning.collapsed_runs(runs, CFG).empty
    assert list(learning.collapsed_runs(runs.iloc[0:0], CFG).columns) == \
        learning.COLLAPSED_COLUMNS


def test_cells_learned_at_chance_or_in_between():
    runs = runs_frame([
        ("table2", "m", "lstm", "full", [86.0, 90.0, 91.0]),          # learned
        ("table2", "m", "lstm", "t20", [10.0, 10.0, 15.0]),           # interval from 10
        ("table2", "m", "plstm", "full", [12.0, 30.0, 50.0]),         # from 12: in between
        ("table2", "m", "rlstm", "t20", [25.0]),                      # one seed: its mean
        ("table2", "m", "rplstm", "t20", [], 2),                      # nothing completed
    ])
    cells = summarize_cells(runs, CFG)
    out = dict(zip(zip(cells["method"], cells["setting"]), learning.cell_outcomes(cells, CFG)))
    assert out == {("lstm", "full"): "learned", ("lstm", "t20"): "at chance",
                   ("plstm", "full"): "in between", ("rlstm", "t20"): "learned",
                   ("rplstm", "t20"): None}
    # A bigger margin asks more of "learned"
    strict = learning.cell_outcomes(cells, CFG.replace(chance_margin_pp=20.0))
    assert list(strict[cells["method"] == "rlstm"]) == ["in between"]


def test_unknown_number_of_classes_says_nothing():
    runs = runs_frame([("table2", "m", "lstm", "full", [10.0, 50.0])])
    runs["n_classes"] = float("nan")
    assert learning.collapsed_runs(runs, CFG).empty
    cells = summarize_cells(runs, CFG)
    assert learning.cell_outcomes(cells, CFG).isna().all()
    assert isinstance(learning.chance_pct(pd.Series([4.0])).iloc[0], float)


def test_what_ran_per_experiment_and_dataset():
    runs = runs_frame([
        ("table2", "m", "rlstm", "t20", [40.0, 45.0, 50.0, 55.0, 60.0]),
        ("table2", "m", "lstm", "full", [80.0, 81.0, 82.0, 83.0], 1),   # a failed seed counts
        ("table2", "m", "lstm", "t20", [10.0, 10.0, 10.0]),
        ("table2", "c", "transformer", "full", [30.0, 31.0, 32.0]),
    ])
    runs["epochs"] = 12.0
    runs["pretrain_epochs"] = [2.0 if m == "rlstm" else 0.0 for m in runs["method"]]
    runs.loc[runs["dataset"] == "c", "epochs"] = 7.0
    scope = run_scope(runs).set_index("dataset")
    assert list(scope.index) == ["m", "c"]  # the runs' order, not the alphabet's
    m = scope.loc["m"]
    assert m["methods"] == ["lstm", "rlstm"] and m["settings"] == ["full", "t20"]
    assert (m["min_seeds"], m["max_seeds"]) == (3, 5)
    assert m["epochs"] == [12] and m["pretrain_epochs"] == [2]
    c = scope.loc["c"]
    assert (c["min_seeds"], c["max_seeds"], c["epochs"], c["pretrain_epochs"]) == (3, 3, [7], [])
