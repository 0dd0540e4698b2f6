"""Existing limits and targets for the dark-dark dipole (paper section 4.2).

- `statistics`: upper limits on signal events of the recast counting experiments;
- `babar`: the BaBar mono-photon recast, e+e- -> gamma chi1 chi2 with chi2 -> chi1 gamma;
- `relic`: the thermal-relic line (Griest-Seckel coannihilation, Boltzmann equation);
- helpers: `dark_pair` (cross sections through one photon), `isr` (radiator), `r_ratio`,
  `dof` (g_eff, h_eff), `boltzmann` (freeze-out solver).
"""

import importlib

# The thermal-relic line's label (figure legend, contours table). A plain constant here, not in
# dipscan.scan.overlays: reading a scenario checks labels against it without loading polars.
RELIC_LABEL = "thermal relic"

# Submodules load on first use (PEP 562): reading a scenario needs `statistics` alone, and
# importing it must not pull in the BaBar and relic solvers.
_HOME = {"BabarLimit": "babar", "babar_event_yield": "babar", "babar_limit_curve": "babar",
         "THERMAL_DM_MIN_MASS_GeV": "relic", "relic_coupling": "relic", "relic_omega_h2": "relic",
         "METHODS": "statistics", "signal_upper_limit": "statistics"}


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = [
    "METHODS",
    "RELIC_LABEL",
    "THERMAL_DM_MIN_MASS_GeV",
    "BabarLimit",
    "babar_event_yield",
    "babar_limit_curve",
    "relic_coupling",
    "relic_omega_h2",
    "signal_upper_limit",
]
