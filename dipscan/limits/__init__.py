"""Existing limits and targets for the dark-dark dipole (paper section 4.2).

- `statistics`: upper limits on signal events of the recast counting experiments;
- `babar`: the BaBar mono-photon recast, e+e- -> gamma chi1 chi2 with chi2 -> chi1 gamma;
- `relic`: the thermal-relic line (Griest-Seckel coannihilation, Boltzmann equation);
- helpers: `dark_pair` (cross sections through one photon), `isr` (radiator), `r_ratio`,
  `dof` (g_eff, h_eff), `boltzmann` (freeze-out solver).
"""

from dipscan.limits.babar import BabarLimit, babar_event_yield, babar_limit_curve
from dipscan.limits.relic import THERMAL_DM_MIN_MASS_GeV, relic_coupling, relic_omega_h2
from dipscan.limits.statistics import METHODS, signal_upper_limit

__all__ = [
    "METHODS",
    "THERMAL_DM_MIN_MASS_GeV",
    "BabarLimit",
    "babar_event_yield",
    "babar_limit_curve",
    "relic_coupling",
    "relic_omega_h2",
    "signal_upper_limit",
]
