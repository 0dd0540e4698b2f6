"""Thermal relic: cross sections by crossing, coannihilation limits, freeze-out solver, g_*."""

import math

import numpy as np
import pytest
from scipy import integrate

from dipscan.limits.boltzmann import (
    CM3_PER_S_PER_GeVm2,
    M_PLANCK_GeV,
    OMEGA_H2_PER_GeV_YIELD,
    freeze_out_yield,
    log_equilibrium_yield,
    omega_h2,
)
from dipscan.limits.dark_pair import (
    pair_momentum_squared_GeV2,
    sigma_chi1chi2_to_ffbar_GeVm2,
    sigma_ee_to_chi1chi2_GeVm2,
)
from dipscan.limits.dof import g_eff, g_star_half, h_eff
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


def _scipy_radau_yield(m, sigma_v, p_wave_power, x_end=1000.0):
    """Reference: the same equation by scipy's Radau at a far tighter tolerance."""
    def rate(x):
        return math.sqrt(math.pi / 45) * M_PLANCK_GeV * m * float(g_star_half(m / x)) * sigma_v * x ** -p_wave_power / x**2

    def log_eq(x):
        return float(log_equilibrium_yield(x, m, ((2.0, 1.0),)))

    def rhs(x, w):
        return [-rate(x) * (math.exp(w[0]) - math.exp(2 * log_eq(x) - w[0]))]

    def jac(x, w):
        return [[-rate(x) * (math.exp(w[0]) + math.exp(2 * log_eq(x) - w[0]))]]

    sol = integrate.solve_ivp(rhs, (1.0, x_end), [log_eq(1.0)], method="Radau", jac=jac,
                              rtol=1e-11, atol=1e-12)
    assert sol.success
    return 1.0 / (1.0 / math.exp(sol.y[0, -1]) + rate(x_end) * x_end)


@pytest.mark.parametrize("p_wave_power", [0, 1])
def test_compiled_solver_agrees_with_scipy_radau(p_wave_power):
    # s-wave (constant) and p-wave-like (1/x) <sigma v>: the compiled Radau IIA on tabulated
    # rates against scipy's Radau on the equation itself.
    m, sigma_v = 100.0, 2.2e-26 / CM3_PER_S_PER_GeVm2
    y = freeze_out_yield(m, lambda x: sigma_v * np.asarray(x, float) ** -p_wave_power)
    assert y == pytest.approx(_scipy_radau_yield(m, sigma_v, p_wave_power), rel=2e-6)


def test_yield_scales_as_freeze_out_over_cross_section():
    # Y_inf ~ x_f / <sigma v> with x_f ~ ln <sigma v>: d ln Y / d ln <sigma v> = -1 + 1/x_f, and
    # x_f from the freeze-out condition (Kolb and Turner, The Early Universe, eq. 5.43).
    m, sigma_v = 100.0, 2.2e-26 / CM3_PER_S_PER_GeVm2
    ys = [freeze_out_yield(m, lambda x, k=k: np.full(np.shape(x), k * sigma_v)) for k in (0.5, 2.0)]
    slope = math.log(ys[1] / ys[0]) / math.log(4.0)
    x_f = 20.0
    for _ in range(20):
        x_f = math.log(0.038 * 2.0 / float(g_star_half(m / x_f)) * M_PLANCK_GeV * m * sigma_v) - 0.5 * math.log(x_f)
    assert slope == pytest.approx(-1.0 + 1.0 / x_f, abs=3e-3)


def test_relic_coupling_matches_the_freeze_out_approximation():
    # Below the muon threshold and for a small splitting chi1 chi2 -> e+e- only, s-wave with
    # sigma_eff v = (1/2) 4 alpha d^2 (Griest-Seckel, g = 4). Kolb and Turner (eqs. 5.43-5.45):
    # Y_inf = 3.79 x_f / (g_*^{1/2} M_Pl m sigma v); good to ~10% in Omega, ~5% in d.
    m1, delta = 0.03, 1e-3
    x_f = 20.0
    for _ in range(20):
        gs = float(g_star_half(m1 / x_f))
        sigma_v = 3.79 * x_f * OMEGA_H2_PER_GeV_YIELD / (gs * M_PLANCK_GeV * 0.12)
        x_f = math.log(0.038 * 4.0 / gs * M_PLANCK_GeV * m1 * sigma_v) - 0.5 * math.log(x_f)
    d_estimate = math.sqrt(sigma_v / (2.0 * ALPHA_EM))
    assert relic_coupling(np.array([m1]), delta)[0] == pytest.approx(d_estimate, rel=0.07)


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
    assert relic_omega_h2(0.05, 0.01, float(d[0])) == pytest.approx(0.12, rel=1e-6)
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
