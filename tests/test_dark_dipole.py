"""Dark-dark dipole: appendix-A widths against the identities of docs/physics.md ("The dipole coefficient"), BRs, kinematics."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from dipscan.errors import DipscanError
from dipscan.physics.constants import ALPHA_EM
from dipscan.physics.decays.kinematics import two_body_momentum_GeV
from dipscan.physics.mesons import MESONS, gamma_ee_from_f_vector, gamma_gg_from_F_anomaly
from dipscan.physics.models import MODEL_KINDS, Channel, Model, make_model
from dipscan.physics.models.dark_dipole import (
    DarkDipole,
    a4_sampler,
    a4_width_per_d2,
    chi2_width_per_d2,
    vector_width_per_d2,
)

VECTORS = (113, 223, 333, 443, 553)
PSEUDOSCALARS = (111, 221, 331)


def _factorised_a4_width_per_d2(pdgid, m1, m2):
    """Factorised form of A.4: dGamma/dq^2 = Gamma_gg d^2/(3 pi^2) (1 - q^2/M^2)^3 K(q^2), by adaptive quadrature."""
    mes = MESONS[pdgid]
    big_d, sig = m2 - m1, m1 + m2

    def dgamma(q2):
        k = (
            (1 - big_d**2 / q2) ** 1.5
            * (1 + 2 * sig**2 / q2)
            * math.sqrt(max(1 - sig**2 / q2, 0.0))
        )
        return mes.gamma_gg_GeV / (3 * math.pi**2) * (1 - q2 / mes.mass_GeV**2) ** 3 * k

    lo = sig**2
    pts = [lo * f for f in (1.01, 1.1, 2.0, 10.0) if lo * f < mes.mass_GeV**2]
    return integrate.quad(
        dgamma, lo, mes.mass_GeV**2, points=pts or None, epsabs=0, epsrel=1e-11, limit=400
    )[0]


# ---- meson inputs -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pdgid, f_expected", [(113, 0.22), (223, 0.20), (333, 0.23), (443, 0.42), (553, 0.70)]
)
def test_vector_decay_constants_are_consistent_with_leptonic_widths(pdgid, f_expected):
    v = MESONS[pdgid]
    assert gamma_ee_from_f_vector(v.mass_GeV, v.f_V_GeV, v.q_eff) == pytest.approx(
        v.gamma_ee_GeV, rel=1e-12
    )
    assert v.f_V_GeV == pytest.approx(f_expected, rel=0.03)


@pytest.mark.parametrize("pdgid, f_expected", [(111, 0.0925), (221, 0.0925), (331, 0.0737)])
def test_anomaly_decay_constants_reproduce_two_photon_widths(pdgid, f_expected):
    p = MESONS[pdgid]
    assert gamma_gg_from_F_anomaly(p.mass_GeV, p.F_P_GeV) == pytest.approx(
        p.gamma_gg_GeV, rel=1e-12
    )
    assert p.F_P_GeV == pytest.approx(f_expected, rel=0.005)
    assert p.f_flag_GeV is None  # the two pseudoscalar conventions never share a field


# ---- A.1 ------------------------------------------------------------------------------------------


def test_a1_equals_mass_form_and_small_splitting_limit():
    m1, delta = 0.3, 0.5
    m2 = m1 * (1 + delta)
    assert chi2_width_per_d2(m1, delta) == pytest.approx(
        (m2**2 - m1**2) ** 3 / (2 * math.pi * m2**3), rel=1e-13
    )
    for delta in (1e-3, 1e-6):
        mu, big_d = 2.0, m1 * delta  # mu = 2 d with d = 1
        assert chi2_width_per_d2(m1, delta) == pytest.approx(
            mu**2 * big_d**3 / math.pi, rel=3 * delta
        )


def test_model_lifetime_and_photon_energy():
    model = DarkDipole(0.1)
    m1 = 0.05
    m2 = model.llp_mass_GeV(m1)
    assert m2 == pytest.approx(0.055, rel=1e-15)
    assert model.photon_energy_rest_GeV(m1) == pytest.approx((m2**2 - m1**2) / (2 * m2), rel=1e-13)
    assert model.llp_width_per_d2(m1) == pytest.approx(
        (m2**2 - m1**2) ** 3 / (2 * math.pi * m2**3), rel=1e-13
    )


# ---- A.2 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pdgid", VECTORS)
def test_a2_massless_limit_against_leptonic_width(pdgid):
    v = MESONS[pdgid]
    ratio = vector_width_per_d2(v.mass_GeV, v.f_V_GeV, v.q_eff, 0.0, 0.0) / v.gamma_ee_GeV
    assert ratio == pytest.approx(v.mass_GeV**2 / (2 * math.pi * ALPHA_EM), rel=1e-12)
    model = DarkDipole(0.1)
    ch = Channel(f"{v.name} -> chi1 chi2", pdgid, "two_body")
    assert model.channel_width_per_d2(ch, 1e-7) / v.gamma_ee_GeV == pytest.approx(ratio, rel=1e-6)


def test_a2_threshold_behaviour():
    v = MESONS[333]
    m1 = 0.4
    # just below threshold the width vanishes like the momentum (P-wave factors are finite)
    m2 = v.mass_GeV - m1 - 1e-9
    assert 0.0 < vector_width_per_d2(v.mass_GeV, v.f_V_GeV, v.q_eff, m1, m2) < 1e-6
    assert vector_width_per_d2(v.mass_GeV, v.f_V_GeV, v.q_eff, m1, v.mass_GeV - m1) == 0.0


# ---- A.4 / A.5 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("pdgid", PSEUDOSCALARS)
def test_a4_massless_limit_against_two_photon_width(pdgid):
    p = MESONS[pdgid]
    expected = p.mass_GeV**2 / (12 * math.pi**2)
    assert a4_width_per_d2(p.mass_GeV, p.F_P_GeV, 0.0, 0.0) / p.gamma_gg_GeV == pytest.approx(
        expected, rel=1e-9
    )
    model = DarkDipole(0.1)
    ch = Channel(f"{p.name} -> gamma chi1 chi2", pdgid, "three_body")
    assert model.channel_width_per_d2(ch, 1e-6) / p.gamma_gg_GeV == pytest.approx(
        expected, rel=1e-5
    )


@pytest.mark.parametrize(
    "pdgid, m1, delta",
    [(111, 0.001, 0.1), (111, 0.02, 0.005), (111, 0.05, 0.3), (221, 0.01, 1.0), (221, 0.2, 0.01),
     (331, 0.001, 0.005), (331, 0.3, 0.1), (331, 0.45, 0.01)],
)  # fmt: skip
def test_a4_dalitz_integral_matches_factorised_form(pdgid, m1, delta):
    m2 = m1 * (1 + delta)
    p = MESONS[pdgid]
    two_d = a4_width_per_d2(p.mass_GeV, p.F_P_GeV, m1, m2)
    one_d = _factorised_a4_width_per_d2(pdgid, m1, m2)
    assert two_d == pytest.approx(one_d, rel=1e-6)


def test_a4_sampled_dark_pair_mass_follows_the_analytic_spectrum():
    pdgid, m1, m2 = 221, 0.05, 0.055
    p = MESONS[pdgid]
    _, q2 = a4_sampler(p.mass_GeV, p.F_P_GeV, m1, m2).sample(100_000, np.random.default_rng(21))
    big_d, sig, mp2 = m2 - m1, m1 + m2, p.mass_GeV**2

    def shape(x):
        return (
            (1 - x / mp2) ** 3
            * (1 - big_d**2 / x) ** 1.5
            * (1 + 2 * sig**2 / x)
            * np.sqrt(1 - sig**2 / x)
        )

    edges = np.linspace(sig**2, mp2, 41)
    probs = np.array(
        [integrate.quad(shape, a, b)[0] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    )
    expected = probs / probs.sum() * q2.size
    counts, _ = np.histogram(q2, edges)
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert stats.chi2.sf(chi2, 39) > 1e-3
    # the flat phase space differs visibly from |M|^2 of A.4: the test has power
    lo = sig**2
    flat_weight = integrate.quad(lambda x: 1.0, lo, mp2)[0]
    assert not np.allclose(probs / probs.sum(), np.diff(edges) / flat_weight, rtol=0.2)


# ---- the model --------------------------------------------------------------------------------


def test_channels_open_and_close_at_thresholds():
    delta = 0.1
    model = DarkDipole(delta)
    names = lambda m: {c.name for c in model.channels(m)}  # noqa: E731
    m_pi = MESONS[111].mass_GeV
    below, above = m_pi / (2 + delta) * 0.999, m_pi / (2 + delta) * 1.001
    assert "pi0 -> gamma chi1 chi2" in names(below)
    assert "pi0 -> gamma chi1 chi2" not in names(above)
    heavy = names(1.4)  # 2.1 x 1.4 GeV < M(J/psi)
    assert heavy == {"J/psi -> chi1 chi2", "Upsilon(1S) -> chi1 chi2"}
    assert names(5.0) == set()
    closed = Channel("pi0 -> gamma chi1 chi2", 111, "three_body")
    with pytest.raises(DipscanError):
        model.channel_width_per_d2(closed, above)


def test_branching_ratio_small_coupling_and_never_above_one():
    model = DarkDipole(0.1)
    d = np.array([1e-6, 1e-3, 0.1, 1.0, 1e3])
    for ch in model.channels(0.01):
        br = model.branching_ratio(ch, 0.01, d)
        width = model.channel_width_per_d2(ch, 0.01)
        total = MESONS[ch.parent_pdgid].width_GeV
        assert br[0] == pytest.approx(1e-12 * width / total, rel=1e-9)
        assert np.all(br < 1.0) and np.all(np.diff(br) > 0)
    jpsi = Channel("J/psi -> chi1 chi2", 443, "two_body")
    assert model.branching_ratio(jpsi, 0.01, 1e-3) == pytest.approx(12.5e-6, rel=0.01)  # notes


def test_widths_depend_on_every_model_parameter():
    # the per-mass caches must key on all arguments: same M1, different delta -> different widths
    m1 = 0.03
    ch = Channel("eta -> gamma chi1 chi2", 221, "three_body")
    w_a = DarkDipole(0.1).channel_width_per_d2(ch, m1)
    w_b = DarkDipole(1.0).channel_width_per_d2(ch, m1)
    assert w_a != w_b
    assert w_a == pytest.approx(_factorised_a4_width_per_d2(221, m1, 1.1 * m1), rel=1e-6)
    assert w_b == pytest.approx(_factorised_a4_width_per_d2(221, m1, 2.0 * m1), rel=1e-6)


def test_two_body_llp_energy_is_uniform_between_kinematic_limits():
    model = DarkDipole(0.2)
    m1 = 0.1
    m2 = model.llp_mass_GeV(m1)
    ch = Channel("rho0 -> chi1 chi2", 113, "two_body")
    n, p_par = 20_000, 40.0
    p, theta, phi, _ = model.sample_llp(
        ch, m1, np.full(n, p_par), np.full(n, 0.01), np.random.default_rng(22)
    )
    assert p.shape == theta.shape == phi.shape == (n,)
    mv = MESONS[113].mass_GeV
    q = two_body_momentum_GeV(mv, m1, m2)
    e_star = math.hypot(q, m2)
    gamma, gb = math.hypot(p_par, mv) / mv, p_par / mv
    e_lo, e_hi = gamma * e_star - gb * q, gamma * e_star + gb * q
    e = np.hypot(p, m2)
    assert e.min() >= e_lo * (1 - 1e-9) and e.max() <= e_hi * (1 + 1e-9)
    assert stats.kstest(e, stats.uniform(e_lo, e_hi - e_lo).cdf).pvalue > 1e-3
    assert stats.kstest(phi, stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > 1e-3


def test_three_body_llp_from_parents_at_rest_has_the_a4_energy_spectrum():
    # chi2 is particle 3 of A.4: its rest-frame energy fixes m12sq = M^2 + M2^2 - 2 M E3
    model = DarkDipole(0.1)
    m1 = 0.04
    m2 = model.llp_mass_GeV(m1)
    pi = MESONS[111]
    ch = Channel("pi0 -> gamma chi1 chi2", 111, "three_body")
    n = 50_000
    p, _, _, _ = model.sample_llp(ch, m1, np.zeros(n), np.zeros(n), np.random.default_rng(23))
    m12sq = pi.mass_GeV**2 + m2**2 - 2 * pi.mass_GeV * np.hypot(p, m2)
    sampler = a4_sampler(pi.mass_GeV, pi.F_P_GeV, m1, m2)
    ref, _ = sampler.sample(n, np.random.default_rng(24))
    assert stats.ks_2samp(m12sq, ref).pvalue > 1e-3
    lo, hi = (m1) ** 2, (pi.mass_GeV - m2) ** 2
    assert m12sq.min() >= lo * (1 - 1e-6) and m12sq.max() <= hi * (1 + 1e-6)


def test_sampling_is_reproducible():
    model = DarkDipole(0.1)
    ch = Channel("eta -> gamma chi1 chi2", 221, "three_body")
    args = (ch, 0.05, np.full(100, 30.0), np.full(100, 0.002))
    a = model.sample_llp(*args, np.random.default_rng(5))
    b = model.sample_llp(*args, np.random.default_rng(5))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_registry():
    assert "dark_dipole" in MODEL_KINDS
    model = make_model("dark_dipole", delta=0.01)
    assert isinstance(model, Model) and model == DarkDipole(0.01)
    with pytest.raises(DipscanError, match="unknown model kind"):
        make_model("axion", delta=0.1)
    with pytest.raises(DipscanError, match="unknown: flavour"):
        make_model("dark_dipole", delta=0.1, flavour="e")
    with pytest.raises(DipscanError, match="missing: delta"):
        make_model("dark_dipole")
    for bad in (0.0, -0.1, float("nan"), "0.1"):
        with pytest.raises(DipscanError):
            DarkDipole(bad)
