"""Figure functions: PNG (150 dpi) and PDF written, bytes follow the data, captions give n."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from auxbench.analysis import analyze, make_figures
from auxbench.analysis import figures as F
from auxbench.analysis.synthetic import write_run
from auxbench.atomic import write_json
from auxbench.experiments import EXPERIMENTS, figure_names

CFG = {"analysis": {"n_resamples": 200}}


def build(root, shift: float = 0.0):
    """A small tree touching every figure; `shift` moves every accuracy by that fraction."""
    def run(exp, ds, m, s, seed, acc, **kw):
        write_run(root / "runs", exp, ds, m, s, seed, acc + shift if acc is not None else None,
                  **kw)

    for seed in range(2):
        for side, seq in ((8, 64), (16, 256)):
            run("fig3", f"embedded_dogs-s{side}", "lstm", "full", seed, 0.3 + 0.01 * seed,
                seq_len=seq, n_classes=12)
            run("fig3", f"embedded_dogs-s{side}", "rlstm", "t300", seed, 0.35 + 0.01 * seed,
                seq_len=seq, n_classes=12)
        run("fig3", "embedded_dogs-s32", "transformer", "full", seed, None, status="failed",
            seq_len=1024, n_classes=12)
        for k, base in ((300, 0.5), (20, 0.3), (0, 0.1)):
            run("fig4", "embedded_cifar", "lstm", f"t{k}", seed, base + 0.01 * seed)
            run("fig4", "embedded_cifar", "rlstm", f"t{k}", seed, base + 0.2 + 0.01 * seed)
        run("fig4", "embedded_cifar", "lstm", "full", seed, 0.58 + 0.01 * seed)
        run("fig5", "embedded_cifar", "lstm", "t300", seed, 0.5 + 0.01 * seed, epochs=4)
        run("fig5", "embedded_cifar", "rlstm", "t300", seed, 0.6 + 0.01 * seed, epochs=4,
            pretrain_epochs=2)
        for setting, acc in (("full_method", 0.65), ("no_pretrain", 0.6), ("no_aux", 0.55)):
            run("fig6", "embedded_cifar", "rlstm", setting, seed, acc + 0.01 * seed)
        run("table2", "embedded_mnist", "lstm", "full", seed, 0.97 + 0.005 * seed)
        run("table2", "embedded_mnist", "rlstm", "t300", seed, 0.95 + 0.005 * seed)
    resources = []
    for n in (1024, 4096):
        for m, s, mem in (("lstm", "full", 0.05 * n), ("rlstm", "t300", 40.0)):
            resources.append({"method": m, "setting": s, "seq_len": n, "batch_size": 8,
                          "device": "cpu", "step_time_s": 1e-4 * n * (1 + shift),
                          "samples_per_s": 1.0, "peak_memory_mb": mem * (1 + shift),
                          "gflop": 1.0, "gflops_per_s": 1.0, "status": "ok"})
    resources.append({"method": "transformer", "setting": "full", "seq_len": 4096, "batch_size": 8,
                  "device": "cpu", "status": "oom", "error": "out of memory"})
    write_json(root / "resources.json", resources)
    return analyze(root / "runs", CFG, resources_json=root / "resources.json")


@pytest.fixture(scope="module")
def analyses(tmp_path_factory):
    a = build(tmp_path_factory.mktemp("a"))
    b = build(tmp_path_factory.mktemp("b"), shift=0.02)
    return a, b


def _bytes(rec):
    with open(rec.png, "rb") as fh, open(rec.pdf, "rb") as gh:
        return fh.read(), gh.read()


@pytest.mark.parametrize("fn", [F.figure4, F.figure6])
def test_figure_bytes_follow_the_data(fn, analyses, tmp_path):
    a, b = analyses
    r1 = fn(a, tmp_path / "1")
    r2 = fn(a, tmp_path / "2")
    r3 = fn(b, tmp_path / "3")
    png1, pdf1 = _bytes(r1)
    assert png1.startswith(b"\x89PNG") and pdf1.startswith(b"%PDF")
    assert _bytes(r2) == (png1, pdf1)  # same data, same bytes (no timestamps)
    png3, pdf3 = _bytes(r3)
    assert png3 != png1 and pdf3 != pdf1
    dpi = Image.open(r1.png).info["dpi"]
    assert dpi == pytest.approx((150, 150), abs=0.5)
    assert r1.status == "ok" and "n = 2 seeds per point" in r1.caption
    assert "bootstrap" in r1.interval


def test_figure4_caption_names_its_test(analyses, tmp_path):
    rec = F.figure4(analyses[0], tmp_path)
    assert "Welch" in rec.test and "Holm" in rec.test and "chance" in rec.caption


def test_figure_without_data_still_exists(analyses, tmp_path):
    a, _ = analyses
    rec = F.figure3(a, tmp_path, experiment="nothing_here")
    assert rec.status == "no data" and "No data" in rec.caption
    assert _bytes(rec)[0].startswith(b"\x89PNG")


@pytest.mark.slow
def test_every_figure_follows_the_data(analyses, tmp_path):
    a, b = analyses
    recs_a = make_figures(a, tmp_path / "a")
    recs_b = make_figures(b, tmp_path / "b")
    assert [r["name"] for r in recs_a] == figure_names(EXPERIMENTS)  # no plan: every figure
    for ra, rb in zip(recs_a, recs_b):
        assert ra["status"] == "ok", ra["name"]
        assert ra["caption"] and "n = " in ra["caption"], ra["name"]
        for key in ("png", "pdf"):
            with open(ra[key], "rb") as fa, open(rb[key], "rb") as fb:
                assert fa.read() != fb.read(), (ra["name"], key)
    fig3 = recs_a[0]
    assert "failed" in fig3["caption"]
    assert json.loads((tmp_path / "a" / "manifest.json").read_text()) == recs_a
