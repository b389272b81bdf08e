"""Statistics against known answers: interval coverage, textbook tests, Holm, effect sizes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from auxbench.analysis import stats

# Welch's t-test example 1 of the Wikipedia article "Welch's t-test" (two samples of 15):
# t = -2.46, df = 24.99, p = 0.021.
WIKI_A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7,
           21.4]
WIKI_A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5,
           24.4]


def _coverage(confidence: float, draws: int, n: int = 10, resamples: int = 199) -> tuple:
    rng = np.random.default_rng(12345)
    hits, methods = 0, set()
    for i in range(draws):
        x = rng.normal(5.0, 2.0, size=n)
        ci = stats.bootstrap_ci(x, confidence=confidence, n_resamples=resamples, seed=i)
        methods.add(ci.method)
        hits += ci.low <= 5.0 <= ci.high
    return hits / draws, methods


def test_bootstrap_95_interval_covers_true_mean_about_95_percent():
    cov, methods = _coverage(0.95, 400)
    assert methods == {"BCa"}
    # BCa at n=10 under-covers a little; nominal 0.95, binomial SD over 400 draws is ~0.011.
    assert 0.88 <= cov <= 0.98, cov


def test_bootstrap_confidence_level_is_honoured():
    # A 50% interval must cover far less often: proves `confidence` reaches scipy.
    cov, _ = _coverage(0.50, 150)
    assert 0.30 <= cov <= 0.65, cov


def test_bca_falls_back_to_percentile_on_constant_data():
    ci = stats.bootstrap_ci([0.7] * 5, n_resamples=500)
    assert ci.method == "percentile"
    assert "BCa" in ci.note
    assert ci.low == pytest.approx(0.7) and ci.high == pytest.approx(0.7)


def test_small_samples_interval_methods():
    one = stats.bootstrap_ci([3.0])
    assert one.method == "none" and math.isnan(one.low) and "n=1" in one.note
    two = stats.bootstrap_ci([1.0, 2.0], n_resamples=2000)
    # With two values the bootstrap means are a, (a+b)/2, b with weights 1/4, 1/2, 1/4.
    assert two.method == "percentile" and "n<3" in two.note
    assert (two.low, two.high) == (1.0, 2.0)
    assert stats.bootstrap_ci([]).method == "none"


def test_bootstrap_is_deterministic_for_a_fixed_seed():
    x = np.random.default_rng(0).normal(size=12)
    assert stats.bootstrap_ci(x, n_resamples=300, seed=3) == stats.bootstrap_ci(
        x, n_resamples=300, seed=3)
    assert stats.bootstrap_ci(x, n_resamples=300, seed=3) != stats.bootstrap_ci(
        x, n_resamples=300, seed=4)


def test_summarize_drops_nan_and_reports_sd():
    s = stats.summarize([1.0, 2.0, 3.0, float("nan")], n_resamples=500)
    assert s.n == 3 and s.mean == pytest.approx(2.0) and s.std == pytest.approx(1.0)
    assert s.ci_low < 2.0 < s.ci_high


def test_welch_matches_textbook_example():
    w = stats.welch(WIKI_A1, WIKI_A2)
    assert w["t"] == pytest.approx(-2.46, abs=0.005)
    assert w["df"] == pytest.approx(24.99, abs=0.01)
    assert w["p"] == pytest.approx(0.021, abs=0.0005)
    one = stats.welch(WIKI_A1, WIKI_A2, alternative="less")
    assert one["p"] == pytest.approx(w["p"] / 2)


def test_welch_interval_and_shift_match_the_formula():
    a, b = np.array(WIKI_A1), np.array(WIKI_A2)
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.size - 1) + vb**2 / (b.size - 1))
    diff = a.mean() - b.mean()
    q = sps.t.ppf(0.975, df)
    w = stats.welch(a, b)
    assert (w["diff_low"], w["diff_high"]) == pytest.approx((diff - q * se, diff + q * se))
    # Non-inferiority: H1 mean(a) - mean(b) > -3.
    shifted = stats.welch(a, b, alternative="greater", shift=-3.0)
    t = (diff + 3.0) / se
    assert shifted["t"] == pytest.approx(t)
    assert shifted["p"] == pytest.approx(sps.t.sf(t, df))


def test_welch_refuses_too_small_or_degenerate_samples():
    assert math.isnan(stats.welch([1.0], [2.0, 3.0])["p"])
    assert "n>=2" in stats.welch([1.0], [2.0, 3.0])["note"]
    assert "zero variance" in stats.welch([1.0, 1.0], [2.0, 2.0])["note"]


def test_mann_whitney_fully_separated_exact_values():
    two = stats.mann_whitney([4, 5, 6], [1, 2, 3])
    assert two["U"] == 9 and two["prob_superiority"] == 1.0
    assert two["p"] == pytest.approx(0.1)  # 2 / C(6, 3)
    one = stats.mann_whitney([4, 5, 6], [1, 2, 3], alternative="greater")
    assert one["p"] == pytest.approx(0.05)
    low = stats.mann_whitney([1, 2, 3], [4, 5, 6], alternative="greater")
    assert low["prob_superiority"] == 0.0 and low["p"] == pytest.approx(1.0)


def test_mann_whitney_with_ties_stays_exact():
    # The normal approximation would give p = 0.072 here, below what 3 vs 3 can reach.
    r = stats.mann_whitney([4, 5, 5], [1, 2, 2])
    assert r["method"] == "exact" and r["p"] == pytest.approx(0.1)


def test_mann_whitney_single_observation_is_exact():
    # One value above three: the exact null puts it at the top with probability 1/4.
    r = stats.mann_whitney([5.0], [1.0, 2.0, 3.0], alternative="greater")
    assert r["method"] == "exact" and r["p"] == pytest.approx(0.25)


def test_probability_of_superiority_counts_ties_as_half():
    r = stats.mann_whitney([1, 2], [2, 3])
    assert r["prob_superiority"] == pytest.approx(0.5 / 4)


def test_minimum_achievable_mwu_p_and_the_note():
    assert stats.min_mwu_p(3, 3) == pytest.approx(0.1)
    assert stats.min_mwu_p(3, 3, "greater") == pytest.approx(0.05)
    assert stats.min_mwu_p(5, 5) == pytest.approx(2 / 252)
    c = stats.compare([4, 5, 6], [1, 2, 3])
    assert "cannot reach p<0.05" in c.note and "0.1" in c.note
    big = stats.compare([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
    assert "cannot reach" not in big.note


def test_holm_textbook_example():
    adj = stats.holm([0.01, 0.04, 0.03, 0.005])
    # sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, max(0.04*1, 0.06)=0.06
    np.testing.assert_allclose(adj, [0.03, 0.06, 0.06, 0.02])


def test_holm_ignores_nan_and_caps_at_one():
    adj = stats.holm([0.01, float("nan"), 0.04])
    assert math.isnan(adj[1])
    np.testing.assert_allclose(adj[[0, 2]], [0.02, 0.04])
    np.testing.assert_allclose(stats.holm([0.5, 0.6]), [1.0, 1.0])
    assert stats.holm([]).size == 0


def test_hedges_g_known_value():
    # pooled SD 1, d = -3, J = 1 - 3 / (4 * 6 - 9) = 0.8
    assert stats.hedges_g([1, 2, 3], [4, 5, 6]) == pytest.approx(-2.4)
    assert math.isnan(stats.hedges_g([1.0], [2.0, 3.0]))


def test_one_sample_against_threshold():
    r = stats.one_sample([50.0, 52.0, 54.0], 20.0, "greater")
    t = (52.0 - 20.0) / (2.0 / math.sqrt(3))
    assert r["t"] == pytest.approx(t) and r["p"] == pytest.approx(sps.t.sf(t, 2))
    assert r["effect"] == pytest.approx(16.0)
    flat = stats.one_sample([30.0, 30.0], 20.0)
    assert math.isnan(flat["p"]) and "zero variance" in flat["note"]


# --------------------------------------------------------------------------- power


def _welch_power(diff, sds, ns, alpha):
    """Power of the one-sided Welch test at a true difference, written out independently."""
    v = [s * s / n for s, n in zip(sds, ns)]
    df = sum(v) ** 2 / sum(x * x / (n - 1) for x, n in zip(v, ns))
    return sps.nct.sf(sps.t.ppf(1 - alpha, df), df, diff / math.sqrt(sum(v)))


@pytest.mark.parametrize("sds, ns, alpha", [
    ((10.0, 10.0), (5, 5), 0.05),
    ((12.5, 2.3), (5, 3), 0.05 / 5),     # unequal SDs and sizes, Holm's worst case of 5 tests
    ((4.0, 0.0), (3, 3), 0.05 / 2),      # one group without spread: df = n - 1 of the other
    ((3.7,), (3,), 0.05),                # one sample (claim e): the one-sample t
])
def test_detectable_difference_has_the_asked_power(sds, ns, alpha):
    d = stats.detectable_difference(sds, ns, alpha)
    assert d > 0
    assert _welch_power(d, sds, ns, alpha) == pytest.approx(0.80, abs=1e-6)
    assert _welch_power(0.9 * d, sds, ns, alpha) < 0.78  # a smaller difference is missed


def test_detectable_difference_tends_to_the_normal_approximation():
    """Equal n and SD, large n: (z_{1-a} + z_{0.8}) * sd * sqrt(2/n)."""
    z = sps.norm.ppf(0.95) + sps.norm.ppf(0.80)
    assert z * 10.0 * math.sqrt(2 / 2000) == pytest.approx(0.7863, abs=1e-4)
    assert stats.detectable_difference([10.0, 10.0], [2000, 2000], 0.05) == pytest.approx(
        0.7863, rel=1e-3)
    # Few seeds detect far less: five per group need about 1.72 SDs, not 1.57.
    d5 = stats.detectable_difference([10.0, 10.0], [5, 5], 0.05)
    assert d5 == pytest.approx(17.25, abs=0.01) and d5 > z * 10.0 * math.sqrt(2 / 5)
    # A stricter level needs a larger difference.
    assert stats.detectable_difference([10.0, 10.0], [5, 5], 0.01) > d5


def test_detectable_difference_undefined_cases():
    assert math.isnan(stats.detectable_difference([1.0, 1.0], [1, 5], 0.05))
    assert math.isnan(stats.detectable_difference([0.0, 0.0], [3, 3], 0.05))
    assert math.isnan(stats.detectable_difference([math.nan, 1.0], [3, 3], 0.05))


# --------------------------------------------------------------------------- equivalence (TOST)
DIFFS = np.array([0.2, -0.1, 0.4, 0.1, 0.0])  # candidate - reference, pp; hand: mean 0.12,
REF = np.array([97.1, 96.8, 97.4, 97.0, 96.9])  # SD sqrt(0.148 / 4), SE SD / sqrt(5)


def test_paired_tost_matches_hand_and_scipy_values():
    e = stats.paired_tost(REF, REF + DIFFS, margin=1.0)
    se = math.sqrt(0.148 / 4) / math.sqrt(5)
    assert e.n == 5 and e.mean == pytest.approx(0.12) and se == pytest.approx(0.086023, abs=1e-6)
    assert e.p_lower == pytest.approx(sps.t.sf((0.12 + 1.0) / se, 4))
    assert e.p_upper == pytest.approx(sps.t.cdf((0.12 - 1.0) / se, 4))
    assert e.p == max(e.p_lower, e.p_upper) < 0.05 and e.equivalent
    assert e.decidable_margin == pytest.approx(0.12 + 2.131847 * se, abs=1e-6)  # 0.3034
    assert (e.ci_low, e.ci_high) == pytest.approx((0.12 - 2.131847 * se, 0.12 + 2.131847 * se),
                                                  abs=1e-6)
    # the decidable margin is where TOST turns: p = alpha there, a pass just above, a fail below
    at = stats.paired_tost(REF, REF + DIFFS, margin=e.decidable_margin)
    assert at.p == pytest.approx(0.05)
    assert stats.paired_tost(REF, REF + DIFFS, margin=e.decidable_margin + 1e-6).equivalent
    assert not stats.paired_tost(REF, REF + DIFFS, margin=e.decidable_margin - 1e-6).equivalent


def test_paired_tost_passes_identical_series_and_fails_a_3pp_bias():
    same = stats.paired_tost(REF, REF, margin=1.0)
    assert same.equivalent and same.p == 0.0 and same.decidable_margin == 0.0
    biased = stats.paired_tost(REF, REF - 3.0 + DIFFS, margin=1.0)
    assert not biased.equivalent and biased.p > 0.99
    assert biased.decidable_margin == pytest.approx(2.88 + 2.131847 * 0.086023, abs=1e-5)
    constant = stats.paired_tost(REF, REF - 3.0, margin=1.0)  # zero variance, outside the margin
    assert not constant.equivalent and constant.decidable_margin == pytest.approx(3.0)


def test_paired_tost_refuses_unpaired_or_too_few_pairs():
    with pytest.raises(ValueError, match="length"):
        stats.paired_tost([1.0, 2.0], [1.0], margin=1.0)
    with pytest.raises(ValueError, match="at least 2"):
        stats.paired_tost([1.0, math.nan], [1.0, 2.0], margin=1.0)
