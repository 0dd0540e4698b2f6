"""BaBar mono-photon recast: cross sections, ISR factorisation and the Monte Carlo event yield."""

import math

import numpy as np
import pytest
from scipy import integrate

from dipscan.limits.babar import (
    BabarSelection,
    FB_PER_GeVm2,
    babar_event_yield,
    babar_limit_curve,
    babar_sample,
    lower_edge_coupling,
)
from dipscan.limits.dark_pair import (
    chi2_width_GeV,
    chi_angular_density,
    dipole_k_factor,
    sigma_ee_to_chi1chi2_GeVm2,
    sigma_ee_to_mumu_GeVm2,
)
from dipscan.limits.isr import isr_radiator, isr_radiator_angle_integrated, sample_isr_photons
from dipscan.physics.constants import ALPHA_EM

SQRT_S = 10.3552


@pytest.mark.parametrize("sqrt_s", [0.5, 3.0, 10.3552])
@pytest.mark.parametrize("d", [1e-4, 3e-2])
def test_massless_ratio_to_mumu(sqrt_s, d):
    s = sqrt_s**2
    ratio = sigma_ee_to_chi1chi2_GeVm2(s, 0.0, 0.0, d) / sigma_ee_to_mumu_GeVm2(s)
    assert ratio == pytest.approx(d * d * s / (2.0 * math.pi * ALPHA_EM), rel=1e-12)


def test_threshold_behaviour():
    m1, m2 = 2.0, 2.2
    s_thr = (m1 + m2) ** 2
    s = np.array([0.5 * s_thr, s_thr, s_thr * (1 + 1e-6), s_thr * (1 + 4e-6)])
    sigma = sigma_ee_to_chi1chi2_GeVm2(s, m1, m2, 1e-3)
    assert sigma[0] == 0.0 and sigma[1] == 0.0
    assert sigma[2] > 0.0
    # S-wave-like opening: sigma ~ sqrt(s - s_thr) just above threshold.
    assert sigma[3] / sigma[2] == pytest.approx(2.0, rel=1e-4)


def _dirac_trace_distribution(s, m1, m2, cos_t):
    """|M|^2 of e+e- -> gamma* -> chi1 chi2 with vertex sigma^{mu nu} q_nu, by explicit traces."""
    i2, z = np.eye(2), np.zeros((2, 2))
    pauli = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    gam = [np.block([[i2, z], [z, -i2]]).astype(complex)] + [
        np.block([[z, p], [-p, z]]) for p in pauli
    ]
    metric = np.diag([1.0, -1.0, -1.0, -1.0])
    sig = [[0.5j * (gam[m] @ gam[n] - gam[n] @ gam[m]) for n in range(4)] for m in range(4)]

    def slash(p):
        return sum(metric[m, m] * p[m] * gam[m] for m in range(4))

    e = math.sqrt(s) / 2
    k1, k2 = np.array([e, 0, 0, e]), np.array([e, 0, 0, -e])
    p = math.sqrt((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)) / (2 * math.sqrt(s))
    e1 = (s + m1 * m1 - m2 * m2) / (2 * math.sqrt(s))
    sin_t = math.sqrt(1 - cos_t**2)
    p1 = np.array([e1, p * sin_t, 0, p * cos_t])
    p2 = np.array([math.sqrt(s) - e1, -p * sin_t, 0, -p * cos_t])
    q = p1 + p2
    vertex = [sum(sig[m][a] * metric[a, a] * q[a] for a in range(4)) for m in range(4)]
    a_mat, b_mat = slash(p2) + m2 * np.eye(4), slash(p1) - m1 * np.eye(4)
    hadronic = np.array(
        [[np.trace(a_mat @ vertex[m] @ b_mat @ vertex[n]).real for n in range(4)] for m in range(4)]
    )
    leptonic = 4 * (np.outer(k1, k2) + np.outer(k2, k1) - metric * s / 2)
    return float(np.einsum("mn,ab,ma,nb->", leptonic, hadronic, metric, metric))


@pytest.mark.parametrize(("s", "m1", "m2"), [(10.0, 0.0, 0.0), (10.0, 1.0, 1.2), (4.0, 0.5, 1.0)])
def test_angular_density_matches_dirac_traces(s, m1, m2):
    cos_t = np.array([-0.9, -0.3, 0.0, 0.4, 0.8])
    traces = np.array([_dirac_trace_distribution(s, m1, m2, c) for c in cos_t])
    density = chi_angular_density(cos_t, s, m1, m2)
    assert np.allclose(traces / traces[2], density / density[2], rtol=1e-10)
    norm = integrate.quad(lambda c: float(chi_angular_density(c, s, m1, m2)), -1, 1)[0]
    assert norm == pytest.approx(1.0, rel=1e-10)


def test_radiator_reproduces_gamma_plus_narrow_vector():
    # e+e- -> gamma A' (mass m, coupling eps e) from crossing e+e- -> gamma gamma:
    # dsigma/dcos = (pi alpha^2 eps^2 / s)(1 - m^2/s)(t/u + u/t + 2 m^2 s/(t u)).
    # Through the radiator: W(x, cos) * int ds sigma(e+e- -> A') / s, with
    # int ds sigma = 12 pi^2 Gamma_ee / m and Gamma_ee = alpha eps^2 m / 3.
    s, m, eps2 = 100.0, 4.0, 1e-6
    x = 1 - m * m / s
    for c in (-0.7, 0.1, 0.55):
        t, u = -(s - m * m) * (1 - c) / 2, -(s - m * m) * (1 + c) / 2
        direct = (
            math.pi
            * ALPHA_EM**2
            * eps2
            / s
            * (1 - m * m / s)
            * (t / u + u / t + 2 * m * m * s / (t * u))
        )
        via_radiator = isr_radiator(x, c) * 4 * math.pi**2 * ALPHA_EM * eps2 / s
        assert via_radiator == pytest.approx(direct, rel=1e-12)


def test_isr_monte_carlo_against_numerical_integral():
    # Toy constant sigma_X: the weighted sample must reproduce the double integral of W.
    x_lo, x_hi, c_lo, c_hi = 0.05, 0.9, -0.6, 0.8
    sigma_x = 3.0
    x, c, w = sample_isr_photons(x_lo, x_hi, c_lo, c_hi, 200000, np.random.default_rng(7))
    mc = np.sum(w * sigma_x)
    mc_err = math.sqrt(np.sum((w * sigma_x) ** 2) - mc**2 / x.size)
    exact = (
        sigma_x
        * integrate.dblquad(
            lambda cc, xx: (
                ALPHA_EM / (math.pi * xx) * ((2 - 2 * xx + xx * xx) / (1 - cc * cc) - xx * xx / 2)
            ),
            x_lo,
            x_hi,
            c_lo,
            c_hi,
        )[0]
    )
    assert mc == pytest.approx(exact, abs=4 * mc_err)
    assert mc_err / exact < 0.01
    closed = (
        sigma_x
        * integrate.quad(
            lambda xx: float(isr_radiator_angle_integrated(xx, c_lo, c_hi)), x_lo, x_hi
        )[0]
    )
    assert closed == pytest.approx(exact, rel=1e-8)


def test_prompt_yield_matches_isr_integral_with_loose_cuts():
    # Prompt chi2 (d = 1) and cuts that keep every decay photon: the MC yield is the analytic
    # ISR integral of sigma(e+e- -> chi1 chi2) over the leading-photon region.
    m1, delta = 0.3, 0.1
    m2 = (1 + delta) * m1
    sel = BabarSelection(
        subleading_min_energy_GeV=0.0,
        subleading_cos_range=(-0.999999, 0.999999),
        missing_energy_min_GeV=0.0,
    )
    sample = babar_sample(m1, delta, np.random.default_rng(3), n_samples=100000, selection=sel)
    x_lead = 2 * sel.leading_min_energy_GeV / SQRT_S
    x_max = 1 - (m1 + m2) ** 2 / SQRT_S**2
    lo, hi = sel.leading_cos_range
    expected = (
        sel.luminosity_invfb
        * FB_PER_GeVm2
        * integrate.quad(
            lambda xx: (
                float(isr_radiator_angle_integrated(xx, lo, hi))
                * float(sigma_ee_to_chi1chi2_GeVm2(SQRT_S**2 * (1 - xx), m1, m2, 1.0))
            ),
            x_lead,
            x_max,
        )[0]
    )
    assert float(sample.event_yield(1.0)) == pytest.approx(expected, rel=0.03)


def test_yield_scales_as_d2_when_prompt_and_d4_when_long_lived():
    sample = babar_sample(0.2, 0.1, np.random.default_rng(11), n_samples=5000)
    big = sample.event_yield(np.array([0.1, 0.2]))
    assert big[1] / big[0] == pytest.approx(4.0, rel=1e-6)
    small = sample.event_yield(np.array([1e-8, 2e-8]))
    assert small[1] / small[0] == pytest.approx(16.0, rel=1e-5)


def test_lower_edge_gives_required_events():
    sample = babar_sample(0.5, 0.1, np.random.default_rng(5), n_samples=5000)
    d_edge = lower_edge_coupling(sample, 10.0)
    assert float(sample.event_yield(d_edge)) == pytest.approx(10.0, rel=1e-6)
    assert float(sample.event_yield(0.9 * d_edge)) < 10.0


def test_closed_channel_gives_zero():
    # M1 + M2 above sqrt(s): nothing is produced.
    grid = babar_event_yield(np.array([5.0]), 0.1, np.logspace(-4, 0, 5), rng=1, n_samples=2000)
    assert np.all(grid == 0.0)
    curve = babar_limit_curve(0.1, [5.0], rng=1, n_samples=2000)
    assert np.isnan(curve.lower_edge_coupling_GeVinv[0])


def test_seeded_determinism_and_independence_of_other_masses():
    couplings = np.logspace(-5, -2, 7)
    a = babar_event_yield([0.1, 1.0], 0.1, couplings, rng=42, n_samples=3000)
    b = babar_event_yield([0.1, 1.0], 0.1, couplings, rng=42, n_samples=3000)
    assert np.array_equal(a, b)
    alone = babar_event_yield([0.1], 0.1, couplings, rng=42, n_samples=3000)
    assert np.array_equal(alone[0], a[0])
    other = babar_event_yield([0.1, 1.0], 0.1, couplings, rng=43, n_samples=3000)
    assert not np.array_equal(a, other)
    assert np.allclose(a[:, -1], other[:, -1], rtol=0.1)


def test_chi2_width_convention():
    # docs/physics.md, "The dipole coefficient": d^2 (M2^2 - M1^2)^3 / (2 pi M2^3); delta << 1 gives mu^2 Delta^3 / pi, mu = 2 d.
    m1, delta, d = 0.7, 1e-4, 1e-3
    width = float(chi2_width_GeV(m1, delta, d))
    assert width == pytest.approx((2 * d) ** 2 * (delta * m1) ** 3 / math.pi, rel=3e-4)
    assert float(dipole_k_factor(1.0, 0.0, 0.0)) == 1.0
