"""The summary the report opens with: the answer first, in the form reproduction studies use.

(i) the claims in scope: the paper's claims this run tested; (ii) what was run: scale,
experiments and datasets, methods, seeds per cell, epochs; (iii) the result per claim and per
dataset: the verdict and the test it turns on (difference with its interval, Holm p, the smallest
difference the test detects); (iv) what was easy and what was hard: cells that learned or stayed
at chance, unhealthy runs, experiments left out. Every line comes from the analysis's result
and the config; none is written by hand.
"""

from __future__ import annotations

import pandas as pd

from auxbench import workflow_config
from auxbench.analysis import learning, stats
from auxbench.analysis.cells import run_scope
from auxbench.analysis.style import dataset_name, method_label, row_dataset_name, setting_name
from auxbench.analysis.tables import Table, fmt, fmt_p
from auxbench.analysis.verdicts import AGAINST, deciding_test, statistics_convention
from auxbench.paths import RunKey

from .data import Inputs, status_counts
from .html import badge, esc, table_html

SHOWN_RUNS = 4  # unhealthy runs named in the summary; the rest are counted


def _ran(r: pd.Series) -> bool:
    return int(r["n_comparisons"]) > int(r["n_not_run"])


def _tests_text(r: pd.Series) -> str:
    ran = int(r["n_comparisons"]) - int(r["n_not_run"])
    out = f"{int(r['n_supported'])} of {ran} supported"
    if r["n_contradicted"]:
        out += f", {int(r['n_contradicted'])} contradicted"
    if r["n_against"]:
        out += f", {int(r['n_against'])} against (not significant after Holm)"
    return out + (f"; {int(r['n_not_run'])} not run" if r["n_not_run"] else "")


def _count(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "s")


def _delta_text(t: pd.Series) -> str:
    if pd.isna(t["diff"]):
        return "—"
    if pd.isna(t["diff_low"]):
        return f"{fmt(t['diff'])} (no interval)"
    return f"{fmt(t['diff'])} [{fmt(t['diff_low'])}, {fmt(t['diff_high'])}]"


def _p_text(t: pd.Series) -> str:
    """The claim's Holm p; where the data point against it, the opposite test's p as well."""
    if t["verdict"] not in ("contradicted", AGAINST):
        return fmt_p(t["p_holm"])
    return (f"{fmt_p(t['p_holm'])}; against: p {fmt_p(t['p_opposite'])}, "
            f"Holm {fmt_p(t['p_opposite_holm'])}")


def _detects_text(t: pd.Series) -> str:
    if pd.isna(t["detectable_pp"]):
        return "—"
    seeds = f"{int(t['n1'])} vs {int(t['n2'])}" if t["n2"] else f"{int(t['n1'])}"
    return f"{fmt(t['detectable_pp'])} pp at {seeds} seeds"


def claim_rows(claims: pd.DataFrame, rollup: pd.DataFrame) -> list[list[str]]:
    """Each tested claim with its overall verdict, then, on every dataset where it ran, its
    verdict there and the test it turns on (`verdicts.deciding_test`): a claim decided on one
    dataset is never hidden by the merged word, and an undecided one shows whether its test
    could have seen an effect (its detectable difference)."""
    rows = []
    for _, r in rollup.iterrows():
        if not _ran(r):
            continue
        if r["scope"] == "all":
            rows.append([f"({r['claim']}) {r['claim_text']}", "all datasets", r["verdict"],
                         _tests_text(r), "", "", "", ""])
            continue
        t = deciding_test(claims[(claims["claim"] == r["claim"])
                                 & (claims["dataset"] == r["dataset"])])
        rows.append(["", row_dataset_name(r), r["verdict"], _tests_text(r), t["comparison"],
                     _delta_text(t), _p_text(t), _detects_text(t)])
    return rows


def _scope_text(inp: Inputs) -> str:
    """(i): the claims this run tested, and those it could not."""
    overall = inp.a.claims_rollup[inp.a.claims_rollup["scope"] == "all"]
    ran = overall.apply(_ran, axis=1).astype(bool)
    tested = [f"({c})" for c in overall.loc[ran, "claim"]]
    untested = [f"({c})" for c in overall.loc[~ran, "claim"]]
    return (f"<p><strong>Claims in scope</strong>: {len(tested)} of the {len(overall)} "
            "claims (the precondition (p) the paper's question rests on, and the paper's own) "
            f"were tested here: {', '.join(tested) or 'none'} (below)"
            + (f"; not tested, none of their cells ran: {', '.join(untested)}" if untested
               else "") + ".</p>")


def _epochs_text(row: pd.Series) -> str:
    epochs = " or ".join(map(str, row["epochs"])) or "?"
    pre = " or ".join(map(str, row["pretrain_epochs"]))
    return f"{epochs} epoch{'' if row['epochs'] == [1] else 's'}" + (
        f" (+{pre} pretraining with the auxiliary loss)" if pre else "")


def _experiment_text(inp: Inputs, scope: pd.DataFrame) -> str:
    methods = list(dict.fromkeys(m for ms in scope["methods"] for m in ms))
    settings = list(dict.fromkeys(s for ss in scope["settings"] for s in ss))
    per_dataset = []
    for _, r in scope.iterrows():
        seeds = (_count(r["min_seeds"], "seed") if r["min_seeds"] == r["max_seeds"]
                 else f"{r['min_seeds']}-{r['max_seeds']} seeds")
        name = dataset_name(r["dataset"], inp.a.cfg.paper_dataset(r["dataset"]))
        per_dataset.append(f"{esc(name)} with {seeds} per cell and {_epochs_text(r)}")
    return (f"<code>{esc(scope['experiment'].iloc[0])}</code>: "
            f"{esc(', '.join(map(method_label, methods)))} at "
            f"{esc(', '.join(map(setting_name, settings)))} on {'; '.join(per_dataset)}")


def _run_text(inp: Inputs) -> str:
    """(ii): the scale, the runs, and per experiment the claims rest on its datasets,
    methods, settings, seeds per cell and epochs; the other experiments by name."""
    c = status_counts(inp)
    comparable = bool(inp.a.cells["comparable"].any()) if not inp.a.cells.empty else False
    parts = [f"<p><strong>What was run</strong>: the <strong>{esc(inp.plan['scale'])}</strong> "
             f"scale"
             + ("" if comparable else ", whose accuracies are not comparable with the paper's "
                "numbers (its claims, orderings between cells, are tested instead)")
             + f"; {c['completed']} of {c['planned']} planned runs completed."]
    scope = run_scope(inp.runs) if not inp.runs.empty else pd.DataFrame(columns=["experiment"])
    tested = inp.a.claims.loc[inp.a.claims["verdict"] != "not run", "experiment"]
    claim_exps = [e for e in dict.fromkeys(tested) if e in set(scope["experiment"])]
    if claim_exps:
        parts.append("The claims rest on " + "; ".join(
            _experiment_text(inp, scope[scope["experiment"] == e]) for e in claim_exps) + ".")
    others = [e for e in inp.plan["experiments"] if e not in claim_exps]
    if others:
        parts.append("Also run: " + ", ".join(f"<code>{esc(e)}</code>" for e in others)
                     + ' (<a href="#what">What was run</a>).')
    return " ".join(parts) + "</p>"


def _learning_item(inp: Inputs) -> str | None:
    """Which cells learned and which stayed at chance, counted per experiment, by name in a
    closed list."""
    cells = inp.a.cells
    if cells.empty:
        return None
    cfg = inp.a.cfg
    cells = cells.assign(outcome=learning.cell_outcomes(cells, cfg)).dropna(subset=["outcome"])
    total = cells["outcome"].value_counts()
    per_exp = []
    for exp, g in cells.groupby("experiment", sort=False):
        n = g["outcome"].value_counts()
        per_exp.append(f"<code>{esc(exp)}</code> {n.get(learning.LEARNED, 0)} learned and "
                       f"{n.get(learning.AT_CHANCE, 0)} at chance of {len(g)}")
    named = []
    for (exp, ds), g in cells.groupby(["experiment", "dataset"], sort=False):
        kinds = [f"{o}: " + ", ".join(g.loc[g["outcome"] == o, "label"])
                 for o in (learning.LEARNED, learning.BETWEEN, learning.AT_CHANCE)
                 if (g["outcome"] == o).any()]
        named.append(f"<li><code>{esc(exp)}</code> on {esc(ds)}: {esc('; '.join(kinds))}</li>")
    return (f"<strong>Learned</strong> (interval above chance + {cfg.chance_margin_pp:g} pp): "
             f"{total.get(learning.LEARNED, 0)} of {len(cells)} cells; <strong>stayed at "
             f"chance</strong> (interval from within {learning.AT_CHANCE_PP:g} pp of chance, "
             f"below chance + {cfg.chance_margin_pp:g} pp): {total.get(learning.AT_CHANCE, 0)}; "
             f"in between: {total.get(learning.BETWEEN, 0)}. By experiment: "
             f"{', '.join(per_exp)}."
             f"<details><summary>The cells by name</summary><ul>{''.join(named)}</ul>"
             "</details>")


def _runs_text(keys: list[str]) -> str:
    shown = ", ".join(f"<code>{esc(k)}</code>" for k in keys[:SHOWN_RUNS])
    return shown + (f" and {len(keys) - SHOWN_RUNS} more" if len(keys) > SHOWN_RUNS else "")


def _health_item(inp: Inputs) -> str:
    """Failed, missing and collapsed runs: what the numbers above stand on."""
    c = status_counts(inp)
    flagged = learning.collapsed_runs(inp.runs, inp.a.cfg)
    keys = [RunKey.of(r).rel for _, r in flagged.iterrows()]
    out = (f"<strong>Run health</strong>: {c['failed']} failed, {c['missing']} missing; "
           f"{len(keys)} ended at chance while other seeds of their cell learned")
    return out + (f": {_runs_text(keys)}" if keys else "") + \
        ' (<a href="#health">Run health</a>).'


def _left_out_item(inp: Inputs) -> str:
    cfg = inp.plan["config"]
    out, methods = workflow_config.left_out(cfg), workflow_config.left_out_methods(cfg)
    if not out and not methods:
        return "<strong>Left out</strong>: nothing; every experiment of the config ran."
    named = [f"<code>{esc(n)}</code> ({esc(r or 'no reason given')})" for n, r in out.items()]
    if methods:
        named.append(", ".join(f"<code>{esc(m)}</code>" for _, m in methods)
                     + " in " + ", ".join(sorted({f"<code>{esc(e)}</code>" for e, _ in methods})))
    return ("<strong>Left out</strong> at this scale: " + "; ".join(named)
            + ' (<a href="#larger">Runs at the larger scales</a>).')


def section_summary(inp: Inputs) -> str:
    """The report's opening: (i) to (iv) of the module docstring, a few lines and one table."""
    conf = round(inp.a.cfg.one_sided_confidence * 100)
    parts = ['<section class="summary"><h2 id="summary">Summary</h2>', _scope_text(inp),
             _run_text(inp)]
    rollup = inp.a.claims_rollup
    if rollup is not None and not rollup.empty:
        header = ["Claim", "Dataset", "Verdict", "Tests", "Deciding test",
                  f"Δ pp [{conf}% CI]", "p (Holm)", "Detects Δ ≥"]
        parts.append(table_html(Table(name="", title="", header=header,
                                      rows=claim_rows(inp.a.claims, rollup),
                                      align="lllllrrr")))
        parts.append(
            f'<p class="muted">{statistics_convention(inp.a.cfg)} '
            "A claim is supported on a dataset when every one of its "
            "one-sided tests there is, after Holm's correction within the claim; "
            f"<em>{AGAINST}</em>: a test in the opposite direction is significant before "
            "Holm's correction but not after it (its interval lies wholly on the claim's wrong "
            "side). The deciding test is the one that contradicts the claim, else the one "
            "pointing against it, else the one with the largest Holm p. "
            f"Detects Δ ≥: the smallest true difference that test finds with "
            f"{stats.DETECTABLE_POWER:.0%} power at Holm's worst-case level; an inconclusive "
            "test whose value exceeds the "
            'difference in question could not have decided it. Every test: <a href="#claims">'
            "Claims</a>.</p>")
    vc = inp.a.paper_vs["verdict"].value_counts() if not inp.a.paper_vs.empty else {}
    if len(vc):
        parts.append("<p>Against the paper's own numbers: " + ", ".join(
            f"{n} {badge(v)}" for v, n in vc.items()) + ' (<a href="#paper-vs">table</a>).</p>')
    items = [_learning_item(inp), _health_item(inp), _left_out_item(inp)]
    parts.append("<p><strong>What was easy and what was hard</strong>:</p><ul>"
                 + "".join(f"<li>{i}</li>" for i in items if i) + "</ul></section>")
    return "\n".join(parts)
