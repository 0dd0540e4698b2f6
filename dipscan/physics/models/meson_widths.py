"""Appendix-A kernels shared by the models: A.2 (V -> pair) and A.4 (P -> gamma pair), for d = 1.

They take the two masses of the produced pair, so that any model producing two dark-sector
states from a vector or neutral pseudoscalar meson (the dark dipole, its fixed-splitting
variant, the neutrino dipole with M1 -> 0) uses the same formulas, channels and sampling.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from dipscan.errors import DipscanError
from dipscan.physics.constants import ALPHA_EM
from dipscan.physics.decays.chains import NO_CUT, LabCut, LabLLPs, three_body_llp, two_body_llp
from dipscan.physics.decays.dalitz import DalitzSampler, MatrixElement, three_body_width_GeV
from dipscan.physics.mesons import meson, pdgids
from dipscan.physics.models.base import THREE_BODY, TWO_BODY, Channel, MesonDecayModel

VECTOR_PDGIDS = pdgids("vector")
NEUTRAL_PSEUDOSCALAR_PDGIDS = pdgids("neutral_pseudoscalar")

_E2 = 4.0 * math.pi * ALPHA_EM  # e^2 in Heaviside-Lorentz natural units


def vector_width_per_d2(
    m_v_GeV: float, f_v_GeV: float, q_eff: float, m1_GeV: float, m2_GeV: float
) -> float:
    """A.2: Gamma(V -> chi1 chi2)/d^2; zero when closed."""
    if m1_GeV + m2_GeV >= m_v_GeV:
        return 0.0
    r_minus = ((m2_GeV - m1_GeV) / m_v_GeV) ** 2
    r_plus = ((m2_GeV + m1_GeV) / m_v_GeV) ** 2
    return (
        _E2 * q_eff**2 * f_v_GeV**2 * m_v_GeV / (6.0 * math.pi)
        * (1.0 - r_minus) ** 1.5 * (1.0 + 2.0 * r_plus) * math.sqrt(1.0 - r_plus)
    )  # fmt: skip


def a4_msq(m12sq, m23sq, m_p_GeV: float, F_P_GeV: float, m1_GeV: float, m2_GeV: float):
    """A.4: spin-summed |M|^2 of P -> gamma(p1) chi1(p2) chi2(p3) for d = 1 (F_P in the 92 MeV
    normalisation). m23sq is the invariant mass squared of the dark pair."""
    s12 = np.asarray(m12sq, float)
    s23 = np.asarray(m23sq, float)
    mp2, a, b = m_p_GeV**2, m1_GeV, m2_GeV
    bracket = (
        mp2**2 * (s23 * (b * b + 2.0 * a * b - a * a) - (a * a - b * b) ** 2)
        - s23**2 * (a**4 - 2.0 * a * a * s12 - s23 * (a + b) ** 2 + 2.0 * s12**2
                    - 2.0 * s12 * b * b + 2.0 * s12 * s23 + b**4)
        - 2.0 * s23 * mp2 * ((a * a - b * b) * (b * b - s12) + b * s23 * (2.0 * a + b) - s12 * s23)
    )  # fmt: skip
    return _E2**2 / (4.0 * math.pi**4 * F_P_GeV**2 * s23**2) * bracket


def a4_constants(m_p_GeV: float, F_P_GeV: float, m1_GeV: float, m2_GeV: float) -> tuple[float, ...]:
    """The scalar subexpressions of `a4_msq`, computed as it computes them, in the order its
    compiled twin (`dalitz_kernels._a4_msq`) reads them."""
    mp2, a, b = m_p_GeV**2, m1_GeV, m2_GeV
    return (mp2**2, b * b + 2.0 * a * b - a * a, (a * a - b * b) ** 2, a**4, 2.0 * a * a,
            (a + b) ** 2, b, b**4, mp2, a * a - b * b, b * b, 2.0 * a + b, _E2**2,
            4.0 * math.pi**4 * F_P_GeV**2)


def a4_matrix_element(m_p_GeV: float, F_P_GeV: float, m1_GeV: float,
                      m2_GeV: float) -> MatrixElement:
    """A.4 with its masses, and its compiled twin."""
    params = {"m_p_GeV": m_p_GeV, "F_P_GeV": F_P_GeV, "m1_GeV": m1_GeV, "m2_GeV": m2_GeV}
    return MatrixElement(a4_msq, params, "a4", a4_constants(**params))


@lru_cache(maxsize=4096)
def a4_width_per_d2(m_p_GeV: float, F_P_GeV: float, m1_GeV: float, m2_GeV: float) -> float:
    """A.5 applied to A.4: Gamma(P -> gamma chi1 chi2)/d^2 by the 2-D Dalitz integral; 0 if closed."""
    if m1_GeV + m2_GeV >= m_p_GeV:
        return 0.0
    msq = a4_matrix_element(m_p_GeV, F_P_GeV, m1_GeV, m2_GeV)
    return three_body_width_GeV(msq, m_p_GeV, 0.0, m1_GeV, m2_GeV)


@lru_cache(maxsize=512)
def a4_sampler(m_p_GeV: float, F_P_GeV: float, m1_GeV: float, m2_GeV: float) -> DalitzSampler:
    """Dalitz sampler of A.4 with particles (1, 2, 3) = (gamma, chi1, chi2)."""
    return DalitzSampler(a4_matrix_element(m_p_GeV, F_P_GeV, m1_GeV, m2_GeV), m_p_GeV, 0.0,
                         m1_GeV, m2_GeV)


# ---- a pair (m1, m2) from vector and neutral pseudoscalar mesons; the LLP is the heavier, m2 ----


def pair_channels(m1: float, m2: float, pair: str) -> list[Channel]:
    """Open channels V -> pair and P -> gamma pair; `pair` names the products (e.g. "chi1 chi2")."""
    return list(_pair_channels(m1, m2, pair))


@lru_cache(maxsize=4096)
def _pair_channels(m1: float, m2: float, pair: str) -> tuple[Channel, ...]:
    # Once per mass: every width and every draw checks that its channel is open.
    two_body = tuple(Channel(f"{meson(pid).name} -> {pair}", pid, TWO_BODY)
                     for pid in VECTOR_PDGIDS if m1 + m2 < meson(pid).mass_GeV)
    return two_body + tuple(Channel(f"{meson(pid).name} -> gamma {pair}", pid, THREE_BODY)
                            for pid in NEUTRAL_PSEUDOSCALAR_PDGIDS if m1 + m2 < meson(pid).mass_GeV)


def pair_width_per_d2(channel: Channel, m1: float, m2: float) -> float:
    """A.2 for a vector parent, A.4/A.5 for a neutral pseudoscalar one; GeV^3 per d^2."""
    par = meson(channel.parent_pdgid)
    if channel.kind == TWO_BODY:
        return vector_width_per_d2(par.mass_GeV, par.f_V_GeV, par.q_eff, m1, m2)
    return a4_width_per_d2(par.mass_GeV, par.F_P_GeV, m1, m2)


def sample_pair_llp(channel: Channel, m1: float, m2: float, parent_p_GeV, parent_theta_rad,
                    rng: np.random.Generator, cut: LabCut = NO_CUT) -> LabLLPs:
    """The m2 states kept by `cut`: isotropic two-body for V; Dalitz-sampled A.4 for P."""
    par = meson(channel.parent_pdgid)
    if channel.kind == TWO_BODY:
        return two_body_llp(parent_p_GeV, parent_theta_rad, par.mass_GeV, m1, m2, rng, cut)
    return three_body_llp(parent_p_GeV, parent_theta_rad,
                          a4_sampler(par.mass_GeV, par.F_P_GeV, m1, m2), rng, cut)


class PairModel(MesonDecayModel):
    """A model whose LLP is the heavier state m2 of a pair (m1, m2) made in V and P0 decays.

    The scan mass is m1. Subclasses define `_m2(m1)`, `llp_width_per_d2` and
    `photon_energy_rest_GeV`; channels, their widths and the LLP kinematics follow from A.2/A.4.
    """

    MASS_SYMBOL = "M1"

    def _m2(self, m1: float) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def _masses(self, mass_GeV: float) -> tuple[float, float]:
        m1 = float(mass_GeV)
        if not (math.isfinite(m1) and m1 > 0.0):
            raise DipscanError(f"{self.KIND}: mass must be positive, got {mass_GeV!r}")
        return m1, self._m2(m1)

    def llp_mass_GeV(self, mass_GeV: float) -> float:
        return self._masses(mass_GeV)[1]

    def channels(self, mass_GeV: float) -> list[Channel]:
        return pair_channels(*self._masses(mass_GeV), "chi1 chi2")

    def channel_width_per_d2(self, channel: Channel, mass_GeV: float) -> float:
        self._check_open(channel, mass_GeV)
        return pair_width_per_d2(channel, *self._masses(mass_GeV))

    def sample_llp(self, channel, mass_GeV, parent_p_GeV, parent_theta_rad, rng, cut=NO_CUT):
        """chi2 kinematics: isotropic two-body for V; Dalitz-sampled A.4 for P (chi2 = particle 3)."""
        self._check_open(channel, mass_GeV)
        return sample_pair_llp(channel, *self._masses(mass_GeV), parent_p_GeV, parent_theta_rad,
                               rng, cut)
