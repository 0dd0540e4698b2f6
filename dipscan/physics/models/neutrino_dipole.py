"""Active-sterile neutrino dipole d_i nubar_{i,L} sigma^{mu nu} N_R F_{mu nu} (eq. 2.3), Dirac N.

The scan mass is M_N; the LLP is N (or Nbar), decaying as N -> nu gamma with
Gamma = d^2 M_N^3 / (4 pi) (A.1, Magill et al. normalisation). Production (appendix A):
- V -> N nubar and V -> Nbar nu: A.2 with M1 -> 0, M2 -> M_N, d -> d/sqrt2, each with that width;
- P0 -> gamma N nubar and gamma Nbar nu: A.4/A.5 with the same replacements, each with that width;
- P+ -> l+ N gamma and P- -> l- Nbar gamma (K, D, Ds, B; l of the dipole's flavour): A.7 with the
  FLAG decay constants and |V_CKM|, the same width for both charges.
A neutral parent's channel sums N and Nbar (width per d^2 = 2 x one charge state); the charged
parents have one channel per charge. N and Nbar have identical kinematics and lifetimes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dipscan.errors import DipscanError
from dipscan.physics.constants import G_FERMI_GeVm2
from dipscan.physics.decays.chains import NO_CUT, three_body_llp, two_body_llp
from dipscan.physics.decays.dalitz import DalitzSampler, MatrixElement, three_body_width_GeV
from dipscan.physics.mesons import LEPTON_MASS_GeV, charge_conjugate_name, meson, pdgids
from dipscan.physics.models.base import THREE_BODY, TWO_BODY, Channel, MesonDecayModel, Param
from dipscan.physics.models.meson_widths import (
    NEUTRAL_PSEUDOSCALAR_PDGIDS,
    VECTOR_PDGIDS,
    a4_sampler,
    a4_width_per_d2,
    vector_width_per_d2,
)
from dipscan.physics.models.registry import register

CHARGED_PSEUDOSCALAR_PDGIDS = pdgids("charged_pseudoscalar")
FLAVOURS = ("e", "mu", "tau")

# d -> d/sqrt2 in A.2 and A.4: the chiral (nu_L, N_R) operator gives half the rate of one
# charge state compared with the dark-dark formula.
_CHIRAL_FACTOR = 0.5


def a7_msq(
    m12sq, m23sq, m_p_GeV: float, f_p_GeV: float, v_ckm: float, m_l_GeV: float, m_n_GeV: float
):
    """A.7: |M|^2 of P+ -> gamma(p1) l+(p2) N(p3) for d = 1 (f_P in the FLAG normalisation).

    The denominator is the off-shell neutrino propagator (p_nu^2)^2 with
    p_nu^2 = (p1 + p3)^2 = M_P^2 + M_l^2 + M_N^2 - m12sq - m23sq.
    """
    s12 = np.asarray(m12sq, float)
    s23 = np.asarray(m23sq, float)
    mp2, ml2, mn2 = m_p_GeV**2, m_l_GeV**2, m_n_GeV**2
    p_nu_sq = mp2 + ml2 + mn2 - s12 - s23
    bracket = (
        s12**3
        - s12**2 * (2.0 * mp2 + 2.0 * mn2 + ml2 - 2.0 * s23)
        + s12 * (mn2**2 + 2.0 * mn2 * (mp2 + ml2 - s23) + s23**2 - s23 * (2.0 * mp2 + ml2) + mp2**2)
        + ml2 * (-(mn2**2) - mp2 * (mn2 - ml2 + s23) + mn2 * s23 + mp2**2)
    )
    norm = 16.0 * G_FERMI_GeVm2**2 * f_p_GeV**2 * v_ckm**2
    # p_nu^2 >= M_N^2 > 0 inside the region; it can round to 0 only on the collinear edge of the
    # massless limit, where the numerator vanishes as well (a set of measure zero): count it as 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        value = norm * (mp2 + ml2 - s12 - s23) * bracket / p_nu_sq**2
    return np.where(p_nu_sq > 0.0, value, 0.0)


def a7_constants(
    m_p_GeV: float, f_p_GeV: float, v_ckm: float, m_l_GeV: float, m_n_GeV: float
) -> tuple[float, ...]:
    """The scalar subexpressions of `a7_msq`, computed as it computes them, in the order its
    compiled twin (`dalitz_kernels._a7_msq`) reads them."""
    mp2, ml2, mn2 = m_p_GeV**2, m_l_GeV**2, m_n_GeV**2
    return (mp2, ml2, mn2, mp2 + ml2 + mn2, 2.0 * mp2 + 2.0 * mn2 + ml2, mn2**2, 2.0 * mn2,
            mp2 + ml2, 2.0 * mp2 + ml2, mp2**2, -(mn2**2), mn2 - ml2,
            16.0 * G_FERMI_GeVm2**2 * f_p_GeV**2 * v_ckm**2)


def a7_matrix_element(
    m_p_GeV: float, f_p_GeV: float, v_ckm: float, m_l_GeV: float, m_n_GeV: float
) -> MatrixElement:
    """A.7 with its masses, and its compiled twin."""
    params = {"m_p_GeV": m_p_GeV, "f_p_GeV": f_p_GeV, "v_ckm": v_ckm, "m_l_GeV": m_l_GeV,
              "m_n_GeV": m_n_GeV}
    return MatrixElement(a7_msq, params, "a7", a7_constants(**params))


@lru_cache(maxsize=4096)
def a7_width_per_d2(
    m_p_GeV: float, f_p_GeV: float, v_ckm: float, m_l_GeV: float, m_n_GeV: float
) -> float:
    """A.5 applied to A.7: Gamma(P+ -> l+ N gamma)/d^2; 0 if closed."""
    if m_l_GeV + m_n_GeV >= m_p_GeV:
        return 0.0
    msq = a7_matrix_element(m_p_GeV, f_p_GeV, v_ckm, m_l_GeV, m_n_GeV)
    return three_body_width_GeV(msq, m_p_GeV, 0.0, m_l_GeV, m_n_GeV)


@lru_cache(maxsize=512)
def a7_sampler(
    m_p_GeV: float, f_p_GeV: float, v_ckm: float, m_l_GeV: float, m_n_GeV: float
) -> DalitzSampler:
    """Dalitz sampler of A.7 with particles (1, 2, 3) = (gamma, l, N)."""
    msq = a7_matrix_element(m_p_GeV, f_p_GeV, v_ckm, m_l_GeV, m_n_GeV)
    return DalitzSampler(msq, m_p_GeV, 0.0, m_l_GeV, m_n_GeV)


def leptonic_width_GeV(m_p_GeV: float, f_p_GeV: float, v_ckm: float, m_l_GeV: float) -> float:
    """Gamma(P -> l nu) = G_F^2 f^2 |V|^2 M_P m_l^2 (1 - m_l^2/M_P^2)^2 / (8 pi), FLAG normalisation."""
    return (
        G_FERMI_GeVm2**2 * f_p_GeV**2 * v_ckm**2 * m_p_GeV * m_l_GeV**2
        * (1.0 - m_l_GeV**2 / m_p_GeV**2) ** 2 / (8.0 * math.pi)
    )  # fmt: skip


@register
@dataclass(frozen=True)
class NeutrinoDipole(MesonDecayModel):
    """Active-sterile dipole coupling the sterile Dirac N to the active neutrino of one flavour."""

    KIND = "neutrino_dipole"
    PARAMS = (Param("flavour", "the active neutrino's flavour (and the charged lepton of P+- decays)",
                    choices=FLAVOURS),)
    MASS_LABEL = r"$M_N$ [GeV]"
    DESCRIPTION = "active-sterile neutrino dipole d nubar sigma F N"

    @staticmethod
    def plot_title(params) -> str:
        return rf"$\nu_{{{params.get('flavour', '')}}}$-$N$ dipole"

    flavour: str

    @property
    def lepton_mass_GeV(self) -> float:
        return LEPTON_MASS_GeV[self.flavour]

    @staticmethod
    def _mass(mass_GeV: float) -> float:
        m = float(mass_GeV)
        if not (math.isfinite(m) and m > 0.0):
            raise DipscanError(f"neutrino_dipole: mass must be positive, got {mass_GeV!r}")
        return m

    def llp_mass_GeV(self, mass_GeV: float) -> float:
        return self._mass(mass_GeV)

    def llp_width_per_d2(self, mass_GeV: float) -> float:
        """A.1: Gamma(N -> nu gamma)/d^2 = M_N^3 / (4 pi)."""
        return self._mass(mass_GeV) ** 3 / (4.0 * math.pi)

    def photon_energy_rest_GeV(self, mass_GeV: float) -> float:
        return 0.5 * self._mass(mass_GeV)

    def channels(self, mass_GeV: float) -> list[Channel]:
        m_n = self._mass(mass_GeV)
        out = [
            Channel(f"{meson(pid).name} -> N nu (+c.c.)", pid, TWO_BODY)
            for pid in VECTOR_PDGIDS
            if m_n < meson(pid).mass_GeV
        ]
        out += [
            Channel(f"{meson(pid).name} -> gamma N nu (+c.c.)", pid, THREE_BODY)
            for pid in NEUTRAL_PSEUDOSCALAR_PDGIDS
            if m_n < meson(pid).mass_GeV
        ]
        lep = self.flavour
        for pid in CHARGED_PSEUDOSCALAR_PDGIDS:
            par = meson(pid)
            if self.lepton_mass_GeV + m_n < par.mass_GeV:
                minus = charge_conjugate_name(par.name)
                out.append(Channel(f"{par.name} -> {lep}+ N gamma", pid, THREE_BODY))
                out.append(Channel(f"{minus} -> {lep}- Nbar gamma", -pid, THREE_BODY))
        return out

    MASS_SYMBOL = "M_N"

    def sample_params(self, channel: Channel) -> dict[str, object]:
        """Only the P+- -> l N gamma samples depend on the flavour (through the lepton mass); V and
        P0 decays give N with a massless neutrino, the same for every flavour."""
        return {"flavour": self.flavour} if meson(channel.parent_pdgid).charge else {}

    def _describe(self) -> str:
        return f"neutrino_dipole(flavour={self.flavour})"

    def one_charge_state_width_per_d2(self, channel: Channel, mass_GeV: float) -> float:
        """Width per d^2 of one charge state (N or Nbar) of the channel."""
        self._check_open(channel, mass_GeV)
        m_n = self._mass(mass_GeV)
        par = meson(channel.parent_pdgid)
        if par.kind == "vector":
            return _CHIRAL_FACTOR * vector_width_per_d2(
                par.mass_GeV, par.f_V_GeV, par.q_eff, 0.0, m_n
            )
        if par.kind == "neutral_pseudoscalar":
            return _CHIRAL_FACTOR * a4_width_per_d2(par.mass_GeV, par.F_P_GeV, 0.0, m_n)
        return a7_width_per_d2(par.mass_GeV, par.f_flag_GeV, par.v_ckm, self.lepton_mass_GeV, m_n)

    def channel_width_per_d2(self, channel: Channel, mass_GeV: float) -> float:
        """Neutral parents: N and Nbar summed; charged parents: the one charge state of the channel."""
        one = self.one_charge_state_width_per_d2(channel, mass_GeV)
        return one if meson(channel.parent_pdgid).charge else 2.0 * one

    def sample_llp(self, channel, mass_GeV, parent_p_GeV, parent_theta_rad, rng, cut=NO_CUT):
        """N (or Nbar) kinematics: isotropic two-body for V, A.4 for P0, A.7 for P+- (N = particle 3)."""
        self._check_open(channel, mass_GeV)
        m_n = self._mass(mass_GeV)
        par = meson(channel.parent_pdgid)
        if par.kind == "vector":
            return two_body_llp(parent_p_GeV, parent_theta_rad, par.mass_GeV, 0.0, m_n, rng, cut)
        if par.kind == "neutral_pseudoscalar":
            sampler = a4_sampler(par.mass_GeV, par.F_P_GeV, 0.0, m_n)
        else:
            sampler = a7_sampler(par.mass_GeV, par.f_flag_GeV, par.v_ckm, self.lepton_mass_GeV, m_n)
        return three_body_llp(parent_p_GeV, parent_theta_rad, sampler, rng, cut)
