"""Thermal-relic line of the dark-dark dipole: the coupling d for which chi1 makes all dark matter.

chi1 and chi2 annihilate only with each other, through the dipole and an s-channel photon, into
charged leptons and hadrons (`dark_pair.sigma_chi1chi2_to_ffbar_GeVm2`; hadrons through the
R-ratio of `r_ratio`). chi1 chi1 and chi2 chi2 annihilation needs two dipole insertions (~ d^4)
and is neglected. Conversions chi2 f <-> chi1 f and chi2 -> chi1 gamma keep the two states in
relative equilibrium through freeze-out for the couplings of interest (their rate exceeds the
Hubble rate by many orders of magnitude), which is the Griest-Seckel assumption: only the sum
n = n1 + n2 obeys a Boltzmann equation, with
    <sigma_eff v> = 2 n1_eq n2_eq <sigma_12 v> / (n1_eq + n2_eq)^2
(the 2 counts chi1 chi2 and chi2 chi1; each annihilation removes one chi1 and one chi2). In the
non-relativistic limit this is sigma_12 v * 2 g1 g2 w / (g1 + g2 w)^2, w = (1 + delta)^{3/2}
e^{-x delta}: sigma_12 v / 2 for delta -> 0 and Boltzmann-suppressed for x delta >> 1.

<sigma_12 v> n1_eq n2_eq is the exact relativistic single integral over s of Edsjo and Gondolo
(1997) (the Gondolo-Gelmini formula for unequal masses):
    n1 n2 <sigma v> = g1 g2 T / (8 pi^4) int ds p_12^2(s) sigma_12(s) sqrt(s) K_1(sqrt(s)/T),
evaluated on sqrt(s) = M1 + M2 + T t^2, where the integrand is smooth, by the trapezoidal rule;
narrow vector resonances enter as delta functions in s. chi1 chi2 -> gamma* -> f fbar is s-wave
(sigma v is finite at threshold: 4 alpha d^2 per massless lepton species), so <sigma v> is
nearly constant and the integral mostly tracks the R-ratio and channel thresholds.

Internal degrees of freedom g1 = g2 = 2 (Majorana). Relic density target Omega h^2 = 0.12
(Planck 2018). Results are pure functions; callers cache them.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from dipscan.limits.boltzmann import FreezeOut, OMEGA_H2_PER_GeV_YIELD, freeze_out_table
from dipscan.limits.dark_pair import (
    fermion_pair_factor,
    pair_momentum_squared_GeV2,
    sigma_chi1chi2_to_ffbar_GeVm2,
)
from dipscan.limits.r_ratio import narrow_resonance_weights, r_ratio_smooth
from dipscan.physics.decays.backend import kernel_choice
from dipscan.physics.mesons import LEPTON_MASS_GeV

# Thermal dark matter below ~10 MeV is disfavoured by BBN and CMB (N_eff): Sabti, Alvey, Escudero,
# Fairbairn and Blas, JCAP 01 (2020) 004, arXiv:1910.01649 (paper ref. [76]).
THERMAL_DM_MIN_MASS_GeV = 0.01
OMEGA_DM_H2 = 0.12  # Planck 2018, Omega_c h^2 = 0.120 +- 0.001
G_CHI1 = 2.0
G_CHI2 = 2.0
LEPTON_MASSES_GeV = tuple(LEPTON_MASS_GeV[f] for f in ("e", "mu", "tau"))  # PDG, particle package

_T_NODES = np.linspace(0.0, 7.0, 561)  # e^{-t^2} < 1e-21 beyond the last node


def sigma12_GeVm2(s_GeV2, m1_GeV: float, m2_GeV: float, coupling_GeVinv: float = 1.0) -> np.ndarray:
    """sigma(chi1 chi2 -> SM) = leptons + R(sqrt s) x massless muons (narrow resonances excluded)."""
    s = np.asarray(s_GeV2, float)
    # Every channel is the massless point-like one times N_c Q^2 beta (1 + 2 m^2/s) (leptons) or R.
    point = sigma_chi1chi2_to_ffbar_GeVm2(s, m1_GeV, m2_GeV, coupling_GeVinv, 0.0, 1.0)
    channels = r_ratio_smooth(np.sqrt(s))
    for m_lep in LEPTON_MASSES_GeV:
        channels = channels + fermion_pair_factor(s, m_lep)
    return point * channels


def _physical_sigma12():
    """sigma12_GeVm2, or its compiled twin (`relic_kernels`) unless DIPSCAN_KERNELS=numpy."""
    if kernel_choice() == "numpy":
        return sigma12_GeVm2
    from dipscan.limits.relic_kernels import sigma12  # numba: imported on use

    return lambda s, m1, m2: sigma12(s, m1, m2, LEPTON_MASSES_GeV)


def griest_seckel_factor(delta, x, g1: float = G_CHI1, g2: float = G_CHI2) -> np.ndarray:
    """Non-relativistic sigma_eff / sigma_12 = 2 g1 g2 w / (g1 + g2 w)^2, w = (1+delta)^1.5 e^{-x delta}."""
    w = (1.0 + np.asarray(delta, float)) ** 1.5 * np.exp(
        -np.asarray(delta, float) * np.asarray(x, float)
    )
    return 2.0 * g1 * g2 * w / (g1 + g2 * w) ** 2


def coannihilation_sigma_v_GeVm2(
    x, m1_GeV: float, delta: float, sigma12=None, narrow_resonances: bool = True
) -> np.ndarray:
    """<sigma_eff v>(x = M1/T) in GeV^-2 at d = 1 GeV^-1 (scale by d^2).

    sigma12(s, m1, m2) overrides the physical cross section (tests use toy ones); narrow vector
    resonances are added only for the physical one.
    """
    x = np.atleast_1d(np.asarray(x, float))[:, None]
    m1, m2 = float(m1_GeV), float((1.0 + delta) * m1_GeV)
    temp = m1 / x
    t = _T_NODES[None, :]
    root_s = m1 + m2 + temp * t * t
    s = root_s * root_s
    p2 = pair_momentum_squared_GeV2(s, m1, m2)
    sig = (sigma12 or _physical_sigma12())(s, m1, m2)
    boltz = np.exp(-delta * x - t * t)
    denom = G_CHI1 * m1**2 * special.kve(2, x) + G_CHI2 * m2**2 * special.kve(
        2, x * (1.0 + delta)
    ) * np.exp(-delta * x)
    # <sigma_eff v> = 2 n1 n2 <sigma_12 v> / n^2 = (g1 g2 / T) int ds p^2 sigma sqrt(s) K1 / D^2,
    # with n = T D e^{-x} / (2 pi^2) and every e^{-x} factored out; ds = 4 sqrt(s) T t dt.
    integrand = 4.0 * G_CHI1 * G_CHI2 * s * t * p2 * sig * special.k1e(root_s / temp) * boltz
    numerator = np.trapezoid(integrand, _T_NODES, axis=1)

    if narrow_resonances and sigma12 is None:
        masses, weights = narrow_resonance_weights()
        open_ = masses > m1 + m2
        mv, wv = masses[open_][None, :], weights[open_][None, :]
        sv2 = mv * mv
        point = sigma_chi1chi2_to_ffbar_GeVm2(sv2, m1, m2, 1.0, 0.0, 1.0)
        p2v = pair_momentum_squared_GeV2(sv2, m1, m2)
        # (g1 g2 / T) p^2 sigma sqrt(s) K1 e^{...} at s = M_V^2, times int ds R_V.
        with np.errstate(under="ignore"):
            term = (
                G_CHI1
                * G_CHI2
                / temp
                * p2v
                * point
                * mv
                * wv
                * special.k1e(mv / temp)
                * np.exp(-(mv - 2.0 * m1) / temp)
            )
        numerator = numerator + term.sum(axis=1)
    return numerator / denom[:, 0] ** 2


def relic_omega_h2(m1_GeV: float, delta: float, coupling_GeVinv: float) -> float:
    """Omega h^2 of chi1 (after every chi2 has decayed to it) for one mass and coupling."""
    table = _freeze_out(float(m1_GeV), float(delta))
    return float(np.exp(_log_omega(float(m1_GeV), table, np.log(float(coupling_GeVinv)))))


def relic_coupling(m1_GeV, delta: float, omega_target: float = OMEGA_DM_H2) -> np.ndarray:
    """Dipole coefficient d [GeV^-1] giving Omega h^2 = omega_target, for each mass M1 [GeV].

    Omega h^2 scales almost exactly as 1/d^2 (up to the logarithmic shift of freeze-out), so a
    secant iteration in (ln d, ln Omega) converges in a few Boltzmann solutions of milliseconds
    each; the thermal average <sigma_eff v>(x) dominates the ~0.05 s per mass. Masses below
    THERMAL_DM_MIN_MASS_GeV are computed all the same; the plotting layer is expected to cut the
    line there.
    """
    masses = np.atleast_1d(np.asarray(m1_GeV, float))
    out = np.empty(masses.size)
    for i, m in enumerate(masses):
        out[i] = _solve_coupling(float(m), float(delta), omega_target)
    return out


def _x_end(delta: float) -> float:
    # Coannihilation keeps acting until chi2 is Boltzmann suppressed, x ~ 1/delta.
    return float(min(max(1.0e3, 30.0 / delta), 1.0e5))


def _log_sigma_v_table(m1: float, delta: float) -> tuple[np.ndarray, np.ndarray]:
    x = np.geomspace(1.0, _x_end(delta), 400)
    a = coannihilation_sigma_v_GeVm2(x, m1, delta)
    return np.log(x), np.log(np.maximum(a, 1e-300))


def _freeze_out(m1: float, delta: float) -> FreezeOut:
    """The coupling-independent freeze-out tables of one mass (d = 1 GeV^-1)."""
    log_x, log_a = _log_sigma_v_table(m1, delta)

    def sigma_v(x):
        return np.exp(np.interp(np.log(x), log_x, log_a))

    return freeze_out_table(m1, sigma_v, species=((G_CHI1, 1.0), (G_CHI2, 1.0 + delta)),
                            x_end=float(np.exp(log_x[-1])))


def _log_omega(m1: float, table: FreezeOut, log_d: float) -> float:
    return float(np.log(OMEGA_H2_PER_GeV_YIELD * m1) + table.log_yield(2.0 * log_d))


def _solve_coupling(m1: float, delta: float, target: float) -> float:
    table = _freeze_out(m1, delta)
    log_target = np.log(target)
    # Omega ~ 1/d^2 up to the logarithmic shift of freeze-out, so ln Omega is almost linear in
    # ln d: a secant iteration from slope -2 (the freeze-out estimate) converges in three to five
    # solutions. Each is accurate to ~1e-6 in ln Omega; stopping at a step of 1e-7 in ln d adds
    # nothing to that.
    log_d, slope = np.log(1e-4), -2.0
    excess = _log_omega(m1, table, log_d) - log_target
    for _ in range(30):
        step = float(np.clip(-excess / slope, -5.0, 5.0))
        new_log_d = log_d + step
        new_excess = _log_omega(m1, table, new_log_d) - log_target
        if abs(new_excess) < 1e-9 or abs(step) < 1e-7:
            return float(np.exp(new_log_d))
        if new_excess != excess:
            slope = float(np.clip((new_excess - excess) / step, -4.0, -1.0))
        log_d, excess = new_log_d, new_excess
    raise RuntimeError(f"relic coupling did not converge at M1 = {m1} GeV, delta = {delta}")
