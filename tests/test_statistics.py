"""Upper limits on signal counts: hand-computable values, independent routes, limits and errors."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from dipscan.limits.statistics import METHODS, signal_upper_limit


def _poisson_cdf_by_sum(n: int, mu: float) -> float:
    return sum(math.exp(-mu) * mu**k / math.factorial(k) for k in range(n + 1))


def _bisect(f, lo: float, hi: float) -> float:
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) > 0.0 else (lo, mid)
    return 0.5 * (lo + hi)


def test_zero_observed_zero_background_is_minus_log_alpha():
    assert signal_upper_limit(0, 0.0) == pytest.approx(-math.log(0.05), rel=1e-12)
    assert signal_upper_limit(0, 0.0) == pytest.approx(2.9957, abs=1e-4)


@pytest.mark.parametrize(("n", "b"), [(1, 0.5), (5, 3.5), (0, 0.0), (12, 2.0)])
def test_poisson_matches_chi2_identity(n, b):
    # P(N <= n | mu) = 1 - F_chi2(2 mu; 2 n + 2): the classical limit is chi2.ppf(CL, 2n+2)/2 - b.
    expected = stats.chi2.ppf(0.95, 2 * n + 2) / 2.0 - b
    assert signal_upper_limit(n, b) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(("n", "b", "value"), [(1, 0.5, 4.2439), (5, 3.5, 7.0130)])
def test_bebc_and_nucal_by_brute_force_root(n, b, value):
    # BEBC: 1 observed, 0.5 background. NuCal: 5 observed, 3.5 background.
    brute = _bisect(lambda s: _poisson_cdf_by_sum(n, s + b) - 0.05, 0.0, 50.0)
    assert signal_upper_limit(n, b) == pytest.approx(brute, rel=1e-9)
    assert signal_upper_limit(n, b) == pytest.approx(value, abs=1e-3)


@pytest.mark.slow
def test_background_uncertainty_against_direct_integration():
    # BEBC with its 0.5 +- 0.1 background: average the Poisson CDF over the Gaussian by quad.
    n, b, sb = 1, 0.5, 0.1
    norm = stats.norm.sf(0.0, b, sb)

    def averaged_cdf(s):
        f = lambda bb: stats.poisson.cdf(n, s + bb) * stats.norm.pdf(bb, b, sb)  # noqa: E731
        return integrate.quad(f, 0.0, b + 10 * sb)[0] / norm

    expected = _bisect(lambda s: averaged_cdf(s) - 0.05, 0.0, 20.0)
    got = signal_upper_limit(n, b, background_uncertainty=sb)
    assert got == pytest.approx(expected, rel=1e-6)
    # A small uncertainty is a small change.
    assert abs(got - signal_upper_limit(n, b)) < 0.05


def test_truncation_at_zero_background():
    # sigma_b >> b: the truncated average must stay finite and below the b = 0 limit.
    got = signal_upper_limit(2, 0.1, background_uncertainty=5.0)
    assert 0.0 < got < signal_upper_limit(2, 0.0)


def test_monotonicity():
    limits_n = [signal_upper_limit(n, 3.0) for n in range(0, 15)]
    assert np.all(np.diff(limits_n) > 0.0)
    limits_b = [signal_upper_limit(5, b) for b in np.linspace(0.0, 5.0, 11)]
    assert np.all(np.diff(limits_b) < 0.0)
    limits_cl = [signal_upper_limit(5, 3.5, confidence_level=cl) for cl in (0.68, 0.9, 0.95, 0.99)]
    assert np.all(np.diff(limits_cl) > 0.0)


def test_empty_classical_interval_gives_zero():
    # 0 observed with 5 expected: P(0 | 5) = 0.0067 < 0.05 already at s = 0.
    assert signal_upper_limit(0, 5.0) == 0.0


def test_no_subtraction_ignores_background():
    assert signal_upper_limit(5, 3.5, method="poisson_no_subtraction") == pytest.approx(
        stats.chi2.ppf(0.95, 12) / 2.0, rel=1e-10
    )


def test_large_count_limit_poisson_equals_gaussian():
    # CHARM-II-like: 5429 observed, background equal to the observation.
    n = 5429
    poisson = signal_upper_limit(n, float(n))
    gaussian = signal_upper_limit(n, float(n), method="gaussian")
    assert gaussian == pytest.approx(stats.norm.ppf(0.95) * math.sqrt(n), rel=1e-12)
    assert poisson == pytest.approx(gaussian, rel=0.02)


def test_gaussian_includes_background_uncertainty_in_quadrature():
    got = signal_upper_limit(100, 90.0, background_uncertainty=5.0, method="gaussian")
    assert got == pytest.approx(10.0 + stats.norm.ppf(0.95) * math.sqrt(125.0), rel=1e-12)


def test_unknown_method_names_the_allowed_ones():
    with pytest.raises(ValueError) as err:
        signal_upper_limit(1, 0.5, method="cls")
    for name in METHODS:
        assert name in str(err.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"observed": -1, "background": 0.0},
        {"observed": 1.5, "background": 0.0},
        {"observed": 1, "background": -0.1},
        {"observed": 1, "background": 0.5, "background_uncertainty": -1.0},
        {"observed": 1, "background": 0.5, "confidence_level": 1.0},
    ],
)
def test_invalid_inputs(kwargs):
    with pytest.raises(ValueError):
        signal_upper_limit(**kwargs)
