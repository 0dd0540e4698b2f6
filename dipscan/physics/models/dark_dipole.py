"""Dark-dark dipole d chi2bar sigma^{mu nu} chi1 F_{mu nu} (eq. 2.1): widths of appendix A, LLP kinematics.

Conventions (docs/physics.md, "The dipole coefficient"): the vertex is 2 d sigma^{mu nu} k_mu eps_nu (transition moment
mu = 2d); the LLP is chi2 with M2 = M1 (1 + delta); its lifetime counts chi2 -> chi1 gamma only
(chi2 -> chi1 e+ e- is a ~0.1% correction, neglected). Production:
- V -> chi1 chi2 (A.2) for rho0, omega, phi, J/psi, Upsilon(1S), with the effective quark charge
  and f_V taken from the measured leptonic width, isotropic in the V rest frame (unpolarised V);
- P -> gamma chi1 chi2 (A.4, A.5) for pi0, eta, eta' through the anomaly, with the effective F_P
  that reproduces the measured Gamma(P -> gamma gamma); point-like vertex, no form factor.
The A.2/A.4 kernels (d = 1) are in dipscan.physics.models.meson_widths, shared with the other models.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dipscan.physics.models.base import Param
from dipscan.physics.models.meson_widths import (  # noqa: F401 (the A.2/A.4 kernels, also reached from here)
    NEUTRAL_PSEUDOSCALAR_PDGIDS,
    VECTOR_PDGIDS,
    PairModel,
    a4_msq,
    a4_sampler,
    a4_width_per_d2,
    vector_width_per_d2,
)
from dipscan.physics.models.registry import register


def chi2_width_per_d2(m1_GeV: float, delta: float) -> float:
    """A.1: Gamma(chi2 -> chi1 gamma)/d^2 = M1^3 delta^3 (2 + delta)^3 / (2 pi (1 + delta)^3).

    Written in delta (not M2^2 - M1^2) so that tiny splittings keep their digits.
    """
    return m1_GeV**3 * delta**3 * (2.0 + delta) ** 3 / (2.0 * math.pi * (1.0 + delta) ** 3)


@register
@dataclass(frozen=True)
class DarkDipole(PairModel):
    """Dark-dark dipole with relative splitting delta = (M2 - M1)/M1; scan mass = M1."""

    KIND = "dark_dipole"
    PARAMS = (Param("delta", "relative mass splitting (M2 - M1)/M1; M2 = M1 (1 + delta)", gt=0.0),)
    MASS_LABEL = r"$M_1$ [GeV]"
    DESCRIPTION = "inelastic dark-matter dipole d chi2bar sigma F chi1"

    @staticmethod
    def plot_title(params) -> str:
        return rf"dark-dark dipole $d\,\bar\chi_2\sigma^{{\mu\nu}}\chi_1F_{{\mu\nu}}$, $\delta = {params['delta']:g}$"

    delta: float

    def _m2(self, m1: float) -> float:
        return m1 * (1.0 + self.delta)

    def llp_width_per_d2(self, mass_GeV: float) -> float:
        return chi2_width_per_d2(self._masses(mass_GeV)[0], self.delta)

    def photon_energy_rest_GeV(self, mass_GeV: float) -> float:
        """E* = (M2^2 - M1^2)/(2 M2) = M1 delta (2 + delta) / (2 (1 + delta))."""
        m1 = self._masses(mass_GeV)[0]
        return m1 * self.delta * (2.0 + self.delta) / (2.0 * (1.0 + self.delta))

    def _describe(self) -> str:
        return f"dark_dipole(delta={self.delta})"
