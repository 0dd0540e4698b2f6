"""Decay probability in a fiducial interval (eq. 4.3) and lab decay lengths."""

import math
import warnings

import numpy as np
import pytest

from dipscan.physics.constants import HBARC_GeV_m
from dipscan.physics.decays.fdec import decay_length_m, decay_probability


def test_matches_difference_of_exponentials_where_that_is_accurate():
    li, lf, lam = 80.0, 200.0, 150.0
    exact = math.exp(-li / lam) - math.exp(-lf / lam)
    assert decay_probability(li, lf, lam) == pytest.approx(exact, rel=1e-14)


@pytest.mark.parametrize("lam", [1e6, 1e9, 1e12, 1e15])
def test_long_lifetime_limit_keeps_full_precision(lam):
    li, lf = 100.0, 250.0
    # series of exp(-li/lam) - exp(-lf/lam) to second order; third order is below 1e-18 relative
    series = (lf - li) / lam - (lf**2 - li**2) / (2 * lam**2) + (lf**3 - li**3) / (6 * lam**3)
    assert decay_probability(li, lf, lam) == pytest.approx(series, rel=1e-13)


def test_short_lifetime_limit_is_zero_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = decay_probability(10.0, 20.0, np.array([0.0, 1e-300, 1e-3, 0.5]))
        assert out[0] == 0.0 and out[1] == 0.0 and out[2] == 0.0
        assert out[3] == pytest.approx(math.exp(-20.0) * -math.expm1(-20.0), rel=1e-14)
        assert decay_probability(10.0, 20.0, np.inf) == 0.0
        assert decay_probability(0.0, 20.0, 0.0) == 1.0  # born inside, decays at once


def test_maximum_at_the_analytic_decay_length():
    li, lf = 100.0, 200.0
    lam_star = (lf - li) / math.log(lf / li)  # d f_dec / d lambda = 0
    f_star = decay_probability(li, lf, lam_star)
    assert f_star > decay_probability(li, lf, 0.99 * lam_star)
    assert f_star > decay_probability(li, lf, 1.01 * lam_star)


def test_broadcasting():
    li = np.array([[10.0], [50.0]])
    lam = np.array([1.0, 10.0, 100.0])
    out = decay_probability(li, 80.0, lam)
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(math.exp(-0.5) - math.exp(-0.8), rel=1e-14)


def test_invalid_intervals_raise():
    with pytest.raises(ValueError):
        decay_probability(20.0, 10.0, 1.0)
    with pytest.raises(ValueError):
        decay_probability(1.0, 10.0, -1.0)


def test_decay_length():
    assert decay_length_m(1.0, HBARC_GeV_m) == pytest.approx(1.0, rel=1e-15)
    assert decay_length_m(np.array([2.0, 3.0]), HBARC_GeV_m / 5).tolist() == pytest.approx(
        [10.0, 15.0]
    )
    assert decay_length_m(1.0, 0.0) == np.inf
