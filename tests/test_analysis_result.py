"""The analysis's result on disk: `load` gives back what `analyze` computed, so the tables,
figures and report drawn from it are those of the analysis itself (computed once)."""

from __future__ import annotations

import pandas as pd

from auxbench.analysis import aggregate, analyze, load, make_tables
from auxbench.analysis.synthetic import write_demo_resources, write_run


def test_load_gives_back_every_frame_and_the_same_tables(tmp_path):
    runs = tmp_path / "runs"
    for seed, acc in enumerate([0.91, 0.93, 0.92]):
        write_run(runs, "table2", "mnist", "lstm", "full", seed, acc)
        write_run(runs, "table2", "mnist", "rlstm", "t300", seed, acc + 0.03)
        write_run(runs, "fig4", "embedded_cifar", "lstm", "t0", seed, 0.1 + acc / 10)
        write_run(runs, "fig4", "embedded_cifar", "rlstm", "t0", seed, 0.4 + acc / 10)
        write_run(runs, "fig5", "embedded_cifar", "rlstm", "t300", seed, acc, pretrain_epochs=2)
    write_run(runs, "table2", "mnist", "lstm", "full", 3, None, status="failed", error="nan loss")
    a = analyze(runs, {"scale": "paper", "analysis": {"n_resamples": 200}},
                resources_json=write_demo_resources(tmp_path / "resources.json"))
    a.plan = {"scale": "paper", "n_runs": 16}
    aggregate(a, tmp_path / "agg")
    b = load(tmp_path / "agg")
    assert b.cfg == a.cfg and b.plan == a.plan and b.experiments == a.experiments
    for name in ("runs", "cells", "paper_vs", "claims", "claims_rollup", "failed", "resources",
                 "job_usage", "compute_summary", "curves", "curve_bands"):
        pd.testing.assert_frame_equal(getattr(b, name), getattr(a, name), obj=name)
    assert set(b.comparisons) == set(a.comparisons) == {"table2", "fig4"}
    for name, df in a.comparisons.items():
        pd.testing.assert_frame_equal(b.comparisons[name], df, obj=name)
    assert not a.curve_bands.empty
    make_tables(a, tmp_path / "t1")
    make_tables(b, tmp_path / "t2")
    for f in sorted((tmp_path / "t1").iterdir()):
        if f.name != "manifest.json":
            assert f.read_bytes() == (tmp_path / "t2" / f.name).read_bytes(), f.name
