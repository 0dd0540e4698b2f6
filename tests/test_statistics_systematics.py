"""Systematic uncertainties and the Feldman-Cousins limit, against tabulated and independent values."""

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize, stats

from dipscan.config.scenario import load_experiment_preset
from dipscan.errors import ScenarioError
from dipscan.limits.feldman_cousins import feldman_cousins_upper_limit
from dipscan.limits.statistics import signal_upper_limit

REPO_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

# Upper ends of the intervals of Feldman and Cousins, Phys. Rev. D 57 (1998) 3873
# (arXiv:physics/9711021), Table IV (90% CL) and Table V (95% CL): (n0, b, CL, mu2).
FC_TABLE = [(0, 0.0, 0.90, 2.44), (1, 0.0, 0.90, 4.36), (2, 0.0, 0.90, 5.91), (3, 0.0, 0.90, 7.42),
            (5, 0.0, 0.90, 9.99), (0, 0.0, 0.95, 3.09), (1, 0.0, 0.95, 5.14), (2, 0.0, 0.95, 6.72),
            # b > 0, Table IV
            (0, 1.0, 0.90, 1.61), (2, 1.0, 0.90, 4.91), (0, 3.0, 0.90, 1.08), (2, 3.0, 0.90, 3.04),
            (5, 3.0, 0.90, 6.99), (6, 3.0, 0.90, 8.47), (0, 3.5, 0.90, 1.06),
            # b > 0, Table V
            (0, 1.0, 0.95, 2.33), (2, 1.0, 0.95, 5.72), (5, 1.0, 0.95, 10.26), (0, 2.0, 0.95, 1.78),
            (0, 3.0, 0.95, 1.63), (2, 3.0, 0.95, 3.84), (5, 3.0, 0.95, 8.26), (0, 5.0, 0.95, 1.54)]


@pytest.mark.parametrize("n, b, cl, table", FC_TABLE)
def test_feldman_cousins_table(n, b, cl, table):
    # The tables are rounded to 0.01 and read off a grid of 0.005 in mu.
    assert signal_upper_limit(n, b, confidence_level=cl, method="feldman_cousins") == \
        pytest.approx(table, abs=0.006)


def test_feldman_cousins_tables_make_the_limit_non_increasing_in_background():
    # Why 0 observed on b = 3.0 reads 1.08 in Table IV: the plain construction gives 0.95, and
    # the tables take the largest plain limit over b' >= b (here just after the jump near 3.45).
    plain = [feldman_cousins_upper_limit(0, b, 0.9, monotone_in_background=False)
             for b in (2.0, 2.2, 2.4, 2.6, 3.0)]
    assert plain[0] == pytest.approx(1.08, abs=0.005) and plain[-1] == pytest.approx(0.95, abs=0.005)
    assert plain[2] > plain[1]  # the sawtooth: the plain limit jumps up as b grows
    tabulated = [feldman_cousins_upper_limit(0, b, 0.9) for b in (2.0, 2.2, 2.4, 2.6, 3.0)]
    assert all(a >= b for a, b in zip(tabulated, tabulated[1:], strict=False))
    after_jump = max(feldman_cousins_upper_limit(0, b, 0.9, monotone_in_background=False)
                     for b in np.arange(3.40, 3.50, 0.005))
    assert tabulated[-1] == pytest.approx(after_jump, abs=0.005)
    assert tabulated[-1] >= after_jump - 1e-9


def test_poisson_zero_background_95():
    assert signal_upper_limit(0, 0.0) == pytest.approx(2.996, abs=5e-4)


def test_feldman_cousins_background_lowers_the_limit_and_stays_positive():
    limits = [feldman_cousins_upper_limit(2, b, 0.9) for b in (0.0, 0.5, 1.0, 2.0)]
    assert all(a > b > 0.0 for a, b in zip(limits, limits[1:], strict=False))


def test_feldman_cousins_signal_uncertainty_widens_smoothly():
    plain = feldman_cousins_upper_limit(1, 0.5, 0.9)
    tiny = feldman_cousins_upper_limit(1, 0.5, 0.9, signal_uncertainty=1e-3)
    wide = [feldman_cousins_upper_limit(1, 0.5, 0.9, signal_uncertainty=s) for s in (0.1, 0.3)]
    assert tiny == pytest.approx(plain, abs=0.02)
    # A small uncertainty also smooths the Poisson discreteness (less over-coverage), so it may
    # move the limit either way by a little (Conrad et al. 2003); a large one widens it.
    assert wide[0] == pytest.approx(plain, rel=0.05)
    assert wide[1] > plain


def test_feldman_cousins_refuses_large_counts():
    with pytest.raises(ValueError, match="gaussian"):
        signal_upper_limit(5429, 5429.0, method="feldman_cousins")


def test_poisson_signal_uncertainty_against_direct_integration():
    n, b, sigma_s, cl = 1, 0.5, 0.2, 0.95
    norm = stats.norm.sf(0.0, 1.0, sigma_s)

    def averaged_cdf(s):
        f = lambda e: stats.poisson.cdf(n, e * s + b) * stats.norm.pdf(e, 1.0, sigma_s)  # noqa: E731
        return integrate.quad(f, 0.0, 1.0 + 10 * sigma_s)[0] / norm

    expected = optimize.brentq(lambda s: averaged_cdf(s) - (1 - cl), 0.0, 50.0, xtol=1e-12)
    got = signal_upper_limit(n, b, signal_uncertainty=sigma_s)
    assert got == pytest.approx(expected, rel=1e-6)
    assert got > signal_upper_limit(n, b)  # a less certain normalisation allows more signal


def test_gaussian_signal_uncertainty_solves_its_equation():
    n, b, sigma_s = 5429, 5429.0, 0.1
    s = signal_upper_limit(n, b, method="gaussian", signal_uncertainty=sigma_s)
    z = stats.norm.ppf(0.95)
    assert s - (n - b) == pytest.approx(z * math.sqrt(n + (sigma_s * s) ** 2), rel=1e-12)


def test_relative_background_uncertainty_is_an_absolute_one_of_size_f_b():
    for method in ("poisson", "gaussian"):
        rel = signal_upper_limit(12, 8.0, method=method, background_relative_uncertainty=0.25)
        absolute = signal_upper_limit(12, 8.0, method=method, background_uncertainty=2.0)
        assert rel == pytest.approx(absolute, rel=1e-12)


def test_observed_uncertainty_replaces_sqrt_n_and_adds_in_quadrature():
    default = signal_upper_limit(5429, 5429.0, method="gaussian")
    assert signal_upper_limit(5429, 5429.0, method="gaussian",
                              observed_uncertainty=math.sqrt(5429)) == pytest.approx(default)
    split = signal_upper_limit(5429, 5429.0, method="gaussian", observed_uncertainty=[82.0, 88.0])
    assert split == pytest.approx(stats.norm.ppf(0.95) * math.hypot(82.0, 88.0), rel=1e-12)
    with pytest.raises(ValueError, match="gaussian"):
        signal_upper_limit(5, 3.5, observed_uncertainty=2.0)


def test_charm2_preset_uses_measured_errors_and_flux():
    stats_ = load_experiment_preset("charm2").statistics
    assert stats_.observed_uncertainty == (82.0, 88.0) and stats_.background_relative_uncertainty == 0.05
    level = signal_upper_limit(**{k: getattr(stats_, k) for k in stats_.__dataclass_fields__})
    expected = stats.norm.ppf(0.95) * math.sqrt(82.0**2 + 88.0**2 + (0.05 * 5429) ** 2)
    assert level == pytest.approx(expected, rel=1e-12)


@pytest.fixture
def home(make_home):
    return make_home("experiments", "beams") / "scenarios"


@pytest.mark.parametrize("preset, old, new, key, allowed", [
    ("nucal", 'method = "poisson"', 'method = "poisson"\nobserved_uncertainty = 2.0',
     "statistics.observed_uncertainty", "method 'gaussian' only"),
    ("charm2", "observed_uncertainty = [82.0, 88.0]", "observed_uncertainty = [82.0, -1]",
     "statistics.observed_uncertainty", "a positive number or a list"),
    ("charm2", "background_relative_uncertainty = 0.05", "signal_uncertainty = 0.7",
     "statistics.signal_uncertainty", "< 0.6"),
    ("charm2", 'method = "gaussian"', 'method = "feldman_cousins"', "statistics.observed",
     "<= 200"),
])
def test_preset_mistakes(home, preset, old, new, key, allowed):
    path = home / "experiments" / f"{preset}.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(ScenarioError) as err:
        load_experiment_preset(preset)
    assert err.value.file == str(path) and err.value.key == key and allowed in err.value.allowed
