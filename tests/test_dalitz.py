"""Generic three-body tools: Dalitz limits, integrals, exact sampling, final-state 4-vectors."""

import numpy as np
import pytest
from scipy import integrate, stats

from dipscan.physics.decays import dalitz
from dipscan.physics.decays.kinematics import boost, invariant_mass_GeV, lab_from_polar

M, M1, M2, M3 = 1.8, 0.1, 0.3, 0.5


def _pdg_m12_limits(m23sq, mass, m1, m2, m3):
    """PDG kinematics review form with energies of 2 and 1 in the (23) rest frame."""
    m23 = np.sqrt(m23sq)
    e2 = (m23sq - m3**2 + m2**2) / (2 * m23)
    e1 = (mass**2 - m23sq - m1**2) / (2 * m23)
    q2, q1 = np.sqrt(e2**2 - m2**2), np.sqrt(e1**2 - m1**2)
    return (e1 + e2) ** 2 - (q1 + q2) ** 2, (e1 + e2) ** 2 - (q1 - q2) ** 2


def test_m12_limits_match_pdg_form_and_close_at_the_edges():
    lo23, hi23 = dalitz.m23sq_range(M, M1, M2, M3)
    s = np.linspace(lo23, hi23, 50)[1:-1]
    lo, hi = dalitz.m12sq_range(s, M, M1, M2, M3)
    ref_lo, ref_hi = _pdg_m12_limits(s, M, M1, M2, M3)
    assert np.allclose(lo, ref_lo, rtol=1e-12) and np.allclose(hi, ref_hi, rtol=1e-12)
    lo, hi = dalitz.m12sq_range(np.array([lo23, hi23]), M, M1, M2, M3)
    assert np.allclose(hi - lo, 0.0, atol=1e-12)


def test_lower_m12_limit_without_cancellation_for_light_particles():
    # massless photon and a 1 keV particle: m12sq_min = m2^2 (E1 + q1)/(E2 + q2)-like tiny number
    mass, m2, m3 = 0.135, 1e-6, 1.1e-6
    s = np.array([0.01])
    lo, _ = dalitz.m12sq_range(s, mass, 0.0, m2, m3)
    m23 = np.sqrt(s)
    q2 = np.sqrt((s - (m2 + m3) ** 2) * (s - (m2 - m3) ** 2)) / (2 * m23)
    e2 = np.hypot(q2, m2)
    q1 = (mass**2 - s) / (2 * m23)
    exact = m2**2 + 2 * q1 * m2**2 / (e2 + q2)  # 2 q1 (E2 - q2) + m2^2
    assert lo == pytest.approx(exact, rel=1e-12)


def test_integral_of_one_is_the_dalitz_area():
    # massless: the Dalitz triangle has area M^4/2
    assert dalitz.dalitz_integral(lambda a, b: np.ones_like(a), M, 0, 0, 0) == pytest.approx(
        M**4 / 2, rel=1e-12
    )
    # massive: independent adaptive quadrature of the m12 width along m23
    lo23, hi23 = dalitz.m23sq_range(M, M1, M2, M3)

    def width(s):
        lo, hi = _pdg_m12_limits(s, M, M1, M2, M3)
        return hi - lo

    ref = integrate.quad(width, lo23, hi23, epsabs=0, epsrel=1e-12, limit=200)[0]
    got = dalitz.dalitz_integral(lambda a, b: np.ones_like(a), M, M1, M2, M3)
    assert got == pytest.approx(ref, rel=1e-9)


def test_polynomial_matrix_element_integral():
    msq = lambda a, b: a * b + 3.0 * a * a  # noqa: E731
    lo23, hi23 = dalitz.m23sq_range(M, M1, M2, M3)

    def inner(s):
        lo, hi = _pdg_m12_limits(s, M, M1, M2, M3)
        return s * (hi**2 - lo**2) / 2 + (hi**3 - lo**3)

    ref = integrate.quad(inner, lo23, hi23, epsabs=0, epsrel=1e-12, limit=200)[0]
    assert dalitz.dalitz_integral(msq, M, M1, M2, M3) == pytest.approx(ref, rel=1e-9)
    width = dalitz.three_body_width_GeV(msq, M, M1, M2, M3)
    assert width == pytest.approx(ref / ((2 * np.pi) ** 3 * 32 * M**3), rel=1e-9)


def _marginal_chi2(m23sq, msq, nbins=30):
    """chi2 of the sampled m23sq histogram against the quadrature marginal integral dm12 |M|^2."""
    lo23, hi23 = dalitz.m23sq_range(M, M1, M2, M3)
    edges = np.linspace(lo23, hi23, nbins + 1)

    def marg(s):
        lo, hi = _pdg_m12_limits(s, M, M1, M2, M3)
        return integrate.quad(lambda t: msq(t, s), lo, hi)[0]

    probs = np.array(
        [integrate.quad(marg, a, b)[0] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    )
    probs /= probs.sum()
    counts, _ = np.histogram(m23sq, edges)
    expected = probs * m23sq.size
    chi2 = np.sum((counts - expected) ** 2 / expected)
    return chi2, nbins - 1


def test_sampler_follows_the_matrix_element():
    msq = lambda a, b: a * a * b  # noqa: E731  (strongly non-flat)
    sampler = dalitz.DalitzSampler(msq, M, M1, M2, M3)
    m12sq, m23sq = sampler.sample(100_000, np.random.default_rng(7))
    lo, hi = dalitz.m12sq_range(m23sq, M, M1, M2, M3)
    assert np.all((m12sq >= lo - 1e-12) & (m12sq <= hi + 1e-12))
    chi2, dof = _marginal_chi2(m23sq, msq)
    assert stats.chi2.sf(chi2, dof) > 1e-3
    # and a flat matrix element is not accepted as this one
    flat_m12, flat_m23 = dalitz.DalitzSampler(lambda a, b: np.ones_like(a), M, M1, M2, M3).sample(
        100_000, np.random.default_rng(7)
    )
    chi2_flat, _ = _marginal_chi2(flat_m23, msq)
    assert stats.chi2.sf(chi2_flat, dof) < 1e-6


def test_sampler_is_deterministic_and_repairs_an_unsafe_envelope():
    msq = lambda a, b: a * b  # noqa: E731
    sampler = dalitz.DalitzSampler(msq, M, M1, M2, M3)
    a = sampler.sample(1000, np.random.default_rng(11))
    b = sampler.sample(1000, np.random.default_rng(11))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    # shrink the envelope below the density: sampling must still follow |M|^2 exactly
    sampler.bound = sampler.bound * 0.2
    m12sq, m23sq = sampler.sample(50_000, np.random.default_rng(12))
    chi2, dof = _marginal_chi2(m23sq, msq)
    assert stats.chi2.sf(chi2, dof) > 1e-3


def test_rest_frame_momenta_reproduce_invariants():
    rng = np.random.default_rng(8)
    sampler = dalitz.DalitzSampler(lambda a, b: np.ones_like(a), M, M1, M2, M3)
    m12sq, m23sq = sampler.sample(2000, rng)
    p1, p2, p3 = dalitz.momenta_rest_frame(m12sq, m23sq, M, M1, M2, M3, rng)
    total = p1 + p2 + p3
    assert np.allclose(total, [M, 0, 0, 0], atol=1e-12)
    for p, m in ((p1, M1), (p2, M2), (p3, M3)):
        assert np.allclose(invariant_mass_GeV(p), m, rtol=1e-6, atol=1e-7)
    assert np.allclose(invariant_mass_GeV(p1 + p2) ** 2, m12sq, rtol=1e-8)
    assert np.allclose(invariant_mass_GeV(p2 + p3) ** 2, m23sq, rtol=1e-8)
    # random overall orientation: the direction of particle 1 is isotropic
    cos1 = p1[:, 3] / np.linalg.norm(p1[:, 1:], axis=1)
    assert stats.kstest(cos1, stats.uniform(-1, 2).cdf).pvalue > 1e-3


def test_lab_three_body_decay_conserves_four_momentum():
    rng = np.random.default_rng(9)
    n = 3000
    parent = lab_from_polar(
        rng.uniform(1, 400, n), rng.uniform(0, 0.05, n), rng.uniform(0, 6, n), M
    )
    sampler = dalitz.DalitzSampler(lambda a, b: a + b, M, 0.0, M2, M3)
    p1, p2, p3 = dalitz.decay_three_body(parent, sampler, rng)
    assert np.allclose(p1 + p2 + p3, parent, rtol=1e-11, atol=1e-10)
    assert np.allclose(invariant_mass_GeV(p3), M3, rtol=1e-5)
    # boosting back recovers the rest-frame invariants
    back = boost(p2 + p3, -parent[:, 1:] / parent[:, :1])
    lo23, hi23 = dalitz.m23sq_range(M, 0.0, M2, M3)
    m23sq = invariant_mass_GeV(back) ** 2
    assert np.all((m23sq > lo23 * (1 - 1e-6)) & (m23sq < hi23 * (1 + 1e-6)))


def test_closed_decay_raises():
    from dipscan.errors import DipscanError

    with pytest.raises(DipscanError):
        dalitz.DalitzSampler(lambda a, b: np.ones_like(a), 0.5, 0.2, 0.2, 0.2)
    assert dalitz.dalitz_integral(lambda a, b: np.ones_like(a), 0.5, 0.2, 0.2, 0.2) == 0.0
