"""The train numbers of curve.csv are measured like the test numbers: in eval mode, at the end of
each epoch, on a fixed class-stratified subset of the training split as large as the test set."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_resume import tiny_config

from auxbench import data
from auxbench.config import resolve
from auxbench.formats import CURVE_COLUMNS
from auxbench.models import build_model
from auxbench.train import engine
from auxbench.train.checkpoint import load_checkpoint
from auxbench.train.objective import predict_logits


def read_curve(run_dir) -> list[dict]:
    with open(run_dir / "curve.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_train_numbers_are_an_eval_mode_evaluation_of_the_model(tmp_path):
    cfg = tiny_config(tmp_path, method="lstm", epochs=2, pretrain_epochs=0)
    assert cfg["model"]["head_dropout"] == 0.5
    metrics = engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt")
    last = read_curve(tmp_path / "run")[-1]

    ds = data.load_prepared(data.prepare(data.validate_spec(cfg["dataset"]),
                                         cfg["runtime"]["data_root"]))
    subset = data.subset_indices(np.asarray(ds.train_y), len(ds.test_y), cfg["train"]["split_seed"])
    model = build_model(cfg, ds.channels, ds.vocab_size, ds.n_classes, ds.pad_token)
    model.load_state_dict(load_checkpoint(tmp_path / "ckpt" / "final.pt")["model"])
    model.eval()
    x = torch.from_numpy(np.ascontiguousarray(ds.train_x[subset]))
    y = torch.from_numpy(np.asarray(ds.train_y[subset], dtype=np.int64))
    logits = predict_logits(model, x, cfg["train"]["scan_chunk"])
    accuracy = float((logits.argmax(1) == y).double().mean())
    loss = float(F.cross_entropy(logits, y))

    assert float(last["train_accuracy"]) == pytest.approx(accuracy, rel=1e-5)
    assert float(last["train_loss"]) == pytest.approx(loss, rel=1e-5)
    assert metrics["train_accuracy"] == pytest.approx(accuracy, rel=1e-12)
    # the running loss, averaged over the epoch's batches with dropout on, is another number
    assert float(last["running_loss_sup"]) != pytest.approx(loss, rel=1e-3)


def test_train_subset_is_fixed_across_epochs_and_seeds_and_stratified(tmp_path, monkeypatch):
    measured = []  # (run seed, indices) of every evaluation on training examples
    real_evaluate = engine.evaluate

    def recording(model, split, cfg, device, stop=None):
        if len(split.x) == cfg["dataset"]["n_train"]:
            measured.append((cfg["run"]["seed"], split.index.copy()))
        return real_evaluate(model, split, cfg, device, stop)

    monkeypatch.setattr(engine, "evaluate", recording)
    for seed in (0, 1):
        cfg = tiny_config(tmp_path, method="rlstm", epochs=2, pretrain_epochs=1)
        cfg["run"]["seed"] = seed
        engine.train_run(cfg, tmp_path / f"seed{seed}", tmp_path / f"ckpt{seed}")
        rows = read_curve(tmp_path / f"seed{seed}")
        assert [r["phase"] for r in rows] == ["pretrain", "train", "train"]
        assert all(r["train_accuracy"] and r["train_loss"] for r in rows)  # pretraining too
        assert rows[0]["running_loss_sup"] == "" and rows[0]["running_loss_aux"] != ""
        assert all(r["running_accuracy"] for r in rows[1:])

    assert [seed for seed, _ in measured] == [0, 0, 0, 1, 1, 1]  # every epoch of both seeds
    subset = measured[0][1]
    assert all(np.array_equal(index, subset) for _, index in measured)
    ds = data.load_prepared(data.prepare(data.validate_spec(cfg["dataset"]),
                                         cfg["runtime"]["data_root"]))
    assert len(subset) == len(ds.test_y) == 40 and len(set(subset)) == 40
    train_y = np.asarray(ds.train_y)
    share = np.bincount(train_y, minlength=ds.n_classes) / len(train_y)
    counts = np.bincount(train_y[subset], minlength=ds.n_classes)
    assert np.all(np.abs(counts - share * len(subset)) < 1)


def test_train_subset_is_at_most_the_training_split(tmp_path):
    cfg = tiny_config(tmp_path, train_size=24)
    _, train, train_subset, test = engine.open_splits(cfg, progress=False)
    assert len(train.index) == 24 < len(test.index)
    assert np.array_equal(train_subset.index, train.index)


def test_curve_columns_name_what_they_hold(tmp_path):
    cfg = tiny_config(tmp_path, method="rlstm", epochs=1, pretrain_epochs=1)
    metrics = engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt")
    header = (tmp_path / "run" / "curve.csv").read_text().splitlines()[0].split(",")
    assert header == list(CURVE_COLUMNS)
    assert {"train_loss", "train_accuracy", "running_loss_sup", "running_loss_aux",
            "running_accuracy"} <= set(header)
    last = read_curve(tmp_path / "run")[-1]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["train_accuracy"] == \
        metrics["train_accuracy"]
    assert float(last["train_accuracy"]) == pytest.approx(metrics["train_accuracy"], rel=1e-5)


@pytest.mark.parametrize("method", ["rlstm", "plstm"])
def test_metrics_record_the_mean_effective_subsequence_length(tmp_path, method):
    """Left-padded documents of 96-192 bytes at T = 192 with l = 150: most rows hold fewer than
    l real tokens, so the mean l_eff lies strictly between 1 and l; an LSTM records none."""
    cfg = resolve({
        "method": method,
        "dataset": {"name": "embedded_text", "max_len": 192, "min_len": 96, "n_train": 64,
                    "n_test": 32},
        "model": {"embed_dim": 8, "hidden": 8, "head_hidden": 16, "aux_hidden": 16,
                  "aux_head_hidden": 16},
        "train": {"epochs": 1, "pretrain_epochs": 1, "batch_size": 32, "eval_batch_size": 32,
                  "bptt": 16, "aux_bptt": 16, "aux_len": 150},
        "runtime": {"data_root": str(tmp_path / "data"), "threads": 1, "progress": "none"},
    })
    metrics = engine.train_run(cfg, tmp_path / "run", tmp_path / "ckpt")
    assert 96 - 2 <= metrics["aux_len_mean"] < 150
    lstm = engine.train_run({**cfg, "method": "lstm"}, tmp_path / "lstm", tmp_path / "ck2")
    assert lstm["aux_len_mean"] is None


def test_long_sequences_evaluate_in_smaller_batches_where_the_model_holds_every_step():
    """The Transformer holds all T steps of a batch at once, a scan `scan_chunk` of them: at the
    paper's 16,384 steps and 2**21 tokens the Transformer evaluates 128 examples at a time, the
    LSTM the configured 512."""
    train = {"eval_batch_size": 512, "eval_tokens": 2**21, "scan_chunk": 512}
    assert engine.evaluation_batch(train, 16_384, recurrent=False) == 128
    assert engine.evaluation_batch(train, 16_384, recurrent=True) == 512
    assert engine.evaluation_batch(train, 784, recurrent=False) == 512
    assert engine.evaluation_batch({**train, "eval_tokens": 1000}, 16_384, recurrent=False) == 1


@pytest.mark.parametrize("method", ["lstm", "transformer"])
def test_evaluation_is_the_same_in_any_batch_size(tmp_path, method):
    cfg = tiny_config(tmp_path, method=method, epochs=1, pretrain_epochs=0, bptt="full")
    ds = data.load_prepared(data.prepare(data.validate_spec(cfg["dataset"]),
                                         cfg["runtime"]["data_root"]))
    torch.manual_seed(0)
    model = build_model(cfg, ds.channels, ds.vocab_size, ds.n_classes, ds.pad_token)
    split = engine.Split(ds.test_x, ds.test_y, np.arange(len(ds.test_y)))
    (whole,) = engine.evaluate(model, split, cfg, torch.device("cpu"))
    one_by_one = {**cfg, "train": {**cfg["train"], "eval_tokens": 1}}
    (each,) = engine.evaluate(model, split, one_by_one, torch.device("cpu"))
    assert each == pytest.approx(whole, rel=1e-5)
