"""Freeze-out of a (co)annihilating dark sector: the Boltzmann equation for Y = n/s.

With Y the total yield of all states that end up as the stable one (here chi1 + chi2, since chi2
decays to chi1) and <sigma_eff v> the effective thermally averaged cross section (Griest and
Seckel, Phys. Rev. D 43 (1991) 3191; Edsjo and Gondolo, Phys. Rev. D 56 (1997) 1879),
    dY/dx = -sqrt(pi/45) M_Pl g_*^{1/2}(T) m / x^2 <sigma_eff v>(x) (Y^2 - Y_eq^2),   x = m/T,
(Gondolo and Gelmini, Nucl. Phys. B 360 (1991) 145), with m the lightest mass,
    Y_eq = 45 / (4 pi^4 h_eff) sum_i g_i (m_i/m)^2 x^2 K_2(x m_i/m),
and the relic density Omega h^2 = (s_0 / (rho_c/h^2)) m Y_inf.

It is solved for W = ln Y with an implicit (Radau) integrator: near equilibrium the equation is
extremely stiff. Bessel functions are exponentially scaled so that nothing underflows at large x.
Beyond x_end the small remaining annihilation is added in closed form assuming <sigma v> constant
(exact for s-wave, an upper bound when <sigma_eff v> still falls).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import integrate, special

from dipscan.limits.dof import g_star_half, h_eff

M_PLANCK_GeV = 1.22089e19  # PDG 2024
ENTROPY_TODAY_cm3 = 2891.2  # s_0 for T_0 = 2.7255 K (PDG 2024, Astrophysical constants)
RHO_CRIT_OVER_H2_GeV_cm3 = 1.05371e-5  # rho_c / h^2 (PDG 2024)
# Omega h^2 per (m/GeV * Y): 2.744e8 (older references quote 2.755e8 from earlier s_0, rho_c).
OMEGA_H2_PER_GeV_YIELD = ENTROPY_TODAY_cm3 / RHO_CRIT_OVER_H2_GeV_cm3
# <sigma v> unit conversion: 1 GeV^-2 * c = 0.3894 mb * 2.998e10 cm/s = 1.1674e-17 cm^3/s.
CM3_PER_S_PER_GeVm2 = 0.3893793721e-27 * 2.99792458e10


def log_equilibrium_yield(x, mass_GeV: float, species: Sequence[tuple[float, float]]) -> np.ndarray:
    """ln Y_eq at x = m/T for species given as (internal dof g_i, mass ratio m_i/m)."""
    x = np.asarray(x, float)
    total = np.zeros_like(x)
    for g, ratio in species:
        z = ratio * x
        # K_2(z) = kve(2, z) e^-z; keep e^{-(ratio - 1) x} explicit, e^-x goes to the log.
        total = total + g * ratio**2 * x**2 * special.kve(2, z) * np.exp(-(ratio - 1.0) * x)
    return np.log(45.0 / (4.0 * np.pi**4)) + np.log(total) - x - np.log(h_eff(mass_GeV / x))


def freeze_out_yield(
    mass_GeV: float,
    sigma_v_GeVm2: Callable[[np.ndarray], np.ndarray],
    species: Sequence[tuple[float, float]] = ((2.0, 1.0),),
    x_start: float = 1.0,
    x_end: float = 1.0e3,
    rtol: float = 1e-7,
) -> float:
    """Asymptotic yield Y_inf for <sigma v>(x) in GeV^-2 (a callable of x, vectorised)."""
    m = float(mass_GeV)

    def rate(x):
        x = np.asarray(x, float)
        return (
            np.sqrt(np.pi / 45.0) * M_PLANCK_GeV * m * g_star_half(m / x) * sigma_v_GeVm2(x) / x**2
        )

    def rhs(x, w):
        ln_eq = log_equilibrium_yield(x, m, species)
        return -rate(x) * (np.exp(w) - np.exp(2.0 * ln_eq - w))

    def jac(x, w):
        ln_eq = log_equilibrium_yield(x, m, species)
        return np.atleast_2d(-rate(x) * (np.exp(w) + np.exp(2.0 * ln_eq - w)))

    w0 = np.atleast_1d(log_equilibrium_yield(x_start, m, species))
    # Newton trial points of the implicit solver can overflow exp(); the step is then rejected.
    with np.errstate(over="ignore"):
        sol = integrate.solve_ivp(
            rhs, (x_start, x_end), w0, method="Radau", jac=jac, rtol=rtol, atol=1e-10
        )
    if not sol.success:
        raise RuntimeError(f"Boltzmann integration failed at m = {m} GeV: {sol.message}")
    y_end = float(np.exp(sol.y[0, -1]))
    tail = float(rate(x_end)) * x_end  # int_{x_end}^inf rate x_end^2/x^2 dx
    return 1.0 / (1.0 / y_end + tail)


def omega_h2(mass_GeV: float, yield_inf: float) -> float:
    """Omega h^2 of a relic of mass m and asymptotic yield Y."""
    return OMEGA_H2_PER_GeV_YIELD * mass_GeV * yield_inf
