"""Loading run folders, curves, resource benchmarks and job usage in the real formats; clear errors on bad input."""

from __future__ import annotations

import json
import math

import pytest

from auxbench.analysis import runs as runs_mod
from auxbench.analysis.synthetic import write_demo_resources, write_run
from auxbench.atomic import write_json, write_text
from auxbench.errors import DataError
from auxbench.paths import RunKey


def test_load_runs_statuses_and_percent(tmp_path):
    write_run(tmp_path, "table2", "mnist", "rlstm", "t300", 0, 0.964)
    write_run(tmp_path, "table2", "mnist", "rlstm", "t300", 1, None, status="failed",
              error="CUDA out of memory")
    (tmp_path / "table2" / "mnist" / "rlstm-t300" / "seed2").mkdir()
    write_run(tmp_path, "fig6", "embedded_cifar", "rlstm", "no_aux_in_training", 0, 0.5)
    df = runs_mod.load_runs(tmp_path)
    assert list(df["status"]) == ["completed", "completed", "failed", "missing"]
    row = df[(df["experiment"] == "table2") & (df["seed"] == 0)].iloc[0]
    assert row["test_accuracy_pct"] == pytest.approx(96.4)
    assert row["n_classes"] == 10 and row["seq_len"] == 784
    failed = df[df["status"] == "failed"].iloc[0]
    assert math.isnan(failed["test_accuracy_pct"]) and "out of memory" in failed["error"]
    # setting names with underscores survive the <method>-<setting> split
    assert "no_aux_in_training" in set(df["setting"])


def test_planned_runs_only_and_missing_ones_marked(tmp_path):
    """Given the planned runs' keys, a run without a folder is `missing` and folders of runs
    not planned (an earlier config, other seeds) are neither read nor mixed in."""
    keys = [RunKey("table2", "mnist", m, "t300", s) for m in ("lstm", "rlstm") for s in (0, 1)]
    write_run(tmp_path, *keys[0].as_keys().values(), 0.5)
    write_run(tmp_path, *keys[1].as_keys().values(), None, status="failed")
    write_run(tmp_path, "table2", "mnist", "lstm", "t300", 9, 0.9)
    write_run(tmp_path, "oldexp", "x", "lstm", "full", 0, 0.99)
    df = runs_mod.load_runs(tmp_path, keys)
    assert [RunKey.of(r) for _, r in df.iterrows()] == keys
    assert list(df["status"]) == ["completed", "failed", "missing", "missing"]
    assert df["error"].iloc[2] == "no run folder (never run, or not unpacked)"
    assert set(runs_mod.load_curves(tmp_path, keys)["seed"]) == {0, 1}
    assert runs_mod.unplanned_dirs(tmp_path, keys) == [
        str(tmp_path / "oldexp/x/lstm-full/seed0"), str(tmp_path / "table2/mnist/lstm-t300/seed9")]


def test_a_shared_run_is_read_from_its_trained_twin_under_its_own_name(tmp_path):
    """Figure 4's Truncate 20 run is Table 2's: the row and curve carry fig4's keys, the numbers
    and the folder are table2's, and `shared_from` says so; a shared run whose twin has no
    folder is missing, never silently dropped."""
    twin = RunKey("table2", "mnist", "rlstm", "t20", 0)
    mine = RunKey("fig4", "mnist", "rlstm", "t20", 0)
    orphan, lost = RunKey("fig6", "mnist", "rlstm", "full_method", 1), RunKey(
        "table2", "mnist", "rlstm", "t20", 1)
    write_run(tmp_path, *twin.as_keys().values(), 0.42)
    df = runs_mod.load_runs(tmp_path, [twin, mine, orphan], {mine: twin, orphan: lost})
    assert [RunKey.of(r) for _, r in df.iterrows()] == [twin, mine, orphan]
    assert list(df["test_accuracy_pct"].iloc[:2]) == pytest.approx([42.0, 42.0])
    assert df["shared_from"].isna().iloc[0]
    assert df["shared_from"].iloc[1:].tolist() == [twin.rel, lost.rel]
    assert df["run_dir"].iloc[1] == str(twin.folder(tmp_path))
    assert df["status"].iloc[2] == "missing"
    curves = runs_mod.load_curves(tmp_path, [twin, mine], {mine: twin})
    assert sorted(curves["experiment"].unique()) == ["fig4", "table2"]
    a, b = (curves[curves["experiment"] == e]["test_accuracy"].tolist() for e in ("fig4", "table2"))
    assert a == b and len(a) > 0
    assert not (tmp_path / mine.rel).exists()


def test_metrics_that_disagree_with_the_folder_are_refused(tmp_path):
    d = write_run(tmp_path, "table2", "mnist", "lstm", "full", 0, 0.9)
    m = json.loads((d / "metrics.json").read_text())
    m["method"] = "rlstm"
    write_json(d / "metrics.json", m)
    with pytest.raises(DataError, match="disagrees with its folder"):
        runs_mod.load_runs(tmp_path)


def test_bad_metrics_give_data_errors(tmp_path):
    d = write_run(tmp_path, "table2", "mnist", "lstm", "full", 0, 0.9)
    m = json.loads((d / "metrics.json").read_text())
    write_json(d / "metrics.json", {**m, "test_accuracy": 90.0})
    with pytest.raises(DataError, match="not a fraction"):
        runs_mod.load_runs(tmp_path)
    write_text(d / "metrics.json", "{not json")
    with pytest.raises(DataError, match="metrics.json: not valid JSON"):
        runs_mod.load_runs(tmp_path)
    write_json(d / "metrics.json", {**m, "status": "done"})
    with pytest.raises(DataError, match="status"):
        runs_mod.load_runs(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        runs_mod.load_runs(tmp_path / "nowhere")


def test_bad_folder_names_are_refused(tmp_path):
    (tmp_path / "table2" / "mnist" / "lstmfull" / "seed0").mkdir(parents=True)
    with pytest.raises(DataError, match="<method>-<setting>"):
        runs_mod.load_runs(tmp_path)


def test_curves_long_form_in_percent(tmp_path):
    write_run(tmp_path, "fig5", "cifar10", "rlstm", "t300", 0, 0.6, epochs=3, pretrain_epochs=2)
    cur = runs_mod.load_curves(tmp_path)
    assert list(cur["phase"]) == ["pretrain", "pretrain", "train", "train", "train"]
    assert math.isnan(cur["running_loss_sup"].iloc[0])  # no supervised loss in pretraining
    assert cur["test_accuracy"].iloc[-1] == pytest.approx(60.0)


def test_curve_of_the_old_format_keeps_its_running_numbers_apart(tmp_path):
    """Before eval-mode train numbers, train_* held running averages with dropout on."""
    d = write_run(tmp_path, "fig5", "cifar10", "lstm", "t300", 0, 0.6, epochs=1)
    (d / "curve.csv").write_text("epoch,phase,train_loss_sup,train_loss_aux,train_accuracy,"
                                 "test_loss,test_accuracy,lr,wall_time_s\n"
                                 "1,train,1.5,,0.4,1.1,0.6,0.001,0.5\n")
    row = runs_mod.load_curves(tmp_path).iloc[0]
    assert row["running_loss_sup"] == 1.5 and row["running_accuracy"] == pytest.approx(40.0)
    assert math.isnan(row["train_loss"]) and math.isnan(row["train_accuracy"])


def test_resource_benchmark_json(tmp_path):
    b = runs_mod.load_resources(write_demo_resources(tmp_path / "resources.json"))
    assert set(b["status"]) == {"ok", "oom"}
    assert (b["series"] == b["setting"]).all()
    recs = json.loads((tmp_path / "resources.json").read_text())
    recs[0]["backend"] = "fast"
    recs.append({**recs[0], "backend": "torch-default"})
    recs.append({**recs[1], "status": "skipped"})
    write_json(tmp_path / "b2.json", recs)
    b2 = runs_mod.load_resources(tmp_path / "b2.json")
    assert {"full [fast]", "full [torch-default]"} <= set(b2["series"])
    write_json(tmp_path / "b3.json", [{**recs[0], "status": "exploded"}])
    with pytest.raises(DataError, match="status"):
        runs_mod.load_resources(tmp_path / "b3.json")
    with pytest.raises(DataError, match="not found"):
        runs_mod.load_resources(tmp_path / "absent.json")


def test_job_usage_tsv(tmp_path):
    p = tmp_path / "train" / "table2" / "mnist" / "lstm-full" / "seed1.tsv"
    p.parent.mkdir(parents=True)
    p.write_text("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\t"
                 "cpu_time\n3600.5\t1:00:00\t512.3\t900\t400\t450\t1.0\t2.0\t95.0\t3500.0\n")
    df = runs_mod.load_job_usage(tmp_path)
    row = df.iloc[0]
    assert (row["experiment"], row["method"], row["setting"], row["seed"]) == (
        "table2", "lstm", "full", 1)
    assert row["s"] == pytest.approx(3600.5) and row["cpu_time"] == pytest.approx(3500.0)


def test_aggregation_refuses_a_cell_that_mixes_training_code(tmp_path):
    from auxbench.analysis import analyze

    for seed in (0, 1):
        write_run(tmp_path, "table2", "mnist", "rlstm", "t300", seed, 0.9)
    write_run(tmp_path, "table2", "mnist", "rlstm", "t300", 2, 0.5, code_version="stale")
    write_run(tmp_path, "table2", "mnist", "lstm", "t300", 0, 0.2, code_version="stale")
    with pytest.raises(DataError, match=r"table2/mnist/rlstm/t300 mixes runs made with "
                                        r"different training code .*stale: seeds \[2\]"):
        analyze(tmp_path)


def test_aggregation_accepts_cells_that_are_each_consistent(tmp_path):
    from auxbench.analysis import aggregate, analyze

    write_run(tmp_path, "table2", "mnist", "rlstm", "t300", 0, 0.9)
    write_run(tmp_path, "table2", "mnist", "lstm", "t300", 0, 0.2, code_version="other")
    assert aggregate(analyze(tmp_path), tmp_path / "out")
