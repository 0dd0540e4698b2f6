"""Dark-dark dipole with the mass splitting fixed in GeV: M2 = M1 + splitting_GeV.

The same operator and appendix-A widths as `dark_dipole` (the A.2/A.4 kernels of
dipscan.physics.models.meson_widths), parametrised as inelastic-dark-matter scans often are: a fixed
Delta = M2 - M1 instead of a fixed ratio delta = Delta/M1. The lifetime is A.1 written in the
two masses, Gamma(chi2 -> chi1 gamma) = d^2 (M2^2 - M1^2)^3 / (2 pi M2^3). This module is the
worked example of docs/extending.md: a model is this one file plus its tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dipscan.physics.models.base import Param
from dipscan.physics.models.meson_widths import PairModel
from dipscan.physics.models.registry import register


@register
@dataclass(frozen=True)
class FixedSplitting(PairModel):
    """chi1, chi2 with M2 = M1 + splitting_GeV; scan mass = M1, the LLP is chi2."""

    KIND = "dark_dipole_fixed_splitting"
    PARAMS = (Param("splitting_GeV", "mass splitting M2 - M1 in GeV", gt=0.0),)
    MASS_LABEL = r"$M_1$ [GeV]"
    DESCRIPTION = "inelastic dark-matter dipole d chi2bar sigma F chi1, fixed splitting M2 - M1"

    @staticmethod
    def plot_title(params) -> str:
        return rf"dark-dark dipole, $M_2 - M_1 = {params['splitting_GeV']:g}$ GeV"

    splitting_GeV: float

    def _m2(self, m1: float) -> float:
        return m1 + self.splitting_GeV

    def _describe(self) -> str:
        return f"{self.KIND}(splitting_GeV={self.splitting_GeV})"

    def llp_width_per_d2(self, mass_GeV: float) -> float:
        """A.1: (M2^2 - M1^2)^3 / (2 pi M2^3), with M2^2 - M1^2 = Delta (M1 + M2) to keep digits."""
        m1, m2 = self._masses(mass_GeV)
        return (self.splitting_GeV * (m1 + m2)) ** 3 / (2.0 * math.pi * m2**3)

    def photon_energy_rest_GeV(self, mass_GeV: float) -> float:
        """E* = (M2^2 - M1^2) / (2 M2)."""
        m1, m2 = self._masses(mass_GeV)
        return self.splitting_GeV * (m1 + m2) / (2.0 * m2)
