"""Build results/report.html: one self-contained page (inline CSS, figures as base64 PNG, no
network) from the analysis's result (auxbench.analysis.result), the tables and figures the
workflow wrote, each run's as-run record and the prepared datasets' manifests.

Every table is rendered by auxbench.report.html; the raw numbers the page links to are written
beside it by auxbench.report.data.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import platform
from collections import Counter
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from auxbench import __version__, paths, workflow_config
from auxbench.analysis.learning import AT_CHANCE_PP, collapsed_runs
from auxbench.analysis.tables import Table, build_tables
from auxbench.analysis.verdicts import UNCOMPARED
from auxbench.atomic import write_text
from auxbench.errors import DataError
from auxbench.experiments import (
    CATALOGUE,
    FOREST,
    SUMMARY_TABLES,
    experiment,
    seeds_text,
    table_names,
)
from auxbench.methods import METHODS
from auxbench.paths import RunKey
from auxbench.versioning import git_state

from .data import Inputs, gather, per_run_compute, status_counts, write_data_files
from .html import Html, badge, esc, inline, num, split_rows, table_html
from .summary import section_summary

SCALE_TEXT = {
    "embedded": (
        "This is the <strong class=scale>embedded</strong> scale: the datasets stand in for the "
        "paper's with the structure of its tasks (no download): MNIST's is 1,797 real "
        "handwritten digits of 8x8 pixels (UCI, from the scikit-learn package) followed by "
        "background steps, with held-out test images; the others are generated. The models, "
        "sequence lengths and budgets are scaled down. <strong>The accuracies are not comparable "
        "with the paper's numbers</strong>; this report tests the paper's orderings (its claims) "
        "on the stand-ins. To run the real datasets, reduced (on a laptop; README.md gives the "
        "cost): <code>snakemake --cores all --configfile config/lite.yaml</code>. The "
        "paper's scale (its sizes and budgets, 5 seeds, GPUs or a cluster): "
        "<code>snakemake --cores all --configfile config/paper.yaml</code> or "
        "<code>snakemake --workflow-profile workflow/profiles/slurm --configfile "
        "config/paper.yaml</code>."),
    "smoke": (
        "This is the <strong class=scale>smoke-test</strong> scale: tiny generated datasets, "
        "tiny models, one or two epochs. It checks that the workflow runs end to end; "
        "<strong>its numbers say nothing about the paper</strong>. Run "
        "<code>snakemake --cores all</code> (embedded data), "
        "<code>--configfile config/lite.yaml</code> (real data, reduced) or "
        "<code>--configfile config/paper.yaml</code> (the paper's scale) for results."),
    "lite": (
        "This is the <strong class=scale>lite</strong> scale: the paper's real MNIST, pMNIST and "
        "CIFAR-10 at a quarter of their length (images area-downsampled to 14x14 and 16x16), "
        "with the truncation and the auxiliary subsequence in the paper's proportions, on "
        "training subsets with small models and short budgets. <strong>Its accuracies are a "
        "reduced scale's</strong>: each cell's distance to the paper's number is shown, not "
        "judged; the claims (orderings) are tested, and claim (p) says whether truncation hurts "
        "the plain LSTM at this size at all, the premise of the paper's question. For the "
        "paper's scale: <code>snakemake --workflow-profile workflow/profiles/slurm "
        "--configfile config/paper.yaml</code>."),
    "paper": (
        "This is the <strong class=scale>paper</strong> scale: the paper's datasets, model "
        "sizes and budgets, with several seeds. Cells of Table 2 get a verdict against the "
        "paper's numbers."),
}


def _css() -> str:
    return resources.files("auxbench.report").joinpath("report.css").read_text()


def _rel(target: str | Path, start: Path) -> str:
    return Path(os.path.relpath(Path(target).resolve(), start.resolve())).as_posix()


def _read_json(path: Path):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path} not found; run the workflow rule that writes it "
                        "(snakemake --until tables figures)") from None
    except json.JSONDecodeError as err:
        raise DataError(f"{path}: not valid JSON ({err})") from None


def _table(header: list[str], rows: list[list], align: str) -> str:
    """One of the report's own tables, rendered like the paper's."""
    return table_html(Table(name="", title="", header=header, rows=rows, align=align))


def _links(inp: Inputs, name: str) -> str:
    items = []
    for ext in ("csv", "md", "tex"):
        p = inp.tables_dir / f"{name}.{ext}"
        if p.is_file():
            items.append(f'<a href="{esc(_rel(p, inp.base))}">{ext}</a>')
    return f'<p class="links muted">Files: {" ".join(items)}</p>' if items else ""


def section_header(inp: Inputs) -> str:
    scale = inp.plan["scale"]
    git = git_state()
    commit = git.get("commit") or "unknown"
    dirty = " (uncommitted changes)" if git.get("dirty") else ""
    now = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        ("<h1>Learning Longer-term Dependencies in RNNs with Auxiliary Losses: "
        "does it hold up?</h1>"),
        (f'<p class="sub">auxbench {__version__} reproduction report of Trinh, Dai, Luong and Le '
        f"(ICML 2018) · scale <strong>{esc(scale)}</strong> · generated {now} · git "
        f"<code>{esc(commit[:12])}</code>{esc(dirty)}</p>"),
    ]
    return "\n".join(parts)


def section_scale(inp: Inputs) -> str:
    """What the scale means for the numbers, how the report was built, the config's words."""
    plan = inp.plan
    banner_cls = {"paper": "paper", "smoke": "smoke"}.get(plan["scale"], "")
    parts = [(f'<div class="banner {banner_cls}">'
             f'{SCALE_TEXT.get(plan["scale"], esc(plan["scale"]))}</div>')]
    if plan["results_only"]:
        parts.append('<div class="banner">Built in <strong>results-only</strong> mode: nothing '
                     "was trained for this report; it reads the run folders found under "
                     f"<code>{paths.RUNS_DIR}</code>. Planned runs without a folder are listed as "
                     "missing under Run health.</div>")
    if plan.get("description"):
        parts.append(f"<p>{esc(plan['description'])}</p>")
    return "\n".join(parts)


def precision_text(precision: dict | None) -> str:
    """How a run computed: IEEE fp32, TF32 (matmul, cuDNN) and bf16 autocast (asrun.json)."""
    if not precision:
        return "not recorded"
    tf32 = [k.removeprefix("tf32_") for k in ("tf32_matmul", "tf32_cudnn") if precision.get(k)]
    text = f"TF32 ({', '.join(tf32)})" if tf32 else "IEEE fp32"
    return text + (", bf16 autocast" if precision.get("autocast") == "bf16" else "")


def _environments(inp: Inputs) -> tuple[list[list[str]], Counter, Counter]:
    envs: Counter = Counter()
    codes: Counter = Counter()
    commits: Counter = Counter()
    for rec in inp.asrun.values():
        env = rec.get("environment") or {}
        key = (env.get("device", "?"), env.get("device_name", "?"), str(env.get("threads", "?")),
               precision_text(rec.get("precision")), env.get("hostname", "?"),
               env.get("platform", "?"), env.get("python", "?"), env.get("torch", "?"),
               env.get("numpy", "?"), env.get("auxbench", "?"))
        envs[key] += 1
        codes[rec.get("code_version", "?")] += 1
        g = env.get("git") or {}
        commits[f"{(g.get('commit') or 'unknown')[:12]}{' (dirty)' if g.get('dirty') else ''}"] += 1
    rows = [list(k) + [str(n)] for k, n in envs.most_common()]
    return rows, codes, commits


def section_what(inp: Inputs) -> str:
    plan = inp.plan
    parts = ['<h2 id="what">What was run</h2>']
    done = inp.runs[inp.runs["status"] == "completed"] if not inp.runs.empty else inp.runs
    rows = []
    for name, exp in plan["experiments"].items():
        title = experiment(name).title
        if exp["kind"] == "bench":
            rows.append([name, title, exp.get("dataset") or "synthetic tokens",
                         ", ".join(exp["cases"]),
                         "lengths " + ", ".join(map(str, exp["lengths"])), "—", "bench"])
            continue
        n_done = int((done["experiment"] == name).sum()) if not done.empty else 0
        rows.append([name, title, ", ".join(exp["datasets"]), ", ".join(exp["methods"]),
                     ", ".join(exp["settings"]), seeds_text(exp),
                     f"{n_done}/{exp['runs']}"])
    parts.append(_table(["Experiment", "What", "Datasets", "Methods", "Settings", "Seeds",
                         "Runs done/planned"], rows, "llllllr"))
    parts.append('<p class="muted">Settings: <code>full</code> = full BPTT; <code>tK</code> = '
                 "supervised gradient truncated to the last K steps (t0: it reaches only the "
                 "classifier head); <code>nNlL</code> = N anchors with subsequences of L steps; a "
                 "<code>_pwin</code> suffix = p-LSTM's auxiliary gradient also flows through the "
                 "predicted window (outside the paper's method, which stops it at the anchor); "
                 "named settings are defined in the config (below). The Transformer runs "
                 "<code>full</code> only.</p>")
    cfg = plan["config"]
    base = cfg.get("base") or {}
    m, t = base.get("model", {}), base.get("train", {})
    facts = [("Seeds", ", ".join(map(str, cfg["seeds"])) + " (per experiment above)"),
             ("Model (base)", ", ".join(f"{k} {v}" for k, v in m.items()
                                        if not isinstance(v, dict)) or "paper defaults"),
             ("Training (base)", ", ".join(f"{k} {v}" for k, v in t.items()) or "defaults"),
             ("Device", plan["device"]), ("Data folder", plan["data_root"])]
    parts.append('<dl class="kv">' + "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>"
                                              for k, v in facts) + "</dl>")
    env_rows, codes, commits = _environments(inp)
    parts.append("<h3>Hardware and software of the runs</h3>")
    parts.append(_table(["Device", "Device name", "Threads", "Precision", "Host", "Platform",
                         "Python", "torch", "numpy", "auxbench", "Runs"], env_rows,
                        "llllllllllr"))
    commit_txt = ", ".join(f"<code>{esc(k)}</code> ({n} runs)" for k, n in commits.most_common())
    code_txt = ", ".join(f"<code>{esc(k)}</code> ({n} runs)" for k, n in codes.most_common())
    parts.append(f"<p>Git commit of the runs: {commit_txt or 'unknown'}. Training-code version "
                 f"(hash of the modules training imports): {code_txt or 'unknown'}.</p>")
    if len(codes) > 1:
        parts.append('<div class="banner">The runs were trained with <strong>different versions '
                     "of the training code</strong> (see above). Cells may mix them; rerun the "
                     "stale runs (Snakemake does so by default: its params include the code "
                     "version) or check that the change did not matter.</div>")
    parts.append(f'<p class="muted">Report built on {esc(platform.node())} '
                 f"({esc(platform.platform())}), Python {esc(platform.python_version())}, "
                 f"auxbench {__version__}.</p>")
    cfg_yaml = yaml.safe_dump(cfg, sort_keys=False, default_flow_style=None, width=100)
    parts.append("<details><summary>The workflow config of this report</summary>"
                 f"<pre>{esc(cfg_yaml)}</pre></details>")
    return "\n".join(parts)


def section_larger(inp: Inputs) -> str:
    """The experiments this config leaves out, each with its reason and the configs that run
    it, so that a missing table reads as a choice of scale and not as a gap."""
    cfg, scale = inp.plan["config"], inp.plan["scale"]
    out, methods = workflow_config.left_out(cfg), workflow_config.left_out_methods(cfg)
    parts = ['<h2 id="larger">Runs at the larger scales</h2>']
    if not out and not methods:
        parts.append("<p>None left out: this config runs every experiment it names.</p>")
        return "\n".join(parts)

    def item(what: str, reason: str | None, running: tuple[str, ...]) -> str:
        where = " and ".join(f"<code>{esc(c)}</code>" for c in running)
        verb = "runs" if len(running) == 1 else "run"
        return (f"<li>{what}: {esc(reason or 'no reason given in the config')}"
                + (f"; {where} {verb} it" if running else "") + ".</li>")

    if out:
        parts.append(f"<p>This config leaves {len(out)} experiment(s) out:</p><ul>" + "".join(
            item(f"<code>{esc(name)}</code> ({esc(experiment(name).title)})", reason,
                 workflow_config.configs_that_run(scale, name))
            for name, reason in out.items()) + "</ul>")
    if methods:
        parts.append(f"<p>It leaves {len(methods)} method(s) out of experiments it runs:</p><ul>"
                     + "".join(item(f"<code>{esc(m)}</code> ({esc(METHODS[m].label)}) in "
                                    f"<code>{esc(name)}</code>", reason,
                                    workflow_config.configs_that_run(scale, name, m))
                               for (name, m), reason in methods.items()) + "</ul>")
    return "\n".join(parts)


def _table_with_collapsed(t: Table, what: str) -> str:
    main, rest = split_rows(t, "Verdict", ("not run",))
    out = table_html(main)
    if rest is not None:
        out += (f"<details><summary>{len(rest.rows)} more {what} with verdict "
                f"<em>not run</em> (no runs of this config for them; "
                '<a href="#larger">Runs at the larger scales</a> says why)</summary>'
                f"{table_html(rest)}</details>")
    return out


def _verdict_section(inp: Inputs, anchor: str, heading: str, intro: str, name: str,
                     what: str) -> str:
    """A section around one of the verdict tables, the rows nothing ran for collapsed."""
    return "\n".join([f'<h2 id="{anchor}">{heading}</h2>', f"<p>{intro}</p>",
                      _table_with_collapsed(inp.tables[name], what), _links(inp, name)])


PAPER_VS_INTRO = (
    "Every number the paper reports that we could verify (docs/paper.md §5), beside our mean "
    "over seeds with its 95% bootstrap interval and a verdict. A verdict against the paper's "
    "number is given only at the paper's scale on the real datasets. On the real datasets at a "
    "reduced scale (lite) the cells say <em>reduced scale</em> and the reason gives their "
    "distance to the paper's number, which is shown and not judged; on generated stand-ins they "
    "say <em>not comparable</em>. There the orderings are tested as claims instead.")


def section_paper_vs(inp: Inputs) -> str:
    """The paper's numbers beside ours; where no row can be compared (another scale), one
    sentence and the rows folded away instead of a screen of 'not comparable'."""
    name = "paper_vs_reproduced"
    verdicts = inp.a.paper_vs["verdict"]
    if not _nothing_compares(inp):
        return _verdict_section(inp, "paper-vs", "Paper versus reproduced", PAPER_VS_INTRO,
                                name, "rows")
    counts = ", ".join(f"{n} {badge(v)}" for v, n in verdicts.value_counts().items())
    return "\n".join([
        '<h2 id="paper-vs">Paper versus reproduced</h2>',
        (f"<p>None of the paper's {len(verdicts)} numbers can be compared with ours here "
        f"({counts}): its numbers are judged only at the paper's scale on the real datasets; "
        '<a href="#claims">the claims</a> test its orderings instead.</p>'),
        (f"<details><summary>The {len(verdicts)} rows</summary><p>{PAPER_VS_INTRO}</p>"
        f"{table_html(inp.tables[name])}</details>"), _links(inp, name)])


def section_claims(inp: Inputs) -> str:
    return _verdict_section(
        inp, "claims", "Claims, tested",
        "Each claim of the paper becomes one-sided tests between cells of our runs, on every "
        "dataset standing for the paper's (n per cell, the difference of means with its "
        "confidence interval, the Holm-adjusted p value and effect sizes).",
        "claims", "comparisons")


def section_tables(inp: Inputs) -> str:
    parts = ['<h2 id="tables">Tables</h2>',
             ("<p>Cells read <code>mean [low, high] n=k</code>: the mean test accuracy (%) over k "
             "completed seeds with its 95% bootstrap confidence interval. The notes under each "
             "table give the interval method and the test behind bold cells.</p>")]
    for name in table_names(inp.a.experiments):
        if name in SUMMARY_TABLES:
            continue
        t = inp.tables[name]
        parts.append(f'<h3 id="t-{esc(name)}">{inline(t.title or name)}</h3>')
        parts.append(table_html(t))
        parts.append(_links(inp, name))
        if name == "table2":
            parts.append(section_published(inp))
    return "\n".join(parts)


def section_published(inp: Inputs) -> str:
    """Table 2's page: later models' published numbers, in a block of their own."""
    t = inp.tables["published"]
    return "\n".join([
        f'<div class="published"><h4 id="t-published">{inline(t.title)}</h4>',
        ("<p>For orientation only: numbers reported by later papers, with the conventions that "
         "decide whether they measure our task (which permutation for pMNIST; RGB or grey for "
         "CIFAR-10; how a number was selected). Nothing here was run by this suite.</p>"),
        table_html(t), _links(inp, "published"), "</div>"])


def _figures_not_run(inp: Inputs) -> list[str]:
    """The experiments with a figure that this config does not run: no figure is drawn for
    them (auxbench.experiments.figure_names), and the report says so in a line."""
    return [e.name for e in CATALOGUE if e.figure and e.name not in inp.plan["experiments"]]


def _nothing_compares(inp: Inputs) -> bool:
    """No paper number can be set against ours (another scale): the paper-versus-reproduced
    table and its forest plot are folded."""
    verdicts = inp.a.paper_vs["verdict"]
    return not verdicts.empty and bool(verdicts.isin(UNCOMPARED).all())


def section_figures(inp: Inputs) -> str:
    parts = ['<h2 id="figures">Figures</h2>']
    man = inp.figures_dir / paths.MANIFEST_JSON
    records = _read_json(man) if man.is_file() else []
    if not records:
        parts.append('<p class="muted">No figures were written.</p>')
    skipped = _figures_not_run(inp)
    if skipped:
        parts.append('<p class="muted">Not drawn: the figure' + ("s" if len(skipped) > 1 else "")
                     + " of " + ", ".join(f"<code>{esc(e)}</code>" for e in skipped)
                     + ', not run at this scale (<a href="#larger">Runs at the larger '
                     "scales</a>).</p>")
    for rec in records:
        png = Path(rec.get("png", ""))
        if not png.is_absolute():
            cand = inp.figures_dir / png.name
            png = cand if cand.is_file() else png
        if png.is_file():
            data = base64.b64encode(png.read_bytes()).decode("ascii")
            img = (f'<img alt="{esc(rec.get("name"))}" '
                   f'src="data:image/png;base64,{data}">')
        else:
            img = f'<p class="muted">Image {esc(png)} not found.</p>'
        caption = str(rec.get("caption", ""))
        meta = []
        for key, label in (("n", "n"), ("interval", "Interval"), ("test", "Test")):
            if rec.get(key) and str(rec[key]) not in caption:
                meta.append(f"{label}: {esc(rec[key])}")
        pdf = Path(rec.get("pdf", ""))
        pdf = inp.figures_dir / pdf.name if not pdf.is_absolute() else pdf
        link = f' <a href="{esc(_rel(pdf, inp.base))}">PDF</a>' if pdf.is_file() else ""
        status = "" if rec.get("status", "ok") == "ok" else \
            f' <span class="v-muted">({esc(rec.get("status"))})</span>'
        heading = caption.split(". ")[0].rstrip(".") if caption else str(rec.get("name"))
        box = (f'<figure id="f-{esc(rec.get("name"))}">{img}<figcaption>'
               f"{esc(caption)}{status}"
               f'<span class="meta">{" · ".join(meta)}{link}</span>'
               "</figcaption></figure>")
        if rec.get("name") == FOREST and _nothing_compares(inp):
            parts.append(f"<h3>{esc(heading)}</h3><details><summary>Folded: none of the "
                         "paper's numbers can be compared at this scale (as in "
                         '<a href="#paper-vs">Paper versus reproduced</a>)</summary>'
                         f"{box}</details>")
            continue
        parts.append(f'<h3>{esc(heading)}</h3>')
        parts.append(box)
    return "\n".join(parts)


def _manifest_of(inp: Inputs, ds_id: str) -> tuple[dict | None, str]:
    path = Path(paths.manifest_path(inp.plan["data_root"], inp.plan["datasets"][ds_id]["key"]))
    if path.is_file():
        try:
            return json.loads(path.read_text()), str(path)
        except json.JSONDecodeError:
            pass
    for run in inp.run_keys():  # results only: the copy kept in a run's as-run record
        if run.dataset == ds_id and run.rel in inp.asrun:
            dm = inp.asrun[run.rel].get("dataset_manifest")
            if dm:
                return dm, f"{run.run_dir}/asrun.json (copy)"
    return None, ""


def section_datasets(inp: Inputs) -> str:
    parts = ['<h2 id="datasets">Datasets and their provenance</h2>',
             ("<p>Each dataset is prepared once into a cache whose manifest records the SHA-256 of "
             "every source file and array, the split hashes and, for permuted datasets, the "
             "permutation's hash. Identical hashes mean identical data.</p>")]
    for ds_id in inp.plan["train_datasets"]:
        entry = inp.plan["datasets"][ds_id]
        man, where = _manifest_of(inp, ds_id)
        parts.append(f'<div class="dataset"><h3>{esc(ds_id)}</h3>')
        facts = [("Stands for", entry["paper_dataset"] or "—"), ("Cache key", entry["key"]),
                 ("Spec", json.dumps(entry["spec"], sort_keys=True))]
        if man:
            shapes = man.get("shapes") or {k: v.get("shape") for k, v in
                                           (man.get("arrays") or {}).items()}
            facts += [("Kind", man.get("kind", "")),
                      ("Train / test", (f"{man.get('n_train', shapes.get('train_y', ['?'])[0])} / "
                                       f"{man.get('n_test', shapes.get('test_y', ['?'])[0])}")),
                      ("Sequence length × channels",
                       f"{man.get('seq_len', '?')} × {man.get('channels', '?')}"),
                      ("Classes", man.get("n_classes", "?")),
                      ("Manifest", where)]
            gen = man.get("generator")
            if gen:
                facts.append(("Generator", (f"{gen.get('module')} ({gen.get('name')}, version "
                                           f"{gen.get('version')}); seed "
                                           f"{(man.get('spec') or {}).get('seed', '?')}")))
            if man.get("licence"):
                facts.append(("Licence", (f"{man['licence']}: {man.get('attribution', '')}; "
                                          f"from {man.get('obtained_from', '?')}")))
            held_out = man.get("split") if isinstance(man.get("split"), dict) else None
            if held_out and "seed" in held_out:
                facts.append(("Train/test split", (
                    f"{held_out.get('kind')}, seed {held_out['seed']}; "
                    f"{held_out.get('cross_split_duplicates', '?')} test images equal a "
                    "training image")))
            for split, h in (man.get("split_hashes") or man.get("split") or {}).items():
                facts.append((f"Split hash ({split})", h))
            if man.get("permutation_sha256"):
                facts.append(("Permutation SHA-256", man["permutation_sha256"]))
            for name, rec in sorted((man.get("arrays") or {}).items()):
                if isinstance(rec, dict) and rec.get("sha256"):
                    facts.append((f"{rec.get('file', name)} SHA-256", rec["sha256"]))
            for src in man.get("sources") or []:
                if isinstance(src, dict):
                    facts.append((f"Source {src.get('name', '')}",
                                  f"{src.get('sha256', '')} {src.get('url', '') or ''}".strip()))
        else:
            facts.append(("Manifest", "not found (dataset not prepared here)"))
        parts.append('<dl class="kv">' + "".join(
            f"<dt>{esc(k)}</dt><dd><span class=mono>{esc(v)}</span></dd>"
            if "SHA" in k or "hash" in k or k in ("Cache key", "Spec")
            else f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in facts) + "</dl></div>")
    return "\n".join(parts)


def section_compute(inp: Inputs, files: dict[str, Path]) -> str:
    parts = ['<h2 id="compute">Compute</h2>']
    per_run = per_run_compute(inp)
    if not per_run.empty:
        wall = pd.to_numeric(per_run.get("job_wall_s"), errors="coerce")
        cpu = pd.to_numeric(per_run.get("job_cpu_s"), errors="coerce")
        own = pd.to_numeric(per_run.get("wall_time_s"), errors="coerce")
        rss = pd.to_numeric(per_run.get("job_max_rss_mb"), errors="coerce")
        peak = pd.to_numeric(per_run.get("peak_memory_mb"), errors="coerce")
        src = "Snakemake's job usage files" if wall.notna().any() else "the runs' metrics.json"
        total_wall = wall.sum() if wall.notna().any() else own.sum()
        parts.append(
            f"<p>Training jobs: <strong>{num(total_wall / 3600, 2)} wall hours</strong> "
            f"in total (from {src}), {num(cpu.sum() / 3600, 2)} CPU hours; largest job memory "
            f"{num(rss.max(), 0)} MB resident (job usage) and {num(peak.max(), 0)} MB peak "
            "(the run's own measure: resident set on CPU, allocated memory on CUDA). Time spent "
            "inside training (metrics.json) totals "
            f"{num(own.sum() / 3600, 2)} hours; the difference is process start-up and data "
            "loading.</p>")
    parts.append("<h3>Per experiment</h3>")
    parts.append(table_html(inp.tables["compute"]))
    if not per_run.empty:
        rows = []
        for _, r in per_run.iterrows():
            rows.append([RunKey.of(r).rel, r["status"], num(r.get("job_wall_s"), 1),
                         num(r.get("job_cpu_s"), 1), num(r.get("job_max_rss_mb"), 0),
                         num(r.get("wall_time_s"), 1), num(r.get("peak_memory_mb"), 0),
                         num(r.get("resumed"), 0), r.get("device", "")])
        parts.append(f"<details><summary>Per run ({len(rows)} runs; also "
                     f'<a href="{esc(_rel(files["compute_per_run"], inp.base))}">'
                     "compute_per_run.csv</a>)</summary>")
        parts.append(_table(["Run", "Status", "Job wall s", "Job CPU s", "Job max RSS MB",
                             "Training s", "Peak MB", "Resumes", "Device"], rows, "llrrrrrrl"))
        parts.append("</details>")
    return "\n".join(parts)


def _log_link(inp: Inputs, rel: str) -> str:
    if inp.logs_dir is None:
        return "—"
    p = Path(paths.train_log(rel, inp.logs_dir))
    return Html(f'<a href="{esc(_rel(p, inp.base))}">log</a>') if p.is_file() else "—"


def section_collapsed(inp: Inputs) -> str:
    """Completed runs that ended at chance while other seeds of their cell learned: they count
    in the cell's mean like any seed, so the reader should know them."""
    flagged = collapsed_runs(inp.runs, inp.a.cfg)
    parts = ['<h3 id="collapsed">Runs that ended at chance while their cell learned</h3>']
    if flagged.empty:
        parts.append("<p>None: no completed run ended within "
                     f"{AT_CHANCE_PP:g} pp of chance beside a seed that learned.</p>")
        return "\n".join(parts)
    rows = [[RunKey.of(r).rel, num(r["test_accuracy_pct"]), num(r["chance_pct"]), r["reason"],
             _log_link(inp, RunKey.of(r).rel)] for _, r in flagged.iterrows()]
    parts.append(_table(["Run", "Test accuracy %", "Chance %", "Why", "Log"], rows, "lrrll"))
    parts.append('<p class="muted">Such a run completed and is averaged into its cell like '
                 "any seed; its seed's optimisation did not leave chance, which widens the "
                 "cell's interval. Its curve (report_data/curves.csv) shows whether it ever "
                 "learned.</p>")
    return "\n".join(parts)


def section_health(inp: Inputs) -> str:
    parts = ['<h2 id="health">Run health</h2>']
    c = status_counts(inp)
    parts.append(f"<p>{c['planned']} runs planned: {c['completed']} completed, {c['failed']} "
                 f"failed, {c['missing']} missing; {c['resumed']} resumed from a checkpoint "
                 "after an interruption.</p>")
    runs = inp.runs
    if not runs.empty:
        def rel(r):
            return RunKey.of(r).rel

        bad = runs[runs["status"].isin(["failed", "missing"])]
        rows = [[rel(r), r["status"], r.get("error") or "", _log_link(inp, rel(r))]
                for _, r in bad.iterrows()]
        parts.append("<h3>Failed and missing runs</h3>")
        if not rows:
            parts.append("<p>None: every planned run finished.</p>")
        else:
            parts.append(_table(["Run", "Status", "Why", "Log"], rows, "llll"))
            parts.append('<p class="muted">Cells with these seeds show <code>n=k/m†</code> and '
                         "use the completed seeds only. A failed run (e.g. a diverged loss) "
                         "records why in its metrics.json and log. A missing run has no outputs "
                         "(never run, stopped, or not unpacked): <code>snakemake --cores all "
                         "--rerun-incomplete</code> trains it, resuming from its checkpoint if "
                         "it was interrupted.</p>")
        parts.append(section_collapsed(inp))
        res = runs[pd.to_numeric(runs["resumed"], errors="coerce").fillna(0) > 0]
        if not res.empty:
            rows = []
            for _, r in res.iterrows():
                hist = (inp.asrun.get(rel(r)) or {}).get("resumes") or []
                at = ", ".join(f"epoch {h.get('epoch')}" for h in hist if isinstance(h, dict))
                rows.append([rel(r), int(r["resumed"]), at, _log_link(inp, rel(r))])
            parts.append("<h3>Resumed runs</h3>")
            parts.append(_table(["Run", "Resumes", "Resumed at", "Log"], rows, "lrll"))
    extra = inp.a.left_out
    if extra:
        shown = "".join(f"<li><code>{esc(p)}</code></li>" for p in extra[:50])
        more = f"<li>… and {len(extra) - 50} more</li>" if len(extra) > 50 else ""
        parts.append(f"<h3>Run folders left out</h3><p>{len(extra)} run folder(s) under "
                     f"<code>{paths.RUNS_DIR}</code> are not planned by this config (an earlier "
                     "config, other seeds) and were <strong>not</strong> used:</p>"
                     f"<ul>{shown}{more}</ul>")
    return "\n".join(parts)


def section_data(inp: Inputs, files: dict[str, Path]) -> str:
    labels = {"per_seed_runs": "every seed of every planned run (status, accuracy, loss, "
                               "epochs, wall time, memory, config hash, code version)",
              "cell_stats": "per-cell n, mean, SD, bootstrap interval, failed and missing seeds",
              "curves": "every training curve, one row per run and epoch",
              "compute_per_run": "compute of every run (job wall and CPU time, memory)"}
    items = "".join(f'<li><a href="{esc(_rel(p, inp.base))}">{esc(p.name)}</a>: '
                    f"{esc(labels.get(k, ''))}</li>" for k, p in files.items())
    agg = inp.aggregate_dir
    return "\n".join([
        '<h2 id="data">Raw data and how to rebuild</h2>',
        f"<ul>{items}</ul>",
        (f'<p>Also: the aggregate CSVs and summary.json in <a href="{esc(_rel(agg, inp.base))}">'
        f"{esc(agg.name)}/</a>, each table as CSV/Markdown/LaTeX in "
        f'<a href="{esc(_rel(inp.tables_dir, inp.base))}">{esc(inp.tables_dir.name)}/</a>, '
        "and each run's metrics.json, curve.csv and asrun.json (the resolved config, versions, "
        f"git commit, device) in <code>{esc(paths.run_dir(paths.RUN_TEMPLATE))}/</code>.</p>"),
        ("<p>Rebuild the tables, figures and this page from saved run folders without training: "
        "<code>snakemake --cores 1 --config results_only=True</code> (with the same "
        "<code>--configfile</code>). Rerun one run: "
        f"<code>snakemake --cores 1 --forcerun {paths.RUNS_DIR}/&lt;...&gt;/seed0/metrics.json</code>"
        ", then <code>snakemake --cores all</code> rebuilds what depends on it.</p>"),
    ])


def render(inp: Inputs, files: dict[str, Path]) -> str:
    toc = [("summary", "Summary"), ("what", "What was run"), ("larger", "Larger scales"),
           ("paper-vs", "Paper vs reproduced"), ("claims", "Claims"), ("tables", "Tables"),
           ("figures", "Figures"), ("datasets", "Datasets"), ("compute", "Compute"),
           ("health", "Run health"), ("data", "Raw data")]
    nav = '<nav class="toc">' + "".join(f'<a href="#{a}">{esc(t)}</a>' for a, t in toc) + \
          "</nav>"
    body = "\n".join([
        section_header(inp), section_summary(inp), section_scale(inp), nav, section_what(inp),
        section_larger(inp), section_paper_vs(inp), section_claims(inp), section_tables(inp),
        section_figures(inp), section_datasets(inp), section_compute(inp, files),
        section_health(inp), section_data(inp, files),
        ('<footer>Generated by <code>auxbench report</code> (workflow rule <code>report</code>). '
        "Self-contained: styles and figures are inside this file; the links point to CSV and "
        "log files beside it.</footer>"),
    ])
    title = f"auxbench report ({inp.plan['scale']} scale)"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{_css()}</style></head>"
            f"<body><main>\n{body}\n</main></body></html>\n")


def build_report(out_html: str | Path = paths.REPORT_HTML,
                 data_dir: str | Path = paths.REPORT_DATA_DIR,
                 runs_dir: str | Path = paths.RUNS_DIR,
                 aggregate_dir: str | Path = paths.AGGREGATE_DIR,
                 tables_dir: str | Path = paths.TABLES_DIR,
                 figures_dir: str | Path = paths.FIGURES_DIR,
                 logs_dir: str | Path | None = paths.LOGS_DIR) -> Path:
    """Write the report and its data files; return the HTML path."""
    inp = Inputs(out_html=Path(out_html), data_dir=Path(data_dir), runs_dir=Path(runs_dir),
                 aggregate_dir=Path(aggregate_dir), tables_dir=Path(tables_dir),
                 figures_dir=Path(figures_dir), logs_dir=Path(logs_dir) if logs_dir else None)
    gather(inp)
    inp.tables = {t.name: t for t in build_tables(inp.a)}
    files = write_data_files(inp)
    inp.out_html.parent.mkdir(parents=True, exist_ok=True)
    write_text(inp.out_html, render(inp, files))
    return inp.out_html
