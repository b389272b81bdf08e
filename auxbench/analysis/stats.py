"""Statistics over seeds: per-cell intervals, two-sample comparisons, Holm correction, the
smallest difference a test can detect, and paired equivalence (TOST, the precision check).

Every p-value comes from `scipy.stats`. Only Holm's step-down adjustment and Hedges' g are
written here, from their definitions, because scipy has neither; the detectable difference
solves the noncentral t's power (scipy.stats.nct) for the difference with scipy's brentq.

Conventions
- Inputs are 1-D sequences of per-seed scores (percentage points in this package). NaNs are
  dropped before anything is computed.
- Intervals are two-sided at `confidence` (default 0.95).
- Bootstrap: `scipy.stats.bootstrap` on the mean with BCa and a fixed generator; when BCa is
  degenerate (NaN, e.g. all values equal) or n < 3, the percentile method is used instead and the
  returned record says so. With n = 1 there is no interval at all.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
from scipy import optimize, stats

DEFAULT_CONFIDENCE = 0.95
DEFAULT_RESAMPLES = 9999
DEFAULT_SEED = 0
# Exact permutation p-values for Mann-Whitney U up to this many distinct splits.
EXACT_MWU_MAX_SPLITS = 20_000
# The power at which `detectable_difference` says what a test would detect.
DETECTABLE_POWER = 0.8


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


# --------------------------------------------------------------------------- one sample


@dataclass(frozen=True)
class Interval:
    low: float
    high: float
    method: str  # "BCa", "percentile", or "none"
    note: str = ""

    @property
    def halfwidth(self) -> float:
        return (self.high - self.low) / 2.0


def bootstrap_ci(
    values: Sequence[float],
    confidence: float = DEFAULT_CONFIDENCE,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> Interval:
    """Bootstrap interval of the mean: BCa, percentile where BCa is degenerate or n < 3.

    A fresh generator seeded with `seed` is used for every call, so a cell's interval does not
    depend on which cells were computed before it.
    """
    x = _clean(values)
    n = x.size
    if n == 0:
        return Interval(math.nan, math.nan, "none", "no values")
    if n == 1:
        return Interval(math.nan, math.nan, "none", "n=1: no interval")
    note = ""
    if n >= 3:
        res = _bootstrap(x, "BCa", confidence, n_resamples, seed)
        lo, hi = float(res.low), float(res.high)
        if np.isfinite(lo) and np.isfinite(hi):
            return Interval(lo, hi, "BCa", "")
        note = ("all values equal: BCa undefined, percentile used" if np.all(x == x[0])
                else "BCa degenerate: percentile used")
    else:
        note = "n<3: percentile used"
    res = _bootstrap(x, "percentile", confidence, n_resamples, seed)
    return Interval(float(res.low), float(res.high), "percentile", note)


def _bootstrap(x: np.ndarray, method: str, confidence: float, n_resamples: int, seed: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap(
            (x,),
            np.mean,
            confidence_level=confidence,
            n_resamples=n_resamples,
            method=method,
            rng=np.random.default_rng(seed),
            vectorized=True,
        )
    return res.confidence_interval


@dataclass(frozen=True)
class CellSummary:
    n: int
    mean: float
    std: float  # sample standard deviation (ddof=1); NaN for n < 2
    ci_low: float
    ci_high: float
    ci_method: str
    ci_note: str

    @property
    def halfwidth(self) -> float:
        return (self.ci_high - self.ci_low) / 2.0

    def as_dict(self) -> dict:
        return asdict(self)


def summarize(
    values: Sequence[float],
    confidence: float = DEFAULT_CONFIDENCE,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
) -> CellSummary:
    """n, mean, standard deviation and bootstrap interval of one cell's per-seed values."""
    x = _clean(values)
    n = int(x.size)
    mean = float(x.mean()) if n else math.nan
    std = float(x.std(ddof=1)) if n >= 2 else math.nan
    ci = bootstrap_ci(x, confidence, n_resamples, seed)
    return CellSummary(n, mean, std, ci.low, ci.high, ci.method, ci.note)


# --------------------------------------------------------------------------- corrections


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), in the input order.

    With the m finite p-values sorted ascending, p_(1) <= ... <= p_(m), the adjusted value of the
    i-th is max_{j <= i} min(1, (m - j + 1) p_(j)). NaN entries are not part of the family and
    stay NaN.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    finite = np.flatnonzero(np.isfinite(p))
    m = finite.size
    if m == 0:
        return out
    order = finite[np.argsort(p[finite], kind="stable")]
    running = 0.0
    for j, idx in enumerate(order):
        running = max(running, min(1.0, (m - j) * p[idx]))
        out[idx] = running
    return out


# --------------------------------------------------------------------------- effect sizes


def hedges_g(a: Sequence[float], b: Sequence[float]) -> float:
    """Hedges' g of a - b: Cohen's d on the pooled SD times J = 1 - 3 / (4 (n1 + n2) - 9)."""
    x, y = _clean(a), _clean(b)
    n1, n2 = x.size, y.size
    if n1 < 2 or n2 < 2:
        return math.nan
    pooled = ((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2)
    diff = x.mean() - y.mean()
    if pooled == 0:
        return math.nan if diff == 0 else math.copysign(math.inf, diff)
    return float(diff / math.sqrt(pooled) * (1.0 - 3.0 / (4.0 * (n1 + n2) - 9.0)))


def min_mwu_p(n1: int, n2: int, alternative: str = "two-sided") -> float:
    """Smallest p-value the exact Mann-Whitney U test can give with these sample sizes.

    The most extreme split has probability 1 / C(n1 + n2, n1); two-sided doubles it.
    """
    if n1 < 1 or n2 < 1:
        return math.nan
    p = 1.0 / math.comb(n1 + n2, n1)
    return min(1.0, 2.0 * p) if alternative == "two-sided" else p


def mann_whitney(a: Sequence[float], b: Sequence[float], alternative: str = "two-sided") -> dict:
    """Mann-Whitney U of a against b; probability of superiority P(a > b) + P(a = b) / 2.

    Small samples use the exact permutation distribution (correct with ties); larger ones the
    asymptotic normal approximation with continuity correction.
    """
    x, y = _clean(a), _clean(b)
    n1, n2 = x.size, y.size
    out = {"U": math.nan, "p": math.nan, "prob_superiority": math.nan,
           "min_p": min_mwu_p(n1, n2, alternative), "method": "none"}
    if n1 == 0 or n2 == 0:
        return out
    small = math.comb(n1 + n2, n1) <= EXACT_MWU_MAX_SPLITS
    ties = np.unique(np.concatenate([x, y])).size < n1 + n2
    if small and min(n1, n2) >= 2:
        method: object = stats.PermutationMethod(n_resamples=np.inf)  # exact, correct with ties
        out["method"] = "exact"
    elif small and not ties:
        method = out["method"] = "exact"
    else:
        method = out["method"] = "asymptotic"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.mannwhitneyu(x, y, alternative=alternative, method=method)
    out["U"] = float(res.statistic)
    out["p"] = float(res.pvalue)
    out["prob_superiority"] = float(res.statistic) / (n1 * n2)
    return out


# --------------------------------------------------------------------------- two samples


@dataclass(frozen=True)
class Comparison:
    """a versus b. `diff` = mean(a) - mean(b) with its Welch interval; the p-values test
    mean(a) - mean(b) against `shift` in the direction `alternative` (Mann-Whitney: a against
    b + shift). U, the probability of superiority and Hedges' g are of the unshifted data."""

    n1: int
    n2: int
    mean1: float
    mean2: float
    diff: float
    diff_low: float
    diff_high: float
    alternative: str
    shift: float
    welch_t: float
    welch_df: float
    welch_p: float
    mwu_U: float
    mwu_p: float
    mwu_min_p: float
    mwu_method: str
    prob_superiority: float
    hedges_g: float
    note: str

    def as_dict(self) -> dict:
        return asdict(self)


def welch(
    a: Sequence[float],
    b: Sequence[float],
    alternative: str = "two-sided",
    shift: float = 0.0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> dict:
    """Welch's t-test of mean(a) - mean(b) against `shift`, and the two-sided interval of the
    difference mean(a) - mean(b).

    `shift` tests a margin: alternative="greater" with shift=-1 asks whether a is no more than
    1 below b (non-inferiority). It is applied by moving b, which leaves the variances unchanged.
    """
    x, y = _clean(a), _clean(b)
    out = {"t": math.nan, "df": math.nan, "p": math.nan,
           "diff_low": math.nan, "diff_high": math.nan, "note": ""}
    if x.size < 2 or y.size < 2:
        out["note"] = f"Welch needs n>=2 per group (n={x.size} vs {y.size})"
        return out
    if x.var(ddof=1) == 0 and y.var(ddof=1) == 0:
        out["note"] = "zero variance in both groups: Welch undefined"
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.ttest_ind(x, y + shift, equal_var=False, alternative=alternative)
        two = stats.ttest_ind(x, y, equal_var=False)
        ci = two.confidence_interval(confidence_level=confidence)
    out.update(t=float(res.statistic), df=float(res.df), p=float(res.pvalue),
               diff_low=float(ci.low), diff_high=float(ci.high))
    return out


def compare(
    a: Sequence[float],
    b: Sequence[float],
    alternative: str = "two-sided",
    shift: float = 0.0,
    confidence: float = DEFAULT_CONFIDENCE,
    alpha: float = 0.05,
) -> Comparison:
    """Welch, Mann-Whitney U, probability of superiority and Hedges' g for a versus b.

    The note says when the sample is too small for a claim, e.g. that Mann-Whitney with 3 vs 3
    cannot go below p = 0.1 two-sided.
    """
    x, y = _clean(a), _clean(b)
    w = welch(x, y, alternative, shift, confidence)
    u = mann_whitney(x, y + shift, alternative)
    if shift != 0:
        # U and the probability of superiority describe the data as they are; only the
        # p-value tests the shifted (margin) hypothesis.
        raw = mann_whitney(x, y, alternative)
        u = {**u, "U": raw["U"], "prob_superiority": raw["prob_superiority"]}
    notes = [w["note"]] if w["note"] else []
    if np.isfinite(u["min_p"]) and u["min_p"] >= alpha:
        notes.append(
            f"MWU cannot reach p<{alpha:g} at n={x.size} vs {y.size} "
            f"(min {alternative} p={u['min_p']:.3g})"
        )
    mean1 = float(x.mean()) if x.size else math.nan
    mean2 = float(y.mean()) if y.size else math.nan
    return Comparison(
        n1=int(x.size), n2=int(y.size), mean1=mean1, mean2=mean2,
        diff=mean1 - mean2, diff_low=w["diff_low"], diff_high=w["diff_high"],
        alternative=alternative, shift=float(shift),
        welch_t=w["t"], welch_df=w["df"], welch_p=w["p"],
        mwu_U=u["U"], mwu_p=u["p"], mwu_min_p=u["min_p"], mwu_method=u["method"],
        prob_superiority=u["prob_superiority"], hedges_g=hedges_g(x, y),
        note="; ".join(notes),
    )


def one_sample(
    values: Sequence[float], threshold: float, alternative: str = "greater"
) -> dict:
    """One-sample t-test of the mean against `threshold`, and the standardised distance
    (mean - threshold) / SD (Cohen's d for one sample)."""
    x = _clean(values)
    out = {"n": int(x.size), "mean": float(x.mean()) if x.size else math.nan,
           "t": math.nan, "p": math.nan, "effect": math.nan, "note": ""}
    if x.size < 2:
        out["note"] = f"t-test needs n>=2 (n={x.size})"
        return out
    sd = x.std(ddof=1)
    if sd == 0:
        out["note"] = "zero variance: t-test undefined"
        d = x.mean() - threshold
        out["effect"] = math.nan if d == 0 else math.copysign(math.inf, d)
        return out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.ttest_1samp(x, threshold, alternative=alternative)
    out.update(t=float(res.statistic), p=float(res.pvalue),
               effect=float((x.mean() - threshold) / sd))
    return out


# --------------------------------------------------------------------------- equivalence


@dataclass(frozen=True)
class Equivalence:
    """Paired two one-sided tests (TOST) of |mean(candidate - reference)| < margin."""
    n: int
    mean: float             # mean paired difference, candidate - reference
    sd: float
    margin: float
    alpha: float
    p_lower: float          # H0: mean <= -margin
    p_upper: float          # H0: mean >= +margin
    p: float                # the larger: equivalence at level alpha when p < alpha
    ci_low: float           # the 1 - 2 alpha interval of the mean difference
    ci_high: float
    decidable_margin: float  # TOST passes at every margin above this
    equivalent: bool

    def as_dict(self) -> dict:
        return asdict(self)


def paired_tost(reference: Sequence[float], candidate: Sequence[float], margin: float,
                alpha: float = 0.05) -> Equivalence:
    """Whether two paired series (the same seeds computed two ways) are equivalent within
    `margin`: both one-sided paired t-tests reject at `alpha` (Schuirmann's TOST), which is the
    1 - 2 alpha interval of the mean difference lying inside (-margin, margin). A failed
    difference test shows nothing; this shows the difference small. `decidable_margin` (|mean|
    + t_{1-alpha} SE) is the smallest margin the seeds could have shown, printed beside the
    verdict. Pairs with a NaN are dropped; n >= 2 pairs are needed."""
    a, b = np.asarray(reference, dtype=float), np.asarray(candidate, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired series differ in length ({a.size} != {b.size})")
    d = (b - a)[np.isfinite(a) & np.isfinite(b)]
    if d.size < 2:
        raise ValueError(f"equivalence needs at least 2 complete pairs, got {d.size}")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    se = sd / math.sqrt(d.size)
    if se == 0:  # every pair differs alike: the mean is known exactly
        p_lower, p_upper = float(mean <= -margin), float(mean >= margin)
    else:
        p_lower = float(stats.ttest_1samp(d, -margin, alternative="greater").pvalue)
        p_upper = float(stats.ttest_1samp(d, margin, alternative="less").pvalue)
    half = float(stats.t.ppf(1.0 - alpha, d.size - 1)) * se
    p = max(p_lower, p_upper)
    return Equivalence(int(d.size), mean, sd, float(margin), float(alpha), p_lower, p_upper, p,
                       mean - half, mean + half, abs(mean) + half, p < alpha)


# --------------------------------------------------------------------------- power


def detectable_difference(sds: Sequence[float], ns: Sequence[int], alpha: float,
                          power: float = DETECTABLE_POWER) -> float:
    """The smallest true difference a one-sided Welch test at level `alpha` detects with
    probability `power`, given the groups' SDs and sizes (one group: the one-sample t test).

    A test that cannot see the effect it is asked about says nothing by failing; this says how
    large an effect the seeds could have shown. The standard error and the Welch-Satterthwaite
    degrees of freedom come from the observed SDs; the power at a true difference d is
    P(T > t_{1-alpha}) for T noncentral t with noncentrality d / SE. NaN where the test is
    undefined (a group with n < 2, or every SD zero).
    """
    ns = [int(n) for n in ns]
    if not ns or min(ns) < 2 or not all(np.isfinite(sds)):
        return math.nan
    parts = [float(sd) ** 2 / n for sd, n in zip(sds, ns)]
    var = sum(parts)
    if var == 0:
        return math.nan
    df = var ** 2 / sum(v ** 2 / (n - 1) for v, n in zip(parts, ns))
    crit = stats.t.ppf(1.0 - alpha, df)

    def short(nc: float) -> float:
        return float(stats.nct.sf(crit, df, nc)) - power

    high = crit + stats.norm.ppf(power) + 1.0
    while short(high) < 0:
        high *= 2.0
    return float(optimize.brentq(short, 0.0, high, xtol=1e-10)) * math.sqrt(var)
