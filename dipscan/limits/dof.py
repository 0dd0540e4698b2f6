"""Effective relativistic degrees of freedom g_eff(T) (energy) and h_eff(T) (entropy).

A documented approximation rather than a lattice-based tabulation: an ideal gas of the Standard
Model species with exact Fermi/Bose integrals for every mass, so each threshold (e, mu, pi, tau,
c, b, ...) switches off smoothly, plus two effects an ideal gas misses:
- QCD crossover: quarks and gluons above, a gas of the lightest hadrons below (pi, K, eta, rho,
  omega, K*, eta', nucleons, phi), joined by a tanh step in T centred at 0.18 GeV with width
  0.04 GeV. The step is placed so that g_eff rises from ~30 at 0.15 GeV to ~60 at 0.3 GeV, the
  broad crossover of lattice-based tabulations (Borsanyi et al., Nature 539 (2016) 69; Saikawa
  and Shirai, JCAP 05 (2018) 035), to which this agrees at the ~15% level;
- neutrino decoupling: neutrinos share the photon temperature above T_dec = 2 MeV; below, the
  photon-electron plasma keeps its own entropy, T_nu/T = (h_gamma_e(T)/h_gamma_e(T_dec))^(1/3),
  which gives g_eff = 3.36, h_eff = 3.91 today.
Freeze-out depends on g_eff only through sqrt(g_eff) and logarithms, so these approximations move
Omega h^2 by at most ~10% (relic couplings by ~5%) around the QCD crossover and much less
elsewhere. Masses: PDG 2024.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

T_QCD_GeV = 0.18
T_QCD_WIDTH_GeV = 0.04
T_NU_DECOUPLING_GeV = 2.0e-3

# (internal dof g, mass GeV, +1 fermion / -1 boson)
_LEPTONS_AND_BOSONS = (
    (2, 0.0, -1),  # photon
    (4, 0.51099895e-3, +1),  # e
    (4, 0.1056584, +1),  # mu
    (4, 1.77686, +1),  # tau
    (6, 80.377, -1),  # W+-
    (3, 91.1876, -1),  # Z
    (1, 125.25, -1),  # H
)
_PARTONS = (
    (16, 0.0, -1),  # gluons
    (12, 2.16e-3, +1),  # u
    (12, 4.67e-3, +1),  # d
    (12, 0.0934, +1),  # s
    (12, 1.27, +1),  # c
    (12, 4.18, +1),  # b
    (12, 172.69, +1),  # t
)
_HADRONS = (
    (2, 0.13957, -1),  # pi+-
    (1, 0.13498, -1),  # pi0
    (4, 0.4957, -1),  # K+-, K0, K0bar
    (1, 0.54786, -1),  # eta
    (9, 0.77526, -1),  # rho
    (3, 0.78266, -1),  # omega
    (12, 0.8955, -1),  # K*
    (1, 0.95778, -1),  # eta'
    (8, 0.93827, +1),  # p, n and antiparticles, 2 spins
    (3, 1.01946, -1),  # phi
)
_NEUTRINO_DOF = 6  # three flavours, nu and nubar, one helicity each

_GRID_LOG10_T = np.linspace(-6.0, 4.0, 401)


def _ideal_gas(species, temperature_GeV: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(g_eff, h_eff) of the listed species at temperature T (arrays over T)."""
    # Integrate over u = E/T on a fixed grid; u up to 60 covers e^-u to 1e-26.
    u = np.linspace(0.0, 60.0, 3001)[None, :]
    g_tot = np.zeros_like(temperature_GeV)
    h_tot = np.zeros_like(temperature_GeV)
    for g, m, eta in species:
        z_all = m / temperature_GeV
        # Each temperature is its own row. Rows with m/T >= 60 are exactly zero (no u > z on
        # the grid) and a massless species has the same row at every T: neither is computed.
        rows = np.flatnonzero(z_all < u[0, -1]) if m > 0.0 else np.array([0])
        into = rows if m > 0.0 else slice(None)
        z = z_all[rows][:, None]
        p2 = np.clip(u * u - z * z, 0.0, None)
        with np.errstate(over="ignore", divide="ignore"):
            occ = 1.0 / (np.exp(u) + eta)  # the u = 0 boson pole is masked just below
        occ = np.where(u > z, occ, 0.0)
        rho = np.zeros_like(temperature_GeV)
        pressure = np.zeros_like(temperature_GeV)
        rho[into] = np.trapezoid(u * u * np.sqrt(p2) * occ, u, axis=1)
        pressure[into] = np.trapezoid(p2**1.5 * occ, u, axis=1) / 3.0
        g_tot += g * 15.0 / np.pi**4 * rho
        h_tot += g * 45.0 / (4.0 * np.pi**4) * (rho + pressure)
    return g_tot, h_tot


@lru_cache(maxsize=1)
def _table() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ln T, ln g_eff, ln h_eff, g_*^{1/2}) on the fixed temperature grid, computed once."""
    t = 10.0**_GRID_LOG10_T
    g_lb, h_lb = _ideal_gas(_LEPTONS_AND_BOSONS, t)
    g_qgp, h_qgp = _ideal_gas(_PARTONS, t)
    g_had, h_had = _ideal_gas(_HADRONS, t)
    w = 0.5 * (1.0 + np.tanh((t - T_QCD_GeV) / T_QCD_WIDTH_GeV))
    g_qcd = w * g_qgp + (1.0 - w) * g_had
    h_qcd = w * h_qgp + (1.0 - w) * h_had

    # Neutrinos: photon temperature before decoupling, separately conserved entropy after.
    g_e, h_e = _ideal_gas(_LEPTONS_AND_BOSONS[1:2], t)
    h_gamma_e = 2.0 + h_e
    h_gamma_e_dec = float(np.interp(np.log10(T_NU_DECOUPLING_GeV), _GRID_LOG10_T, h_gamma_e))
    ratio = np.where(t > T_NU_DECOUPLING_GeV, 1.0, (h_gamma_e / h_gamma_e_dec) ** (1.0 / 3.0))
    g_nu = 7.0 / 8.0 * _NEUTRINO_DOF * ratio**4
    h_nu = 7.0 / 8.0 * _NEUTRINO_DOF * ratio**3
    g, h = g_lb + g_qcd + g_nu, h_lb + h_qcd + h_nu
    log_t, log_g, log_h = np.log(t), np.log(g), np.log(h)
    g_star = h / np.sqrt(g) * (1.0 + np.gradient(log_h, log_t) / 3.0)
    return log_t, log_g, log_h, g_star


def g_eff(temperature_GeV) -> np.ndarray:
    """Energy-density degrees of freedom: rho = (pi^2/30) g_eff T^4."""
    log_t, log_g, _, _ = _table()
    return np.exp(np.interp(np.log(temperature_GeV), log_t, log_g))


def h_eff(temperature_GeV) -> np.ndarray:
    """Entropy degrees of freedom: s = (2 pi^2/45) h_eff T^3."""
    log_t, _, log_h, _ = _table()
    return np.exp(np.interp(np.log(temperature_GeV), log_t, log_h))


def g_star_half(temperature_GeV) -> np.ndarray:
    """g_*^{1/2} = h_eff / sqrt(g_eff) (1 + (1/3) dln h_eff / dln T) of Gondolo and Gelmini (1991)."""
    log_t, _, _, g_star = _table()
    return np.interp(np.log(temperature_GeV), log_t, g_star)
