"""Thermal relic: cross sections by crossing, coannihilation limits, freeze-out solver, g_*."""

import math

import numpy as np
import pytest
from scipy import integrate

from dipscan.limits.boltzmann import CM3_PER_S_PER_GeVm2, freeze_out_yield, omega_h2
from dipscan.limits.dark_pair import (
    pair_momentum_squared_GeV2,
    sigma_chi1chi2_to_ffbar_GeVm2,
    sigma_ee_to_chi1chi2_GeVm2,
)
from dipscan.limits.dof import g_eff, h_eff
from dipscan.limits.r_ratio import (
    alpha_s,
    narrow_resonance_weights,
    pion_form_factor_gs,
    r_continuum,
    r_rho,
)
from dipscan.limits.relic import (
    THERMAL_DM_MIN_MASS_GeV,
    coannihilation_sigma_v_GeVm2,
    griest_seckel_factor,
    relic_coupling,
    relic_omega_h2,
)
from dipscan.physics.constants import ALPHA_EM


def test_constant_swave_majorana_gives_the_canonical_relic_density():
    # Steigman, Dasgupta and Beacom (2012): <sigma v> = 2.2e-26 cm^3/s for a Majorana WIMP of
    # tens of GeV gives the observed abundance. Same solver as the dipole line.
    sigma_v = 2.2e-26 / CM3_PER_S_PER_GeVm2
    omegas = []
    for m in (20.0, 50.0, 100.0):
        y = freeze_out_yield(m, lambda x: np.full(np.shape(x), sigma_v), species=((2.0, 1.0),))
        omegas.append(omega_h2(m, y))
    assert all(abs(om / 0.12 - 1.0) < 0.10 for om in omegas)
    assert max(omegas) / min(omegas) < 1.05


def test_griest_seckel_limits():
    assert float(griest_seckel_factor(0.0, 20.0)) == pytest.approx(0.5, rel=1e-12)
    assert float(griest_seckel_factor(1e-9, 20.0)) == pytest.approx(0.5, rel=1e-6)
    # Large splitting: chi2 is Boltzmann suppressed, sigma_eff -> 2 (g2/g1) w sigma_12.
    delta, x = 1.0, 30.0
    w = (1 + delta) ** 1.5 * math.exp(-delta * x)
    assert float(griest_seckel_factor(delta, x)) == pytest.approx(2 * w, rel=1e-10)
    assert float(griest_seckel_factor(delta, x)) < 1e-11


def _constant_sigma_v(sigma0):
    """sigma_12(s) such that sigma_12 v_Moller = sigma0 exactly (pure s-wave)."""

    def sigma(s, m1, m2):
        root_s = np.sqrt(s)
        e1 = (s + m1 * m1 - m2 * m2) / (2 * root_s)
        e2 = root_s - e1
        p = np.sqrt(pair_momentum_squared_GeV2(s, m1, m2))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(p > 0, sigma0 * e1 * e2 / (p * root_s), 0.0)

    return sigma


@pytest.mark.parametrize("delta", [1e-6, 0.05, 0.2])
def test_relativistic_thermal_average_reduces_to_griest_seckel(delta):
    # Non-relativistic limit of the Gondolo-Gelmini/Edsjo-Gondolo integral for constant sigma v.
    x = np.array([300.0, 600.0])
    avg = coannihilation_sigma_v_GeVm2(x, 0.5, delta, sigma12=_constant_sigma_v(2.0))
    expected = 2.0 * griest_seckel_factor(delta, x)
    assert np.allclose(avg, expected, rtol=1.5 / x)  # O(1/x) relativistic corrections


def test_crossing_massless_limit_and_detailed_balance():
    d = 2e-3
    for s in (0.3, 4.0, 50.0):
        ann = sigma_chi1chi2_to_ffbar_GeVm2(s, 0.0, 0.0, d)
        assert ann == pytest.approx(2 * ALPHA_EM * d * d / 3, rel=1e-12)
        assert ann == pytest.approx(sigma_ee_to_chi1chi2_GeVm2(s, 0.0, 0.0, d), rel=1e-12)
    m1, m2, s = 0.4, 0.44, 2.0
    lhs = sigma_chi1chi2_to_ffbar_GeVm2(s, m1, m2, d) * pair_momentum_squared_GeV2(s, m1, m2)
    rhs = sigma_ee_to_chi1chi2_GeVm2(s, m1, m2, d) * s / 4
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_annihilation_is_s_wave():
    # sigma v_Moller at threshold -> 4 alpha d^2 per massless lepton species.
    m1, m2, d = 0.3, 0.33, 1e-3
    s = (m1 + m2) ** 2 * (1 + 1e-10)
    root_s = math.sqrt(s)
    e1 = (s + m1 * m1 - m2 * m2) / (2 * root_s)
    p = math.sqrt(pair_momentum_squared_GeV2(s, m1, m2))
    v_moller = p * root_s / (e1 * (root_s - e1))
    sv = float(sigma_chi1chi2_to_ffbar_GeVm2(s, m1, m2, d)) * v_moller
    assert sv == pytest.approx(4 * ALPHA_EM * d * d, rel=1e-6)
    # Massive final fermion: beta (1 + 2 m^2/s), zero below its threshold.
    assert float(sigma_chi1chi2_to_ffbar_GeVm2(s, m1, m2, d, fermion_mass_GeV=0.4)) == 0.0


def test_omega_decreases_with_coupling_like_inverse_square():
    couplings = np.array([1e-4, 3e-4, 1e-3])
    omegas = np.array([relic_omega_h2(0.2, 0.01, d) for d in couplings])
    assert np.all(np.diff(omegas) < 0.0)
    slopes = np.diff(np.log(omegas)) / np.diff(np.log(couplings))
    assert np.all((slopes > -2.3) & (slopes < -1.7))


def test_relic_coupling_reproduces_the_target():
    d = relic_coupling(np.array([0.05]), 0.01)
    assert relic_omega_h2(0.05, 0.01, float(d[0])) == pytest.approx(0.12, rel=1e-3)
    # The lighter the splitting, the easier coannihilation: less coupling needed.
    assert relic_coupling(np.array([0.05]), 0.1)[0] > d[0]


def test_thermal_dm_mass_floor():
    assert THERMAL_DM_MIN_MASS_GeV == 0.01


def test_degrees_of_freedom_limits():
    # Today: photons + three neutrinos at (4/11)^(1/3) T.
    assert float(g_eff(1e-7)) == pytest.approx(2 + 5.25 * (4 / 11) ** (4 / 3), rel=5e-3)
    assert float(h_eff(1e-7)) == pytest.approx(2 + 5.25 * 4 / 11, rel=5e-3)
    # Between e+e- and muon thresholds: photons, e+-, neutrinos = 10.75.
    assert float(g_eff(0.01)) == pytest.approx(10.75, rel=3e-3)
    # Above the electroweak scale: the full Standard Model, 106.75.
    assert float(g_eff(3000.0)) == pytest.approx(106.75, rel=3e-3)


def test_r_ratio_pieces():
    # Parton-model continuum: N_c sum Q^2 (1 + alpha_s/pi).
    assert float(r_continuum(2.5)) == pytest.approx(
        2 * (1 + float(alpha_s(2.5)) / math.pi), rel=2e-3
    )
    assert float(r_continuum(6.0)) == pytest.approx(
        10 / 3 * (1 + float(alpha_s(6.0)) / math.pi), rel=2e-3
    )
    # Gounaris-Sakurai: at s = M_rho^2 the form factor is purely imaginary (the real part of the
    # propagator vanishes there by construction) with |F| = (M/Gamma)(1 + d Gamma/M), d ~ 0.48.
    f_peak = complex(pion_form_factor_gs(0.77526**2))
    assert abs(f_peak.real) < 1e-9 * abs(f_peak.imag)
    assert abs(f_peak) * 0.1491 / 0.77526 == pytest.approx(1.0 + 0.48 * 0.1491 / 0.77526, rel=0.01)
    # Just above threshold the charge radius (~0.66 fm) raises |F|^2 to ~1.3: F(0) = 1 scale.
    assert abs(pion_form_factor_gs(4 * 0.13957**2 * (1 + 1e-9))) ** 2 == pytest.approx(1.3, abs=0.1)
    assert float(r_rho(2 * 0.13957 * (1 + 1e-6))) < 1e-8  # p-wave: beta^3
    # Narrow resonances: int ds R_V equals the integral of the Breit-Wigner it replaces.
    masses, weights = narrow_resonance_weights()
    m, w, gee, width = masses[2], weights[2], 5.53e-6, 92.6e-6  # J/psi
    bw = integrate.quad(
        lambda s: 9 * m * m * gee * width / (ALPHA_EM**2 * ((s - m * m) ** 2 + m * m * width**2)),
        (m - 2) ** 2,
        (m + 2) ** 2,
        points=[m * m],
        limit=500,
    )[0]
    assert bw == pytest.approx(w, rel=1e-3)
