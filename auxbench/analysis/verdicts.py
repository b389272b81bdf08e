"""Paper versus reproduced: a verdict per number, and the paper's qualitative claims tested.

Numeric verdict of one cell (paper value P, our completed seeds' mean m and bootstrap interval
[lo, hi], tolerance tol; tol = `tolerance_pp`, or `approx_tolerance_pp` for a rough paper value),
checked in this order:

1. `context`                 the paper's number is a literature baseline (iRNN, uRNN).
2. `not run`                 no run folder for the cell.
3. `failed`                  runs exist but no seed completed.
4. `reduced scale`           the paper's real dataset at a reduced scale (lite): the distance to
                             the paper's number is given in the reason, not judged.
   `not comparable (scale)`  a generated stand-in (or a smoke-test dataset).
5. `inconclusive`            n < 2 completed seeds (no interval).
6. `better`                  lo > P + tol (the whole interval above the tolerance band).
7. `worse`                   hi < P - tol (the whole interval below the tolerance band).
8. `inconclusive`            the interval's half-width exceeds `max_halfwidth_pp` ("too wide").
9. `reproduced`              lo <= P <= hi, or |m - P| <= tol (both bounds inclusive).
10. `inconclusive`           otherwise: the interval misses P and m is more than tol away, yet
                             the interval overlaps the band [P - tol, P + tol].

Failed or missing seeds never change the rule; the reason then says how many seeds the verdict
stands on, and the tables flag the cell.

Claims: each comparison is a one-sided test in the claim's direction (Welch's t by default,
`primary_test`), Holm-adjusted across all the comparisons of the claim (its family).
`supported` if the adjusted p < alpha; `contradicted` if the opposite one-sided test, adjusted the
same way, has p < alpha; `inconclusive` otherwise (including n < 2); `not run` when a cell is
absent. A claim on one dataset is `supported` only if every comparison in it is supported,
`contradicted` if any is, `not run` if none ran, and `inconclusive` otherwise (a comparison not
run leaves it untested in part). Overall, a claim takes the same rule over its verdicts on the
datasets where it ran; datasets a scale leaves out are counted beside it, not held against it.
Beside each test, `detectable_pp`: the smallest true difference it would detect with 80% power
at Holm's worst-case level alpha/m (m tests in the family), from the observed SDs and seeds
(`stats.detectable_difference`; a Welch test, whatever `primary_test` is).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from auxbench.methods import METHODS

from . import stats
from .cells import cell_values
from .options import AnalysisConfig
from .paper import CLAIMS, PAPER_VALUES, Claim, PaperValue
from .style import PAPER_DATASET_ORDER, cell_label, played_text

EPS = 1e-9



def numeric_verdict(
    paper: float,
    mean: float,
    ci_low: float,
    ci_high: float,
    n: int,
    *,
    tolerance: float = 1.0,
    max_halfwidth: float = 5.0,
    comparable: bool = True,
    reduced: bool = False,
    n_failed: int = 0,
    n_missing: int = 0,
    kind: str = "paper",
) -> tuple[str, str]:
    """(verdict, reason) for one paper number against our cell; see the module docstring."""
    if kind == "literature":
        return "context", "literature number quoted by the paper; not one of its results"
    total = n + n_failed + n_missing
    if total == 0:
        return "not run", "no runs for this cell"
    if n == 0:
        return "failed", f"all {n_failed + n_missing} seeds failed or missing"
    tail = ""
    if n_failed or n_missing:
        tail = f"; on {n} of {total} seeds ({n_failed} failed, {n_missing} missing)"
    if not comparable and reduced:
        return ("reduced scale",
                f"the real dataset at a reduced scale: {mean - paper:+.1f} pp from the paper's "
                f"{paper:g}, shown and not judged" + tail)
    if not comparable:
        return ("not comparable (scale)",
                "dataset is a stand-in or a reduced scale, not the paper's setup" + tail)
    if n < 2 or not (np.isfinite(ci_low) and np.isfinite(ci_high)):
        return "inconclusive", f"n={n}: no interval" + tail
    if ci_low > paper + tolerance + EPS:
        return "better", (f"interval [{ci_low:.2f}, {ci_high:.2f}] above {paper:g} + "
                          f"{tolerance:g}") + tail
    if ci_high < paper - tolerance - EPS:
        return "worse", (f"interval [{ci_low:.2f}, {ci_high:.2f}] below {paper:g} - "
                         f"{tolerance:g}") + tail
    half = (ci_high - ci_low) / 2.0
    if half > max_halfwidth + EPS:
        return "inconclusive", (f"interval too wide to decide (half-width {half:.2f} > "
                                f"{max_halfwidth:g} pp)") + tail
    if ci_low - EPS <= paper <= ci_high + EPS:
        return "reproduced", f"paper value inside [{ci_low:.2f}, {ci_high:.2f}]" + tail
    if abs(mean - paper) <= tolerance + EPS:
        return "reproduced", f"|mean - paper| = {abs(mean - paper):.2f} <= {tolerance:g}" + tail
    return "inconclusive", (f"interval [{ci_low:.2f}, {ci_high:.2f}] misses {paper:g} and "
                            f"|mean - paper| = {abs(mean - paper):.2f} > {tolerance:g}, but it "
                            f"overlaps the band {paper:g} ± {tolerance:g}") + tail


# Verdicts that compare nothing with the paper's number ("reduced scale" shows the distance).
UNCOMPARED = ("not comparable (scale)", "context", "not run")


PVR_COLUMNS = [
    "experiment", "paper_dataset", "dataset", "method", "setting", "label", "kind", "paper",
    "source", "n", "n_failed", "n_missing", "mean", "std", "ci_low", "ci_high", "ci_method",
    "diff", "tolerance", "comparable", "verdict", "reason",
]


def _match_cells(cells: pd.DataFrame, pv: PaperValue, cfg: AnalysisConfig) -> pd.DataFrame:
    """Our cells of a paper number; its Truncate 300 is our truncated setting."""
    m = ((cells["experiment"] == pv.experiment) & (cells["paper_dataset"] == pv.dataset)
         & (cells["method"] == pv.method))
    cand = cells[m]
    exact = cand[cand["setting"] == cfg.claim_cell((pv.method, pv.setting))[1]]
    if exact.empty and not METHODS[pv.method].truncatable and cand["setting"].nunique() == 1:
        return cand  # a method without a BPTT setting: accept the one it ran with
    return exact


def paper_vs_reproduced(cells: pd.DataFrame, cfg: AnalysisConfig,
                        paper_values: tuple[PaperValue, ...] = PAPER_VALUES) -> pd.DataFrame:
    """One row per paper number (and per dataset key mapped to its dataset) with a verdict."""
    rows = []
    for pv in paper_values:
        base = {"experiment": pv.experiment, "paper_dataset": pv.dataset, "method": pv.method,
                "setting": pv.setting, "label": played_text(pv.label, cfg.truncated_setting),
                "kind": pv.kind, "paper": pv.value,
                "source": pv.source}
        tol = cfg.approx_tolerance_pp if pv.kind == "approx" else cfg.tolerance_pp
        matches = (_match_cells(cells, pv, cfg) if pv.kind != "literature" and not cells.empty
                   else pd.DataFrame())
        if matches.empty:
            verdict, reason = numeric_verdict(pv.value, math.nan, math.nan, math.nan, 0,
                                              kind=pv.kind)
            rows.append({**base, "dataset": None, "n": 0, "n_failed": 0, "n_missing": 0,
                         "mean": math.nan, "std": math.nan, "ci_low": math.nan,
                         "ci_high": math.nan, "ci_method": "none", "diff": math.nan,
                         "tolerance": tol, "comparable": False, "verdict": verdict,
                         "reason": reason})
            continue
        for _, c in matches.iterrows():
            verdict, reason = numeric_verdict(
                pv.value, c["mean"], c["ci_low"], c["ci_high"], int(c["n"]),
                tolerance=tol, max_halfwidth=cfg.max_halfwidth_pp,
                comparable=bool(c["comparable"]), reduced=cfg.is_reduced(c["dataset"]),
                n_failed=int(c["n_failed"]),
                n_missing=int(c["n_missing"]), kind=pv.kind)
            rows.append({**base, "dataset": c["dataset"], "setting": c["setting"],
                         "n": int(c["n"]), "n_failed": int(c["n_failed"]),
                         "n_missing": int(c["n_missing"]), "mean": c["mean"], "std": c["std"],
                         "ci_low": c["ci_low"], "ci_high": c["ci_high"],
                         "ci_method": c["ci_method"], "diff": c["mean"] - pv.value,
                         "tolerance": tol, "comparable": bool(c["comparable"]),
                         "verdict": verdict, "reason": reason})
    return pd.DataFrame(rows, columns=PVR_COLUMNS)


# --------------------------------------------------------------------------- claims

# The verdict of a test whose opposite one-sided test is significant at alpha but not after
# Holm: the data point against the claim, though the family does not decide it. Its Welch
# interval (at 1 - 2 alpha, AnalysisConfig.one_sided_confidence) lies wholly on the wrong side.
AGAINST = "against (not significant after Holm)"


def statistics_convention(cfg: AnalysisConfig) -> str:
    """The report's one statistical convention, stated once (in its summary)."""
    one, two = round(cfg.one_sided_confidence * 100), round(cfg.confidence * 100)
    bound = round((1 - cfg.alpha) * 100)
    return (f"Statistics: a comparison in a direction the paper claims (the claims, Figure 4, "
            f"the recurrent cells) is a one-sided {cfg.test_name} test at α = {cfg.alpha:g}, "
            f"Holm-corrected within its family, and its difference is shown with the {one}% "
            f"interval, whose bound on the claimed side is the one-sided {bound}% bound the test "
            f"agrees with; a comparison with no claimed direction (a table's best cell against "
            f"the runner-up, the ablations against the full method) is two-sided with a {two}% "
            f"interval; a cell's mean has a {two}% bootstrap interval.")


CLAIM_COLUMNS = [
    "claim", "claim_text", "experiment", "paper_dataset", "dataset", "a", "b", "comparison",
    "hypothesis",
    "test", "n1", "n2", "n1_failed", "n2_failed", "mean1", "mean2", "sd1", "sd2", "diff",
    "diff_low", "diff_high", "detectable_pp", "p", "p_holm", "p_opposite", "p_opposite_holm",
    "mwu_p", "mwu_min_p", "prob_superiority", "effect_size", "effect_measure", "verdict", "note",
]


def _cell_status(runs: pd.DataFrame, experiment: str, dataset: str, method: str,
                 setting: str) -> tuple[int, int]:
    """(number of run folders, number of failed or missing seeds) of a cell."""
    m = ((runs["experiment"] == experiment) & (runs["dataset"] == dataset)
         & (runs["method"] == method) & (runs["setting"] == setting))
    g = runs[m]
    return len(g), int((g["status"] != "completed").sum())


def _claim_datasets(runs: pd.DataFrame, claim: Claim, cfg: AnalysisConfig) -> list[tuple]:
    """(paper dataset, dataset key or None) pairs the claim is tested on."""
    exp = runs[runs["experiment"] == claim.experiment] if not runs.empty else runs
    order = {p: i for i, p in enumerate(PAPER_DATASET_ORDER)}
    keys = sorted(set(exp["dataset"]) if not exp.empty else [],
                  key=lambda k: (order.get(cfg.paper_dataset(k), 99), k))
    out = []
    covered = set()
    for key in keys:
        pd_name = cfg.paper_dataset(key)
        if pd_name in claim.datasets or claim.any_dataset:
            out.append((pd_name, key))
            covered.add(pd_name)
    for name in claim.datasets:
        if name not in covered:
            out.append((name, None))
    return sorted(out, key=lambda x: (order.get(x[0], 99), str(x[1])))


def claim_text(claim: Claim, cfg: AnalysisConfig) -> str:
    """The claim as this run set tests it: its Truncate 300 named as the setting that plays it."""
    return played_text(claim.text, cfg.truncated_setting)


def _empty_row(claim: Claim, cfg: AnalysisConfig, paper_dataset, dataset, a, b) -> dict:
    row = {c: math.nan for c in CLAIM_COLUMNS}
    row.update(claim=claim.id, claim_text=claim_text(claim, cfg), experiment=claim.experiment,
               paper_dataset=paper_dataset, dataset=dataset, a=cell_label(*a),
               b=cell_label(*b) if b else None, n1=0, n2=0, n1_failed=0, n2_failed=0,
               comparison=_comparison_text(claim, a, b),
               test="", hypothesis="", effect_measure="", note="", verdict="not run")
    return row


def _comparison_text(claim: Claim, a, b, threshold: str | None = None) -> str:
    if claim.kind == "above_chance":
        return f"{cell_label(*a)} > {threshold or 'chance + margin'}"
    if claim.kind == "noninferior":
        return f"{cell_label(*a)} ≥ {cell_label(*b)} − margin"
    return f"{cell_label(*a)} > {cell_label(*b)}"


def _shift(claim: Claim, cfg: AnalysisConfig) -> float:
    """What mean(a) - mean(b) is tested against: minus the margin for non-inferiority."""
    return -cfg.noninferiority_margin_pp if claim.kind == "noninferior" else 0.0


def _sd(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1)) if len(x) >= 2 else math.nan


def _test_comparison(runs, claim, cfg, paper_dataset, dataset, a, b) -> dict:
    row = _empty_row(claim, cfg, paper_dataset, dataset, a, b)
    if dataset is None:
        row["note"] = f"no {claim.experiment} runs on {paper_dataset}"
        return row
    cells = [a] if b is None else [a, b]
    notes = []
    for i, cell in enumerate(cells, start=1):
        total, bad = _cell_status(runs, claim.experiment, dataset, *cell)
        row[f"n{i}_failed"] = bad
        if total == 0:
            row["note"] = f"{cell_label(*cell)} not run on {dataset}"
            return row
        if bad:
            notes.append(f"{cell_label(*cell)}: {bad} of {total} seeds failed or missing")
    x = cell_values(runs, claim.experiment, dataset, *a)
    if claim.kind == "above_chance":
        ncls = runs.loc[(runs["experiment"] == claim.experiment) & (runs["dataset"] == dataset),
                        "n_classes"].dropna()
        if ncls.empty:
            row.update(verdict="inconclusive", note="n_classes unknown: chance undefined")
            return row
        chance = 100.0 / float(ncls.median())
        thr = chance + cfg.chance_margin_pp
        fwd = stats.one_sample(x, thr, "greater")
        opp = stats.one_sample(x, thr, "less")
        row.update(
            b=f"chance {chance:.1f}% + {cfg.chance_margin_pp:g} pp",
            comparison=_comparison_text(
                claim, a, None, f"chance {chance:.1f}% + {cfg.chance_margin_pp:g} pp"),
            hypothesis=f"mean > {thr:.1f}", test="one-sample t, one-sided",
            n1=fwd["n"], n2=0, mean1=fwd["mean"], mean2=thr, sd1=_sd(x),
            diff=fwd["mean"] - thr,
            p=fwd["p"], p_opposite=opp["p"], effect_size=fwd["effect"],
            effect_measure="(mean - threshold) / SD",
        )
        ci = stats.bootstrap_ci(x, cfg.one_sided_confidence, cfg.n_resamples, cfg.seed)
        row["diff_low"], row["diff_high"] = ci.low - thr, ci.high - thr
        if fwd["note"]:
            notes.append(fwd["note"])
        notes += _control_note(runs, claim.experiment, dataset, a)
    else:
        y = cell_values(runs, claim.experiment, dataset, *b)
        shift = _shift(claim, cfg)
        fwd = stats.compare(x, y, "greater", shift, cfg.one_sided_confidence, cfg.alpha)
        opp = stats.compare(x, y, "less", shift, cfg.one_sided_confidence, cfg.alpha)
        pick = (lambda c: c.mwu_p) if cfg.primary_test == "mwu" else (lambda c: c.welch_p)
        if claim.kind == "noninferior":
            row["comparison"] = (f"{cell_label(*a)} ≥ {cell_label(*b)} − "
                                 f"{cfg.noninferiority_margin_pp:g} pp")
        row.update(
            hypothesis=(f"mean(a) - mean(b) > {shift:g}"),
            test=f"{cfg.test_name}, one-sided",
            n1=fwd.n1, n2=fwd.n2, mean1=fwd.mean1, mean2=fwd.mean2, sd1=_sd(x), sd2=_sd(y),
            diff=fwd.diff,
            diff_low=fwd.diff_low, diff_high=fwd.diff_high, p=pick(fwd), p_opposite=pick(opp),
            mwu_p=fwd.mwu_p, mwu_min_p=fwd.mwu_min_p, prob_superiority=fwd.prob_superiority,
            effect_size=fwd.hedges_g, effect_measure="Hedges' g",
        )
        if fwd.note:
            notes.append(fwd.note)
    row["verdict"] = "pending"
    row["note"] = "; ".join(notes)
    return row


def _control_note(runs: pd.DataFrame, experiment: str, dataset: str,
                  cell: tuple[str, str]) -> list[str]:
    """The same setting without an auxiliary loss, where it was run: above chance says little
    about the auxiliary loss if an LSTM whose state it never trained gets there too."""
    if cell[0] == "lstm":
        return []
    control = cell_values(runs, experiment, dataset, "lstm", cell[1])
    if not len(control):
        return []
    return [(f"control without auxiliary loss: {cell_label('lstm', cell[1])} "
             f"{control.mean():.1f}% (n={len(control)})")]


def evaluate_claims(runs: pd.DataFrame, cfg: AnalysisConfig,
                    claims: tuple[Claim, ...] = CLAIMS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per tested comparison, one roll-up row per claim and dataset and per claim)."""
    rows = []
    for claim in claims:
        family = []
        for paper_dataset, dataset in _claim_datasets(runs, claim, cfg):
            for a, b in claim.comparisons:
                a, b = cfg.claim_cell(a), None if b is None else cfg.claim_cell(b)
                family.append(_test_comparison(runs, claim, cfg, paper_dataset, dataset, a, b))
        p = np.array([r["p"] for r in family], dtype=float)
        q = np.array([r["p_opposite"] for r in family], dtype=float)
        p_holm, q_holm = stats.holm(p), stats.holm(q)
        m = int(np.isfinite(p).sum())
        for r, ph, qh in zip(family, p_holm, q_holm):
            r["p_holm"], r["p_opposite_holm"] = ph, qh
            r["detectable_pp"] = _detectable(r, claim, cfg, m)
            if r["verdict"] != "pending":
                continue
            if np.isfinite(ph) and ph < cfg.alpha:
                r["verdict"] = "supported"
            elif np.isfinite(qh) and qh < cfg.alpha:
                r["verdict"] = "contradicted"
            elif r["p_opposite"] < cfg.alpha:
                r["verdict"] = AGAINST
                r["note"] = "; ".join(x for x in (r["note"], (
                    f"the opposite one-sided test: p={r['p_opposite']:.3g}, "
                    f"Holm p={qh:.3g}")) if x)
            else:
                r["verdict"] = "inconclusive"
                if not np.isfinite(ph):
                    r["note"] = "; ".join(x for x in (r["note"], "no p-value (n too small)") if x)
                else:
                    r["note"] = "; ".join(
                        x for x in (r["note"], f"not significant after Holm (p={ph:.3g})") if x)
        rows.extend(family)
    detail = pd.DataFrame(rows, columns=CLAIM_COLUMNS)
    return detail, rollup_claims(detail, cfg, claims)


def _detectable(row: dict, claim: Claim, cfg: AnalysisConfig, m: int) -> float:
    """The smallest true difference (`diff`, pp) the comparison detects with 80% power at
    Holm's worst-case level alpha/m among the m tests of its family, at its SDs and seeds: an
    inconclusive test with a large one could not have seen an effect of the paper's size."""
    if not m:
        return math.nan
    one_sample = claim.kind == "above_chance"
    groups = [(row["sd1"], row["n1"])] + ([] if one_sample else [(row["sd2"], row["n2"])])
    sds, ns = zip(*groups)
    return _shift(claim, cfg) + stats.detectable_difference(sds, ns, cfg.alpha / m)


def rollup(verdicts: list[str]) -> str:
    """A claim's verdict on one dataset from its tests there: a test not run leaves it untested
    in part, so it cannot be supported; one test pointing against it (after Holm or before)
    outweighs the others' support."""
    vs = list(verdicts)
    if not vs or all(v == "not run" for v in vs):
        return "not run"
    if any(v == "contradicted" for v in vs):
        return "contradicted"
    if any(v == AGAINST for v in vs):
        return AGAINST
    if all(v == "supported" for v in vs):
        return "supported"
    return "inconclusive"


def rollup_datasets(verdicts: list[str]) -> str:
    """A claim's overall verdict from its verdicts per dataset: a dataset this scale does not
    run neither supports nor weakens it (the counts beside the verdict say so)."""
    return rollup([v for v in verdicts if v != "not run"] or ["not run"])


ROLLUP_COLUMNS = ["claim", "claim_text", "source", "scope", "paper_dataset", "dataset",
                  "verdict", "n_comparisons", "n_supported", "n_contradicted", "n_against",
                  "n_inconclusive", "n_not_run", "min_p_holm"]


def _scope_key(row) -> tuple[str, str | None]:
    ds = row["dataset"] if isinstance(row["dataset"], str) else None
    return (str(row["paper_dataset"]), ds)


def rollup_claims(detail: pd.DataFrame, cfg: AnalysisConfig,
                  claims: tuple[Claim, ...] = CLAIMS) -> pd.DataFrame:
    """One row per claim (scope 'all') and per claim and dataset (scope = the dataset key, or
    the paper's dataset name where nothing ran)."""
    out = []
    for claim in claims:
        d = detail[detail["claim"] == claim.id]
        keys = [_scope_key(r) for _, r in d.iterrows()]
        groups = [("all", None, None, d)]
        for pdn, ds in dict.fromkeys(keys):
            mask = [k == (pdn, ds) for k in keys]
            groups.append((ds or pdn, pdn, ds, d[mask]))
        per_dataset = [rollup(list(g["verdict"])) for _, _, _, g in groups[1:]]
        for scope, pdn, ds, g in groups:
            vs = list(g["verdict"])
            ph = g["p_holm"].dropna()
            verdict = rollup_datasets(per_dataset) if scope == "all" else rollup(vs)
            out.append({
                "claim": claim.id, "claim_text": claim_text(claim, cfg), "source": claim.source,
                "scope": scope, "paper_dataset": pdn, "dataset": ds, "verdict": verdict,
                "n_comparisons": len(vs), "n_supported": vs.count("supported"),
                "n_contradicted": vs.count("contradicted"), "n_against": vs.count(AGAINST),
                "n_inconclusive": vs.count("inconclusive"), "n_not_run": vs.count("not run"),
                "min_p_holm": float(ph.min()) if len(ph) else math.nan,
            })
    return pd.DataFrame(out, columns=ROLLUP_COLUMNS)


def deciding_test(tests: pd.DataFrame) -> pd.Series | None:
    """Of one claim's tests on one dataset, the one its verdict turns on: the strongest
    contradiction if a test contradicts it, else the strongest pointing against it (AGAINST),
    else the test with the largest Holm p (the weakest support, which a supported claim passed
    and an inconclusive one did not; a test without a p decides first); None where none ran."""
    ran = tests[tests["verdict"] != "not run"]
    if ran.empty:
        return None
    for verdict in ("contradicted", AGAINST):
        against = ran[ran["verdict"] == verdict]
        if not against.empty:
            return against.loc[against["p_opposite_holm"].idxmin()]
    return ran.loc[ran["p_holm"].fillna(math.inf).idxmax()]


FAILED_COLUMNS = ["experiment", "dataset", "method", "setting", "seed", "status", "error",
                  "run_dir"]


def failed_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Every seed that did not complete: the account the tables' daggers point to."""
    if runs.empty:
        return pd.DataFrame(columns=FAILED_COLUMNS)
    return runs.loc[runs["status"] != "completed", FAILED_COLUMNS].reset_index(drop=True)
