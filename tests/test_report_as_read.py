"""The report as a reader sees it, at every scale: rendered from synthetic run folders for each
config/*.yaml, it shows no template text left from code, no figure box for an experiment the
scale does not run, and no figure axis with a category that holds no data."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import numpy as np
import pytest
import yaml
from matplotlib.ticker import FixedLocator

from auxbench import data, paths
from auxbench import plan as planmod
from auxbench.analysis import aggregate, analyze, figures, load, make_figures, make_tables
from auxbench.analysis.synthetic import write_demo_resources, write_run
from auxbench.experiments import CATALOGUE, FOREST
from auxbench.methods import METHODS

REPO = Path(__file__).resolve().parents[1]
CONFIGS = sorted((REPO / "config").glob("*.yaml"))


def _accuracy(method: str, setting: str, seed: int) -> float:
    """Made-up accuracies with an ordering: auxiliary losses above, truncation below."""
    acc = 0.55 + 0.1 * METHODS[method].auxiliary - 0.15 * (setting != "full") + 0.01 * seed
    return float(np.clip(acc + 0.003 * (sum(map(ord, setting)) % 7), 0.05, 0.99))


def empty_categories(fig) -> list[str]:
    """Every tick of an axis whose ticks were placed by hand (categories, FixedLocator) at which
    no data point of the panel lies."""
    out = []
    for ax in fig.axes:
        points = []
        for line in ax.get_lines():
            if line.get_transform() == ax.transData:
                points += list(zip(line.get_xdata(orig=False), line.get_ydata(orig=False)))
        for coll in ax.collections:
            points += [tuple(o) for o in coll.get_offsets()] if len(coll.get_offsets()) else []
            points += [tuple(p) for seg in getattr(coll, "get_segments", list)() for p in seg]
        if not points:
            continue
        xy = np.asarray(points, dtype=float)
        for axis, col in ((ax.xaxis, 0), (ax.yaxis, 1)):
            if not isinstance(axis.get_major_locator(), FixedLocator):
                continue
            for tick, label in zip(axis.get_ticklocs(), axis.get_ticklabels()):
                if not np.isclose(xy[:, col], tick, rtol=1e-6, atol=1e-9).any():
                    out.append(f"{ax.get_title() or '?'}: {label.get_text()}")
    return out


@pytest.fixture(scope="module", params=CONFIGS, ids=lambda p: p.stem)
def rendered(request, tmp_path_factory):
    """(plan, report HTML, {figure name: its empty categories}) for one config."""
    cfg = yaml.safe_load(request.param.read_text())
    cfg["analysis"]["n_resamples"] = 200  # fast bootstrap; nothing here reads the intervals
    p = planmod.Plan(cfg)
    root = tmp_path_factory.mktemp(request.param.stem)
    runs = root / paths.RUNS_DIR
    for run in p.trained_runs:
        write_run(runs, run.experiment, run.dataset, run.method, run.setting, run.seed,
                  _accuracy(run.method, run.setting, run.seed),
                  seq_len=data.sequence_shape(p.datasets[run.dataset].spec)[0])
    resources = write_demo_resources(root / "resources.json")
    a = analyze(runs, p.analysis_options(), resources_json=resources, keys=p.runs,
                shared=p.shared_runs)
    a.plan = p.summary()
    aggregate(a, root / "aggregate")
    a = load(root / "aggregate")
    make_tables(a, root / "tables")
    empty: dict[str, list[str]] = {}
    save = figures.save_figure

    def checked_save(fig, out_dir, name):
        empty[name] = empty_categories(fig)
        return save(fig, out_dir, name)

    figures.save_figure = checked_save
    try:
        make_figures(a, root / "figures")
    finally:
        figures.save_figure = save
    from auxbench.report import build_report

    out = build_report(out_html=root / "report.html", data_dir=root / "report_data",
                       runs_dir=runs, aggregate_dir=root / "aggregate",
                       tables_dir=root / "tables", figures_dir=root / "figures")
    return p, out.read_text(), empty


def _visible_text(html: str) -> str:
    """The page without its style sheet, embedded images and preformatted config (YAML braces)."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    html = re.sub(r"<pre>.*?</pre>", "", html, flags=re.DOTALL)
    return re.sub(r'src="data:[^"]*"', "", html)


def _is_json(text: str) -> bool:
    try:
        json.loads(unescape(text))
    except ValueError:
        return False
    return True


def test_no_template_text_from_code(rendered):
    """Braces on the page are data (a dataset's spec as JSON), never an expression that a
    missing f-prefix left unevaluated."""
    _, html, _ = rendered
    braces = re.findall(r"\{[^{}<>]{0,80}\}", _visible_text(html))
    leftovers = [b for b in braces if not _is_json(b)]
    assert not leftovers, leftovers[:5]


def test_no_figure_box_nor_file_for_an_experiment_not_run(rendered):
    p, html, drawn = rendered
    not_run = [e for e in CATALOGUE if e.figure and e.name not in p.summary()["experiments"]]
    for e in not_run:
        assert f'id="f-{e.figure}"' not in html, e.name
        assert e.figure not in drawn, e.name  # the figures job draws no placeholder for it
    assert "No data:" not in html


def test_no_figure_axis_category_without_data(rendered):
    _, _, empty = rendered
    assert empty, "no figure was checked"
    assert {name: cats for name, cats in empty.items() if cats} == {}


def test_one_statistical_convention_stated_once_and_kept_by_figure4(rendered):
    """The claims test one-sided; Figure 4 tests the same comparison the same way, and the
    convention is written once, in the summary."""
    p, html, _ = rendered
    assert html.count("Statistics: a comparison in a direction the paper claims") == 1
    if "fig4" in p.summary()["experiments"]:
        box = re.search(r'id="f-fig4_shrinking_bptt".*?</figcaption>', html, re.DOTALL)
        assert "one-sided" in box.group(0) and "two-sided" not in box.group(0)


def test_the_forest_plot_is_folded_where_nothing_compares(rendered):
    """Where none of the paper's numbers can be compared (the default scale), the forest plot is
    folded away as the paper-versus-reproduced table is; where some can, both are shown."""
    p, html, _ = rendered
    box = re.search(rf"<h3>[^<]*</h3>\s*(<details><summary>Folded.*?</summary>)?\s*"
                    rf'<figure id="f-{FOREST}"', html, re.DOTALL)
    assert box, "no forest plot"
    table_folded = "None of the paper's" in html
    assert bool(box.group(1)) == table_folded
    assert table_folded == (p.scale in ("embedded", "smoke"))  # stand-ins only
