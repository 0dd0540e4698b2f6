"""Active-sterile neutrino dipole: A.7 limits, decay-constant inputs, N/Nbar bookkeeping, kinematics."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from dipscan.errors import DipscanError
from dipscan.physics.constants import G_FERMI_GeVm2, HBARC_GeV_m
from dipscan.physics.decays.dalitz import decay_three_body, m12sq_range, m23sq_range
from dipscan.physics.decays.kinematics import invariant_mass_GeV, lab_from_polar
from dipscan.physics.mesons import MESONS, LEPTON_MASS_GeV
from dipscan.physics.models import MODEL_KINDS, Channel, Model, make_model
from dipscan.physics.models.dark_dipole import a4_width_per_d2, vector_width_per_d2
from dipscan.physics.models.neutrino_dipole import (
    NeutrinoDipole,
    a7_msq,
    a7_sampler,
    a7_width_per_d2,
    leptonic_width_GeV,
)

CHARGED = (321, 411, 431, 521)


def _massless_a7(pdgid):
    p = MESONS[pdgid]
    return G_FERMI_GeVm2**2 * p.f_flag_GeV**2 * p.v_ckm**2 * p.mass_GeV**5 / (384 * math.pi**3)


@pytest.mark.parametrize("pdgid", CHARGED)
def test_a7_massless_limit(pdgid):
    p = MESONS[pdgid]
    width = a7_width_per_d2(p.mass_GeV, p.f_flag_GeV, p.v_ckm, 0.0, 0.0)
    assert width == pytest.approx(_massless_a7(pdgid), rel=1e-9)
    # and with light but nonzero masses, through the model (electron flavour)
    model = NeutrinoDipole("e")
    ch = Channel(f"{p.name} -> e+ N gamma", pdgid, "three_body")
    assert model.channel_width_per_d2(ch, 1e-5) == pytest.approx(_massless_a7(pdgid), rel=1e-4)


def test_a7_width_shrinks_with_the_masses():
    p = MESONS[431]
    widths = [
        a7_width_per_d2(p.mass_GeV, p.f_flag_GeV, p.v_ckm, LEPTON_MASS_GeV["mu"], m)
        for m in (0.01, 0.5, 1.5)
    ]
    assert widths[0] > widths[1] > widths[2] > 0.0
    assert a7_width_per_d2(p.mass_GeV, p.f_flag_GeV, p.v_ckm, LEPTON_MASS_GeV["tau"], 0.2) == 0.0


@pytest.mark.parametrize(
    "pdgid, lepton, branching, tolerance",
    [
        (321, "mu", 0.6356, 0.03),
        (431, "mu", 5.35e-3, 0.05),
    ],  # PDG 2024 B(K+ -> mu nu), B(Ds+ -> mu nu)
)
def test_flag_decay_constants_reproduce_leptonic_widths(pdgid, lepton, branching, tolerance):
    p = MESONS[pdgid]
    pdg = p.width_GeV * branching
    assert leptonic_width_GeV(
        p.mass_GeV, p.f_flag_GeV, p.v_ckm, LEPTON_MASS_GeV[lepton]
    ) == pytest.approx(pdg, rel=tolerance)


def test_neutral_parents_count_n_and_nbar():
    model = NeutrinoDipole("mu")
    m_n = 0.05
    d = np.array([1e-5, 1e-2, 10.0])
    for ch in model.channels(m_n):
        par = MESONS[abs(ch.parent_pdgid)]
        if par.charge:
            continue
        if par.kind == "vector":
            one = (
                vector_width_per_d2(par.mass_GeV, par.f_V_GeV, par.q_eff, 0.0, m_n) / 2
            )  # d -> d/sqrt2
        else:
            one = a4_width_per_d2(par.mass_GeV, par.F_P_GeV, 0.0, m_n) / 2
        assert model.channel_width_per_d2(ch, m_n) == pytest.approx(2 * one, rel=1e-12)
        expected = 2 * one * d**2 / (par.width_GeV + 2 * one * d**2)
        assert np.allclose(model.branching_ratio(ch, m_n, d), expected, rtol=1e-12)


def test_charged_parents_have_one_channel_per_charge_with_equal_widths():
    model = NeutrinoDipole("e")
    chans = {c.parent_pdgid: c for c in model.channels(0.1)}
    for pid in CHARGED:
        plus, minus = chans[pid], chans[-pid]
        assert "N gamma" in plus.name and "Nbar gamma" in minus.name
        w = model.channel_width_per_d2(plus, 0.1)
        assert model.channel_width_per_d2(minus, 0.1) == w
        par = MESONS[pid]
        assert model.branching_ratio(plus, 0.1, 1e-3) == pytest.approx(
            1e-6 * w / (par.width_GeV + 1e-6 * w), rel=1e-12
        )
        assert np.all(model.branching_ratio(plus, 0.1, np.array([1e3, 1e6])) < 1.0)


def test_channels_follow_lepton_thresholds():
    names = lambda fl, m: {c.name for c in NeutrinoDipole(fl).channels(m)}  # noqa: E731
    assert "K+ -> mu+ N gamma" in names("mu", 0.38) and "K+ -> mu+ N gamma" not in names("mu", 0.39)
    tau_light = names("tau", 0.05)
    assert not any(n.startswith("K") for n in tau_light)
    assert "D+ -> tau+ N gamma" in tau_light and "D+ -> tau+ N gamma" not in names("tau", 0.1)
    assert "B- -> tau- Nbar gamma" in names("tau", 3.0)
    assert "pi0 -> gamma N nu (+c.c.)" in names(
        "e", 0.13
    ) and "pi0 -> gamma N nu (+c.c.)" not in names("e", 0.14)


def test_lifetime_and_photon_energy():
    model = NeutrinoDipole("tau")
    m_n = 0.2
    assert model.llp_mass_GeV(m_n) == m_n
    assert model.llp_width_per_d2(m_n) == pytest.approx(m_n**3 / (4 * math.pi), rel=1e-15)
    assert model.photon_energy_rest_GeV(m_n) == pytest.approx(0.1, rel=1e-15)
    # c tau for d = 1e-6 GeV^-1 at 0.2 GeV: hbar c 4 pi / (d^2 M^3)
    ctau = HBARC_GeV_m / (1e-12 * model.llp_width_per_d2(m_n))
    assert ctau == pytest.approx(HBARC_GeV_m * 4 * math.pi / (1e-12 * 0.008), rel=1e-12)


def test_a7_sampler_conserves_four_momentum_and_follows_the_matrix_element():
    k = MESONS[321]
    m_l, m_n = LEPTON_MASS_GeV["e"], 0.15
    sampler = a7_sampler(k.mass_GeV, k.f_flag_GeV, k.v_ckm, m_l, m_n)
    rng = np.random.default_rng(31)
    n = 4000
    parent = lab_from_polar(
        rng.uniform(5, 75, n), rng.uniform(0, 0.01, n), rng.uniform(0, 6, n), k.mass_GeV
    )
    gamma, lep, nu_n = decay_three_body(parent, sampler, rng)
    assert np.allclose(gamma + lep + nu_n, parent, rtol=1e-11, atol=1e-10)
    assert np.allclose(invariant_mass_GeV(nu_n), m_n, rtol=1e-5)
    assert np.allclose(invariant_mass_GeV(gamma), 0.0, atol=1e-5)
    # sampled m23sq (lepton-N mass) against quadrature of A.7
    _, m23sq = sampler.sample(60_000, np.random.default_rng(32))
    lo23, hi23 = m23sq_range(k.mass_GeV, 0.0, m_l, m_n)
    edges = np.linspace(lo23, hi23, 31)

    def marginal(s):
        lo, hi = m12sq_range(s, k.mass_GeV, 0.0, m_l, m_n)
        f = lambda t: a7_msq(t, s, k.mass_GeV, k.f_flag_GeV, k.v_ckm, m_l, m_n)  # noqa: E731
        return integrate.quad(f, float(lo), float(hi), epsrel=1e-8)[0]

    probs = np.array(
        [
            integrate.quad(marginal, a, b, epsrel=1e-6)[0]
            for a, b in zip(edges[:-1], edges[1:], strict=True)
        ]
    )
    expected = probs / probs.sum() * m23sq.size
    counts, _ = np.histogram(m23sq, edges)
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert stats.chi2.sf(chi2, edges.size - 2) > 1e-3


def test_sample_llp_for_every_kind_of_channel():
    model = NeutrinoDipole("mu")
    m_n = 0.1
    rng = np.random.default_rng(33)
    n = 500
    for ch in model.channels(m_n):
        p, theta, phi, _ = model.sample_llp(ch, m_n, np.full(n, 50.0), np.full(n, 0.003), rng)
        assert p.shape == theta.shape == phi.shape == (n,)
        assert (
            np.all(np.isfinite(p)) and np.all(p > 0) and np.all((theta >= 0) & (theta <= math.pi))
        )
        # energy of N cannot exceed the parent's
        assert np.all(
            np.hypot(p, m_n)
            <= math.hypot(50.0, MESONS[abs(ch.parent_pdgid)].mass_GeV) * (1 + 1e-12)
        )


def test_registry_and_validation():
    assert "neutrino_dipole" in MODEL_KINDS
    model = make_model("neutrino_dipole", flavour="tau")
    assert isinstance(model, Model) and model == NeutrinoDipole("tau")
    with pytest.raises(DipscanError):
        make_model("neutrino_dipole", flavour="sterile")
    with pytest.raises(DipscanError, match="missing: flavour"):
        make_model("neutrino_dipole")
    with pytest.raises(DipscanError):
        NeutrinoDipole("e").channel_width_per_d2(
            Channel("K+ -> mu+ N gamma", 321, "three_body"), 0.1
        )
