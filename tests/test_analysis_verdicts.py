"""Verdict rules at their edges, paper matching, and the claims with Holm within each family."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from auxbench.analysis import verdicts
from auxbench.analysis.cells import summarize_cells
from auxbench.analysis.options import AnalysisConfig
from auxbench.analysis.paper import CLAIMS, PAPER_VALUES
from auxbench.analysis.runs import RUN_COLUMNS
from auxbench.analysis.stats import holm

V = verdicts.numeric_verdict
CFG = AnalysisConfig(n_resamples=500)


def runs_frame(spec: list[tuple]) -> pd.DataFrame:
    """spec rows: (experiment, dataset, method, setting, [percent values], n_failed[, n_classes])."""
    rows = []
    for exp, ds, method, setting, values, *rest in spec:
        n_failed = rest[0] if rest else 0
        n_classes = rest[1] if len(rest) > 1 else 10
        seeds = list(values) + [None] * n_failed
        for seed, v in enumerate(seeds):
            r = dict.fromkeys(RUN_COLUMNS)
            r.update(experiment=exp, dataset=ds, method=method, setting=setting, seed=seed,
                     status="completed" if v is not None else "failed",
                     test_accuracy_pct=math.nan if v is None else float(v),
                     error=None if v is not None else "out of memory",
                     n_classes=n_classes, seq_len=784)
            rows.append(r)
    return pd.DataFrame(rows, columns=RUN_COLUMNS)


# --------------------------------------------------------------------------- numeric verdicts


def test_paper_value_exactly_at_the_interval_bound_is_reproduced():
    assert V(50.0, 51.5, 50.0, 53.0, 3)[0] == "reproduced"
    assert V(53.0, 51.5, 50.0, 53.0, 3)[0] == "reproduced"
    # A hair outside the bound, and the mean more than the tolerance away: undecided.
    assert V(50.0, 51.5, 50.0001, 53.0, 3)[0] == "inconclusive"


def test_mean_exactly_at_the_tolerance_is_reproduced():
    assert V(50.0, 51.0, 50.5, 51.5, 3, tolerance=1.0)[0] == "reproduced"
    assert V(50.0, 51.0001, 50.5001, 51.5001, 3, tolerance=1.0)[0] == "inconclusive"
    # The tolerance is a parameter: 0.5 turns the first case undecided.
    assert V(50.0, 51.0, 50.5, 51.5, 3, tolerance=0.5)[0] == "inconclusive"


def test_better_and_worse_need_the_whole_interval_beyond_the_band():
    assert V(50.0, 52.0, 51.01, 53.0, 3, tolerance=1.0)[0] == "better"
    assert V(50.0, 52.0, 51.0, 53.0, 3, tolerance=1.0)[0] == "inconclusive"  # lo == P + tol
    assert V(50.0, 48.0, 47.0, 48.99, 3, tolerance=1.0)[0] == "worse"
    assert V(50.0, 48.0, 47.0, 49.0, 3, tolerance=1.0)[0] == "inconclusive"  # hi == P - tol


def test_wide_interval_is_inconclusive_but_cannot_hide_a_clear_miss():
    verdict, reason = V(50.0, 50.5, 40.0, 61.0, 3, max_halfwidth=5.0)
    assert verdict == "inconclusive" and "too wide" in reason
    assert V(50.0, 50.5, 46.0, 55.0, 3, max_halfwidth=5.0)[0] == "reproduced"
    # Entirely above the band: 'better' however wide the interval is.
    assert V(50.0, 70.0, 55.0, 85.0, 3, max_halfwidth=5.0)[0] == "better"


def test_sample_size_edges():
    verdict, reason = V(50.0, 50.0, math.nan, math.nan, 1)
    assert verdict == "inconclusive" and "n=1" in reason
    assert V(50.0, 50.2, 49.8, 50.6, 2)[0] == "reproduced"
    assert V(50.0, math.nan, math.nan, math.nan, 0)[0] == "not run"
    assert V(50.0, math.nan, math.nan, math.nan, 0, n_failed=3)[0] == "failed"


def test_failed_seed_is_reported_in_the_reason():
    verdict, reason = V(50.0, 50.2, 49.8, 50.6, 2, n_failed=1)
    assert verdict == "reproduced" and "2 of 3 seeds" in reason and "1 failed" in reason


def test_scale_and_literature():
    assert V(50.0, 50.0, 49.0, 51.0, 3, comparable=False)[0] == "not comparable (scale)"
    assert V(97.0, math.nan, math.nan, math.nan, 0, kind="literature")[0] == "context"


# --------------------------------------------------------------------------- paper table


def test_paper_values_hold_every_section_5_1_number():
    main = [p for p in PAPER_VALUES if p.experiment == "table2" and p.kind == "paper"]
    assert len(main) == 21  # 7 rows x 3 datasets
    lookup = {(p.dataset, p.method, p.setting): p.value for p in main}
    assert lookup[("mnist", "lstm", "t300")] == 11.3
    assert lookup[("cifar10", "rlstm", "full")] == 72.2
    assert lookup[("pmnist", "transformer", "full")] == 97.9
    lit = [p for p in PAPER_VALUES if p.kind == "literature"]
    assert {p.method for p in lit} == {"irnn", "urnn"} and len(lit) == 4
    assert all(p.source for p in PAPER_VALUES)


def test_paper_vs_reproduced_rows():
    cfg = AnalysisConfig(n_resamples=500, scale="paper")
    runs = runs_frame([
        ("table2", "mnist", "lstm", "full", [98.2, 98.3, 98.4]),
        ("table2", "mnist", "rlstm", "t300", [90.0, 90.5, 91.0]),
        ("table2", "mnist", "transformer", "default", [98.8, 98.9, 99.0]),
        ("table2", "embedded_cifar", "rlstm", "full", [72.1, 72.2, 72.3]),
        ("table2", "pmnist", "lstm", "full", [89.3, 89.5], 1),
    ])
    pv = verdicts.paper_vs_reproduced(summarize_cells(runs, cfg), cfg)
    get = {(r.paper_dataset, r.method, r.setting): r for r in pv.itertuples()}
    assert get[("mnist", "lstm", "full")].verdict == "reproduced"
    assert get[("mnist", "rlstm", "t300")].verdict == "worse"
    # A Transformer ran under another setting name: still matched.
    assert get[("mnist", "transformer", "default")].verdict == "reproduced"
    assert get[("cifar10", "rlstm", "full")].verdict == "not comparable (scale)"
    assert get[("pmnist", "lstm", "full")].n_failed == 1
    assert "2 of 3 seeds" in get[("pmnist", "lstm", "full")].reason
    assert get[("cifar10", "plstm", "t300")].verdict == "not run"
    assert get[("mnist", "irnn", "full")].verdict == "context"
    assert len(pv) == len(PAPER_VALUES)


# --------------------------------------------------------------------------- claims


def _claim_rows(detail, claim):
    return detail[detail["claim"] == claim]


def _table2(rl300, l300, datasets=("mnist", "pmnist", "cifar10")):
    spec = []
    for ds in datasets:
        spec.append(("table2", ds, "rlstm", "t300", rl300))
        spec.append(("table2", ds, "lstm", "t300", l300))
    return spec


def test_claim_a_supported_contradicted_and_inconclusive():
    up, down = [70.0, 71.0, 72.0, 71.5], [50.0, 51.0, 52.0, 51.5]
    detail, roll = verdicts.evaluate_claims(runs_frame(_table2(up, down)), CFG)
    a = _claim_rows(detail, "a")
    assert list(a["verdict"]) == ["supported"] * 3
    assert roll[(roll["claim"] == "a") & (roll["scope"] == "all")]["verdict"].item() == "supported"

    detail, _ = verdicts.evaluate_claims(runs_frame(_table2(down, up)), CFG)
    assert set(_claim_rows(detail, "a")["verdict"]) == {"contradicted"}

    same = [60.0, 61.0, 62.0]
    detail, _ = verdicts.evaluate_claims(runs_frame(_table2(same, same)), CFG)
    a = _claim_rows(detail, "a")
    assert set(a["verdict"]) == {"inconclusive"}
    assert a["note"].str.contains("not significant after Holm").all()


def test_data_against_a_claim_are_said_so_where_holm_leaves_it_undecided():
    """r-LSTM 2 pp below LSTM on one dataset of three: the opposite test is significant alone
    (p about 0.035) but not after Holm across the claim's 3 tests."""
    low, high, same = [60.0, 61.0, 62.0, 63.0], [62.0, 63.0, 64.0, 65.0], [60.0, 61.0, 62.0]
    spec = [("table2", "mnist", "rlstm", "t300", low), ("table2", "mnist", "lstm", "t300", high)]
    spec += [("table2", ds, m, "t300", same) for ds in ("pmnist", "cifar10")
             for m in ("rlstm", "lstm")]
    detail, roll = verdicts.evaluate_claims(runs_frame(spec), CFG)
    a = _claim_rows(detail, "a").set_index("paper_dataset")
    mnist = a.loc["mnist"]
    assert mnist["p_opposite"] < CFG.alpha <= mnist["p_opposite_holm"]
    assert mnist["verdict"] == verdicts.AGAINST
    assert mnist["diff_high"] < 0  # the 90% interval wholly on the wrong side
    assert f"p={mnist['p_opposite']:.3g}" in mnist["note"]
    assert set(a.loc[["pmnist", "cifar10"], "verdict"]) == {"inconclusive"}
    scope = roll[(roll["claim"] == "a")].set_index("scope")
    assert scope.loc["mnist", "verdict"] == scope.loc["all", "verdict"] == verdicts.AGAINST
    assert scope.loc["all", "n_against"] == 1
    assert verdicts.deciding_test(a.reset_index())["paper_dataset"] == "mnist"


def test_claim_intervals_are_the_one_sided_tests_90_percent_intervals():
    x, y = [70.0, 71.0, 73.0, 71.5], [69.0, 71.0, 70.0, 70.5]
    detail, _ = verdicts.evaluate_claims(runs_frame(_table2(x, y, ("mnist",))), CFG)
    a = _claim_rows(detail, "a").iloc[0]
    ci = stats.ttest_ind(x, y, equal_var=False).confidence_interval(0.90)
    assert (a["diff_low"], a["diff_high"]) == pytest.approx((ci.low, ci.high))
    assert (a["diff_low"] > 0) == (a["p"] < CFG.alpha)


def test_holm_is_applied_within_each_claim_family():
    rng = np.random.default_rng(1)
    spec = []
    for ds, gap in (("mnist", 0.8), ("pmnist", 1.5), ("cifar10", 3.0)):
        spec.append(("table2", ds, "rlstm", "t300", list(60 + gap + rng.normal(0, 1, 4))))
        spec.append(("table2", ds, "lstm", "t300", list(60 + rng.normal(0, 1, 4))))
    detail, _ = verdicts.evaluate_claims(runs_frame(spec), CFG)
    a = _claim_rows(detail, "a")
    np.testing.assert_allclose(a["p_holm"], holm(a["p"].to_numpy()))
    assert (a["p_holm"] >= a["p"] - 1e-15).all()
    assert ((a["p_holm"] < 0.05) == (a["verdict"] == "supported")).all()


def test_missing_cells_are_not_run_never_dropped():
    detail, roll = verdicts.evaluate_claims(runs_frame(_table2([70, 71, 72], [50, 51, 52])), CFG)
    d = _claim_rows(detail, "d")
    assert len(d) == 6 and set(d["verdict"]) == {"not run"}
    c = _claim_rows(detail, "c")
    assert len(c) == 15 and set(c["verdict"]) == {"not run"}
    e = _claim_rows(detail, "e")
    assert list(e["verdict"]) == ["not run"] and e["paper_dataset"].item() == "cifar10"
    # Claim (b) covers only pMNIST and CIFAR-10.
    assert set(_claim_rows(detail, "b")["paper_dataset"]) == {"pmnist", "cifar10"}
    assert roll[(roll["claim"] == "d") & (roll["scope"] == "all")]["verdict"].item() == "not run"


def test_partly_run_claim_cannot_be_supported():
    spec = [("table2", "mnist", "rlstm", "full", [90, 91, 92]),
            ("table2", "mnist", "lstm", "full", [70, 71, 72]),
            ("table2", "mnist", "lstm", "t300", [60, 61, 62]),
            ("table2", "mnist", "rlstm", "t300", [80, 81, 82])]
    detail, roll = verdicts.evaluate_claims(runs_frame(spec), CFG)
    c = _claim_rows(detail, "c")
    mnist = c[c["paper_dataset"] == "mnist"]
    assert list(mnist["verdict"]).count("supported") == 3
    assert list(mnist["verdict"]).count("not run") == 2  # no p-LSTM
    scope = roll[(roll["claim"] == "c") & (roll["scope"] == "mnist")]
    assert scope["verdict"].item() == "inconclusive" and scope["n_not_run"].item() == 2


def test_noninferiority_claim_d_uses_the_margin():
    spec = []
    for s in ("t300", "full"):
        spec.append(("table2", "mnist", "rlstm", s, [80.0, 80.1, 79.9, 80.05]))
        spec.append(("table2", "mnist", "plstm", s, [80.3, 80.4, 80.2, 80.35]))
    runs = runs_frame(spec)
    detail, _ = verdicts.evaluate_claims(runs, CFG)
    d = _claim_rows(detail, "d")
    d = d[d["paper_dataset"] == "mnist"]
    # 0.3 below p-LSTM but within the 1 pp margin: non-inferior.
    assert set(d["verdict"]) == {"supported"}
    detail, _ = verdicts.evaluate_claims(runs, CFG.replace(noninferiority_margin_pp=0.0))
    d = _claim_rows(detail, "d")
    assert set(d[d["paper_dataset"] == "mnist"]["verdict"]) == {"contradicted"}


def test_claim_e_against_chance_plus_margin():
    runs = runs_frame([("fig4", "embedded_cifar", "rlstm", "t0", [25.0, 26.0, 27.0, 25.5], 0,
                        10)])
    detail, _ = verdicts.evaluate_claims(runs, CFG)
    e = _claim_rows(detail, "e")
    assert e["verdict"].item() == "supported" and e["mean2"].item() == pytest.approx(20.0)
    detail, _ = verdicts.evaluate_claims(runs, CFG.replace(chance_margin_pp=20.0))
    e = _claim_rows(detail, "e")
    assert e["verdict"].item() == "contradicted" and e["mean2"].item() == pytest.approx(30.0)
    assert "control" not in e["note"].item()  # no LSTM Truncate 0 was run


def test_claim_e_names_the_lstm_control_at_the_same_truncation():
    runs = runs_frame([("fig4", "embedded_cifar", "rlstm", "t0", [25.0, 26.0, 27.0], 0, 10),
                       ("fig4", "embedded_cifar", "lstm", "t0", [30.0, 31.0, 32.0], 0, 10)])
    e = _claim_rows(verdicts.evaluate_claims(runs, CFG)[0], "e")
    assert e["verdict"].item() == "supported"
    assert "control without auxiliary loss: LSTM Truncate 0 31.0% (n=3)" in e["note"].item()


def test_claim_with_failed_seed_says_so():
    spec = _table2([70, 71, 72], [50, 51, 52], datasets=("mnist",))
    spec[0] = ("table2", "mnist", "rlstm", "t300", [70, 71, 72], 1)
    detail, _ = verdicts.evaluate_claims(runs_frame(spec), CFG)
    a = _claim_rows(detail, "a")
    row = a[a["paper_dataset"] == "mnist"].iloc[0]
    assert row["n1"] == 3 and row["n1_failed"] == 1 and "1 of 4 seeds failed" in row["note"]


def test_n1_cell_gives_no_claim_p_value():
    spec = _table2([70.0], [50.0, 51.0], datasets=("mnist",))
    detail, _ = verdicts.evaluate_claims(runs_frame(spec), CFG)
    row = _claim_rows(detail, "a").iloc[0]
    assert row["verdict"] == "inconclusive" and math.isnan(row["p"])


def test_claim_f_is_the_new_question():
    f = next(c for c in CLAIMS if c.id == "f")
    assert {a[0] for a, _ in f.comparisons} == {"rplstm"}
    assert {b[0] for _, b in f.comparisons} == {"rlstm", "plstm"}


def test_failed_runs_account():
    runs = runs_frame([("table2", "mnist", "lstm", "full", [90.0], 2)])
    f = verdicts.failed_runs(runs)
    assert len(f) == 2 and set(f["status"]) == {"failed"}


def test_options_from_workflow_config():
    cfg = AnalysisConfig.from_mapping({
        "scale": "paper", "seeds": [0, 1, 2], "paper_datasets": {"my_mnist": "mnist"},
        "analysis": {"tolerance_pp": 0.5, "chance_margin_pp": 5},
    })
    assert cfg.seeds == (0, 1, 2) and cfg.tolerance_pp == 0.5 and cfg.chance_margin_pp == 5.0
    assert cfg.paper_dataset("my_mnist") == "mnist"
    assert cfg.paper_dataset("embedded_cifar-s32-t100-ab12") == "cifar10"
    assert cfg.paper_dataset("embedded_text-abc") == "dbpedia"
    assert cfg.is_comparable("mnist") and not cfg.is_comparable("embedded_mnist")
    assert not AnalysisConfig().is_comparable("mnist")  # default scale


def test_a_stand_in_of_real_data_is_never_compared_with_the_paper():
    """Real digits standing in for MNIST (the default scale) are neither the paper's data nor a
    reduced copy of it, at any scale."""
    opts = {"paper_datasets": {"digits": "mnist", "mnist_s14": "mnist"}, "stand_ins": ["digits"]}
    for scale in ("embedded", "lite", "paper"):
        cfg = AnalysisConfig.from_mapping({**opts, "scale": scale})
        assert not cfg.is_comparable("digits") and not cfg.is_reduced("digits")
    assert AnalysisConfig.from_mapping({**opts, "scale": "lite"}).is_reduced("mnist_s14")


def test_claims_use_the_configured_truncated_setting():
    """At a reduced scale the paper's Truncate 300 is played by another tK setting."""
    from auxbench.analysis.options import AnalysisConfig

    cfg = AnalysisConfig.from_mapping({"analysis": {"truncated_setting": "t32"}})
    assert cfg.claim_cell(("rlstm", "t300")) == ("rlstm", "t32")
    assert cfg.claim_cell(("rlstm", "full")) == ("rlstm", "full")
    assert cfg.claim_cell(("rlstm", "t0")) == ("rlstm", "t0")


def test_claim_texts_name_the_truncation_that_was_run():
    """At t20 no claim text or label says Truncate 300 alone: it names Truncate 20 and says
    which of the paper's settings it plays; at the paper's t300 the texts are the paper's."""
    from auxbench.analysis.style import played_text

    texts = {c.id: c.text for c in CLAIMS}
    assert played_text(texts["a"], "t20") == (
        "r-LSTM Truncate 20 beats LSTM Truncate 20 (the paper's Truncate 300)")
    assert played_text(texts["b"], "t20") == (
        "r-LSTM Truncate 20 (the paper's Truncate 300) beats LSTM Full BP on pMNIST and CIFAR-10")
    assert played_text(texts["d"], "t20") == ("r-LSTM is at least as good as p-LSTM at "
                                              "Truncate 20 (the paper's Truncate 300) and at "
                                              "Full BP")
    assert played_text(texts["a"], "t300") == texts["a"]
    assert played_text(texts["e"], "t20") == texts["e"]  # Truncate 0 is run as the paper's

    cfg = CFG.replace(truncated_setting="t20")
    spec = [("table2", "mnist", "rlstm", "t20", [70.0, 71.0, 72.0]),
            ("table2", "mnist", "lstm", "t20", [50.0, 51.0, 52.0])]
    detail, roll = verdicts.evaluate_claims(runs_frame(spec), cfg)
    a = _claim_rows(detail, "a")
    assert set(a["claim_text"]) == {played_text(texts["a"], "t20")}
    assert a.iloc[0]["comparison"] == "r-LSTM Truncate 20 > LSTM Truncate 20"
    assert a.iloc[0]["verdict"] == "supported"
    assert not roll["claim_text"].str.contains("Truncate 300 beats").any()
    assert set(roll.loc[roll["claim"] == "a", "claim_text"]) == {played_text(texts["a"], "t20")}


def test_paper_truncate_300_numbers_meet_the_truncation_that_plays_them():
    cfg = AnalysisConfig(n_resamples=500, truncated_setting="t20")
    runs = runs_frame([("table2", "embedded_mnist", "lstm", "t20", [10.0, 11.0, 12.0])])
    pv = verdicts.paper_vs_reproduced(summarize_cells(runs, cfg), cfg)
    row = pv[(pv["paper_dataset"] == "mnist") & (pv["method"] == "lstm")
             & (pv["paper"] == 11.3)].iloc[0]
    assert row["label"] == "LSTM Truncate 20 (the paper's Truncate 300)"
    assert row["setting"] == "t20" and row["n"] == 3
    assert row["verdict"] == "not comparable (scale)"


def test_each_claim_test_says_the_smallest_difference_it_detects():
    """At Holm's worst case alpha/m, power 0.8, from the cells' SDs and seeds."""
    from scipy import stats as sps

    def power(diff, row, alpha):
        v = [row["sd1"] ** 2 / row["n1"], row["sd2"] ** 2 / row["n2"]]
        df = sum(v) ** 2 / sum(x * x / (n - 1) for x, n in zip(v, (row["n1"], row["n2"])))
        return sps.nct.sf(sps.t.ppf(1 - alpha, df), df, diff / math.sqrt(sum(v)))

    spec = _table2([70.0, 71.0, 73.0], [50.0, 51.0, 52.0, 55.0])
    spec += [("table2", "mnist", "plstm", s, [60.0, 64.0, 61.0]) for s in ("t300", "full")]
    spec += [("table2", "mnist", "rlstm", "full", [75.0, 74.0, 76.0])]
    detail, _ = verdicts.evaluate_claims(runs_frame(spec), CFG)
    a = _claim_rows(detail, "a").iloc[0]
    assert (a["n1"], a["n2"]) == (3, 4) and a["sd1"] == pytest.approx(np.std([70, 71, 73], ddof=1))
    # Three datasets ran claim (a): each test is read at 0.05 / 3.
    assert power(a["detectable_pp"], a, 0.05 / 3) == pytest.approx(0.8, abs=1e-6)
    assert power(a["detectable_pp"], a, 0.05) > 0.9
    # Non-inferiority (d) detects differences above minus the margin: 1 pp lower.
    d = _claim_rows(detail, "d")
    d = d[d["verdict"] != "not run"]
    assert len(d) == 2  # both on mnist: m = 2
    for _, row in d.iterrows():
        assert power(row["detectable_pp"] + 1.0, row, 0.05 / 2) == pytest.approx(0.8, abs=1e-6)
    assert _claim_rows(detail, "f")["detectable_pp"].isna().all()  # not run


def test_claim_e_detectable_is_a_one_sample_test():
    from auxbench.analysis.stats import detectable_difference

    runs = runs_frame([("fig4", "embedded_cifar", "rlstm", "t0", [25.0, 26.0, 27.0, 25.5], 0,
                        10)])
    e = _claim_rows(verdicts.evaluate_claims(runs, CFG)[0], "e").iloc[0]
    sd = np.std([25.0, 26.0, 27.0, 25.5], ddof=1)
    assert e["detectable_pp"] == pytest.approx(detectable_difference([sd], [4], 0.05))
    assert 1.0 < e["detectable_pp"] < 3.0


def test_the_deciding_test_of_a_claim_on_a_dataset():
    """A contradiction decides; else the weakest support (largest Holm p, no p first)."""
    def tests(*rows):
        return pd.DataFrame([{"comparison": c, "verdict": v, "p_holm": p, "p_opposite_holm": q}
                             for c, v, p, q in rows])

    pick = verdicts.deciding_test
    assert pick(tests(("x", "supported", 0.001, 1.0), ("y", "supported", 0.03, 1.0),
                      ("z", "not run", math.nan, math.nan)))["comparison"] == "y"
    assert pick(tests(("x", "supported", 0.001, 1.0), ("y", "inconclusive", 0.4, 0.5),
                      ("z", "contradicted", 1.0, 0.02), ("w", "contradicted", 1.0, 0.001))
                )["comparison"] == "w"
    assert pick(tests(("x", "inconclusive", 0.9, 0.2),
                      ("y", "inconclusive", math.nan, math.nan)))["comparison"] == "y"
    assert pick(tests(("z", "not run", math.nan, math.nan))) is None


def test_a_cell_without_completed_seeds_detects_nothing():
    """Not a one-sample test in disguise: the other cell has no seeds to compare with."""
    spec = [("table2", "mnist", "rlstm", "full", [80.0, 82.0, 81.0]),
            ("table2", "mnist", "lstm", "full", [], 2),
            ("table2", "mnist", "lstm", "t300", [50.0, 52.0, 51.0])]
    c = _claim_rows(verdicts.evaluate_claims(runs_frame(spec), CFG)[0], "c")
    get = c[c["dataset"] == "mnist"].set_index("comparison")["detectable_pp"]
    assert math.isnan(get["r-LSTM Full BP > LSTM Full BP"])
    assert get["r-LSTM Full BP > LSTM Truncate 300"] > 0


def test_a_claim_decided_on_the_one_dataset_that_ran_is_decided_overall():
    """The default scale runs claim (a) on the MNIST kind only: its other datasets, not run,
    neither support nor weaken it; a dataset where it is inconclusive does."""
    spec = [("table2", "mnist", "rlstm", "t300", [80, 81, 82]),
            ("table2", "mnist", "lstm", "t300", [60, 61, 62])]
    _, roll = verdicts.evaluate_claims(runs_frame(spec), CFG)
    a = roll[roll["claim"] == "a"].set_index("scope")
    assert a.loc["all", "verdict"] == "supported" and a.loc["all", "n_not_run"] == 2
    assert verdicts.rollup_datasets(["supported", "inconclusive", "not run"]) == "inconclusive"
    assert verdicts.rollup_datasets(["supported", "contradicted"]) == "contradicted"
    assert verdicts.rollup_datasets(["not run", "not run"]) == "not run"
