"""A smooth parametrisation of R(sqrt s) = sigma(e+e- -> hadrons) / sigma_pt(e+e- -> mu+mu-).

Used for chi1 chi2 -> gamma* -> hadrons, whose cross section is R times the point-like muon one.
The thermal average smears R over a few temperatures, so the shape matters only at the tens-of-
percent level; the pieces are:

- e+e- -> pi+ pi- as beta^3 |F_pi|^2 / 4 with the Gounaris-Sakurai form factor of the rho
  (F(0) = 1, correct p-wave threshold and a tail that falls like the data; its peak, R ~ 6.5,
  is some 20% below the measured one, which also carries rho-omega interference);
- narrow vector mesons (omega, phi, J/psi, psi(2S), Upsilon(1S, 2S, 3S)) as delta functions in s:
  a Breit-Wigner of width Gamma integrates to int ds R_V = 9 pi M Gamma_ee / alpha^2 (all decay
  channels count as annihilation products). Exact once the temperature exceeds the width;
  handled by the thermal average, not by `r_ratio_smooth`;
- the multi-hadron continuum as the parton-model value N_c sum Q_q^2 (1 + alpha_s/pi), switched on
  with logistic steps: u, d, s around 1.2 GeV (width 0.1 GeV), c above open charm (3.85 GeV,
  0.08 GeV), b above open beauty (10.7 GeV, 0.1 GeV). alpha_s runs at one loop (n_f = 4) from
  alpha_s(m_tau) = 0.33.
Neglected: rho-omega interference, the pi0 gamma / eta gamma channels below the two-pion
threshold, the psi(3770)... structures of the charm threshold region. Expected accuracy ~20-30%
between 1 and 2 GeV, better elsewhere.

Resonance inputs are PDG 2024 (masses, total widths, e+e- widths).
"""

from __future__ import annotations

import numpy as np

from dipscan.physics.constants import ALPHA_EM

PION_CHARGED_MASS_GeV = 0.13957
RHO_MASS_GeV = 0.77526
RHO_WIDTH_GeV = 0.1491

# (name, mass, Gamma(V -> e+e-)) for resonances far narrower than any freeze-out temperature
# where they matter.
NARROW_VECTORS = (
    ("omega", 0.78266, 0.64e-6),  # B_ee 7.38e-5 x Gamma 8.68 MeV
    ("phi", 1.019461, 1.266e-6),  # B_ee 2.979e-4 x Gamma 4.249 MeV
    ("J/psi", 3.096900, 5.53e-6),
    ("psi(2S)", 3.686097, 2.33e-6),
    ("Upsilon(1S)", 9.46040, 1.340e-6),
    ("Upsilon(2S)", 10.02326, 0.612e-6),
    ("Upsilon(3S)", 10.3552, 0.443e-6),
)

_ALPHA_S_MTAU = 0.33
_M_TAU_GeV = 1.77686
_B0_NF4 = 25.0 / 3.0  # 11 - 2 n_f / 3


def narrow_resonance_weights() -> tuple[np.ndarray, np.ndarray]:
    """(mass_GeV, int ds R_V in GeV^2) for the narrow vectors: 9 pi M Gamma_ee / alpha^2."""
    masses = np.array([m for _, m, _ in NARROW_VECTORS])
    gee = np.array([g for _, _, g in NARROW_VECTORS])
    return masses, 9.0 * np.pi * masses * gee / ALPHA_EM**2


def alpha_s(sqrt_s_GeV) -> np.ndarray:
    """One-loop alpha_s(Q), n_f = 4, from alpha_s(m_tau) = 0.33; Q is floored at 1 GeV."""
    q = np.maximum(np.asarray(sqrt_s_GeV, float), 1.0)
    return _ALPHA_S_MTAU / (
        1.0 + _ALPHA_S_MTAU * _B0_NF4 / (4.0 * np.pi) * np.log(q**2 / _M_TAU_GeV**2)
    )


def _gs_k(s):
    return np.sqrt(np.clip(s / 4.0 - PION_CHARGED_MASS_GeV**2, 0.0, None))


def _gs_h(s):
    w, k = np.sqrt(s), _gs_k(s)
    return 2.0 / np.pi * k / w * np.log((w + 2.0 * k) / (2.0 * PION_CHARGED_MASS_GeV))


def pion_form_factor_gs(s_GeV2) -> np.ndarray:
    """Gounaris-Sakurai pion form factor (Phys. Rev. Lett. 21 (1968) 244), F(0) = 1, rho only."""
    s = np.asarray(s_GeV2, float)
    m, g, mpi = RHO_MASS_GeV, RHO_WIDTH_GeV, PION_CHARGED_MASS_GeV
    km = _gs_k(m * m)
    hm = _gs_h(m * m)
    dh = hm * (1.0 / (8.0 * km**2) - 1.0 / (2.0 * m * m)) + 1.0 / (2.0 * np.pi * m * m)
    d = (
        3.0 / np.pi * mpi**2 / km**2 * np.log((m + 2.0 * km) / (2.0 * mpi))
        + m / (2.0 * np.pi * km)
        - mpi**2 * m / (np.pi * km**3)
    )
    k = _gs_k(s)
    width = g * (k / km) ** 3 * m / np.sqrt(s)
    f = g * m * m / km**3 * (k * k * (_gs_h(s) - hm) + (m * m - s) * km**2 * dh)
    return m * m * (1.0 + d * g / m) / (m * m - s + f - 1j * m * width)


def r_rho(sqrt_s_GeV) -> np.ndarray:
    """rho -> pi+ pi-: R = beta_pi^3 |F_pi(s)|^2 / 4, zero below the two-pion threshold."""
    w = np.asarray(sqrt_s_GeV, float)
    above = w > 2.0 * PION_CHARGED_MASS_GeV
    w_safe = np.where(above, w, 1.0)
    beta = 2.0 * _gs_k(w_safe**2) / w_safe
    return np.where(above, beta**3 / 4.0 * np.abs(pion_form_factor_gs(w_safe**2)) ** 2, 0.0)


#: The continuum's flavour thresholds (module docstring): N_c sum Q_q^2 that each switches on,
#: and the centre and width of its logistic step in sqrt(s), GeV: u+d+s, c, b.
CONTINUUM_THRESHOLDS = ((2.0, 1.2, 0.1), (4.0 / 3.0, 3.85, 0.08), (1.0 / 3.0, 10.7, 0.1))


def _step(sqrt_s, centre, width):
    return 0.5 * (1.0 + np.tanh((sqrt_s - centre) / (2.0 * width)))  # logistic


def r_continuum(sqrt_s_GeV) -> np.ndarray:
    """Parton-model continuum with smooth flavour thresholds (see module docstring)."""
    w = np.asarray(sqrt_s_GeV, float)
    qcd = 1.0 + alpha_s(w) / np.pi
    uds, charm, beauty = (charge * _step(w, centre, width)
                          for charge, centre, width in CONTINUUM_THRESHOLDS)
    # Hadrons need at least two pions; cut the logistic tail there.
    return np.where(w > 2.0 * PION_CHARGED_MASS_GeV, qcd * (uds + charm + beauty), 0.0)


def r_ratio_smooth(sqrt_s_GeV) -> np.ndarray:
    """R without the narrow resonances (those are delta functions, see `narrow_resonance_weights`)."""
    return r_rho(sqrt_s_GeV) + r_continuum(sqrt_s_GeV)
