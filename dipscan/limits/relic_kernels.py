"""Compiled twin of the thermal average's cross section: `relic.sigma12_GeVm2` point by point.

The Gondolo-Gelmini integral of one mass evaluates sigma_12(s) on 400 x 561 nodes; numpy spends
most of that in the R-ratio's temporaries (complex Gounaris-Sakurai form factor, logistic steps,
lepton factors). Here each node is one pass with the operations of the numpy functions
(`dark_pair`, `r_ratio`) in their order, except where said:
- the C library's log, tanh and pow instead of numpy's own vectorised ones, and |F|^2 as
  (numerator^2) / (Re^2 + Im^2) instead of numpy's complex division and hypot: the two paths
  agree to a few units in the last place (tests/test_relic_kernels.py);
- work that is exactly zero is skipped: below the two-pion threshold R vanishes, and a logistic
  step whose tanh argument exceeds 22 in size is exactly 0 or 1 (the C library returns +-1 there).
The Bessel function, the Boltzmann factor and the trapezoidal sum stay in numpy (`relic`).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dipscan.limits import r_ratio
from dipscan.limits.r_ratio import (
    _ALPHA_S_MTAU,
    _B0_NF4,
    CONTINUUM_THRESHOLDS,
    PION_CHARGED_MASS_GeV,
    RHO_MASS_GeV,
    RHO_WIDTH_GeV,
    _M_TAU_GeV,
)
from dipscan.physics.constants import ALPHA_EM

_MPI = PION_CHARGED_MASS_GeV
_TANH_SATURATED = 22.0  # tanh(|a| >= 22) is +-1 to the last bit
# Handed to the kernel as an argument, not frozen into its machine code: numba's cache notices
# edits to this file only, so an edit of r_ratio's thresholds must not meet a stale copy.
_THRESHOLDS = np.array(CONTINUUM_THRESHOLDS, dtype=float)


# The rho's constants of `r_ratio.pion_form_factor_gs`, computed by the reference itself.
_M, _G = RHO_MASS_GeV, RHO_WIDTH_GeV
_km, _hm = r_ratio._gs_k(_M * _M), r_ratio._gs_h(_M * _M)
_dh = _hm * (1.0 / (8.0 * _km**2) - 1.0 / (2.0 * _M * _M)) + 1.0 / (2.0 * np.pi * _M * _M)
_d = (3.0 / np.pi * _MPI**2 / _km**2 * np.log((_M + 2.0 * _km) / (2.0 * _MPI))
      + _M / (2.0 * np.pi * _km) - _MPI**2 * _M / (np.pi * _km**3))
_KM, _HM, _DH = float(_km), float(_hm), float(_dh)
_F_SCALE = float(_G * _M * _M / _km**3)
_NUMERATOR = float(_M * _M * (1.0 + _d * _G / _M))


@njit(cache=True, inline="always")
def _gs_k(s):
    return math.sqrt(max(s / 4.0 - _MPI**2, 0.0))


@njit(cache=True, inline="always")
def _form_factor_sq(s, k):
    """|F_pi(s)|^2 of `r_ratio.pion_form_factor_gs`, k = _gs_k(s)."""
    w = math.sqrt(s)
    h = 2.0 / math.pi * k / w * math.log((w + 2.0 * k) / (2.0 * _MPI))
    width = _G * (k / _KM) ** 3 * _M / w
    f = _F_SCALE * (k * k * (h - _HM) + (_M * _M - s) * _KM**2 * _DH)
    re, im = _M * _M - s + f, -_M * width
    return _NUMERATOR * _NUMERATOR / (re * re + im * im)


@njit(cache=True, inline="always")
def _step(w, centre, width):
    a = (w - centre) / (2.0 * width)
    if a >= _TANH_SATURATED:
        return 1.0
    if a <= -_TANH_SATURATED:
        return 0.0
    return 0.5 * (1.0 + math.tanh(a))


@njit(cache=True, inline="always")
def _r_smooth(w, thresholds):
    """`r_ratio.r_ratio_smooth`: the rho's two pions plus the parton continuum (`thresholds`:
    `r_ratio.CONTINUUM_THRESHOLDS`)."""
    if not w > 2.0 * _MPI:
        return 0.0
    s = w * w
    k = _gs_k(s)
    beta = 2.0 * k / w
    rho = beta**3 / 4.0 * _form_factor_sq(s, k)
    q = max(w, 1.0)
    alpha_s = _ALPHA_S_MTAU / (
        1.0 + _ALPHA_S_MTAU * _B0_NF4 / (4.0 * math.pi) * math.log(q**2 / _M_TAU_GeV**2)
    )
    qcd = 1.0 + alpha_s / math.pi
    uds = thresholds[0, 0] * _step(w, thresholds[0, 1], thresholds[0, 2])
    charm = thresholds[1, 0] * _step(w, thresholds[1, 1], thresholds[1, 2])
    beauty = thresholds[2, 0] * _step(w, thresholds[2, 1], thresholds[2, 2])
    return rho + qcd * (uds + charm + beauty)


@njit(cache=True, inline="always")
def _fermion_factor(s, mf):
    """`dark_pair.fermion_pair_factor`."""
    mf2 = mf**2
    beta2 = max(1.0 - 4.0 * mf2 / s, 0.0)
    return math.sqrt(beta2) * (1.0 + 2.0 * mf2 / s)


@njit(cache=True, inline="always")
def _point(s, m1, m2):
    """`dark_pair.sigma_chi1chi2_to_ffbar_GeVm2` at d = 1, massless, unit charge."""
    sig2 = (m1 + m2) ** 2
    del2 = (m2 - m1) ** 2
    if not s > sig2:
        return 0.0
    a = max(1.0 - del2 / s, 0.0)
    b = max(1.0 - sig2 / s, 0.0)
    k_factor = a**1.5 * (1.0 + 2.0 * sig2 / s) * math.sqrt(b)
    p2 = max((s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2), 0.0) / (4.0 * s)
    if not p2 > 0.0:
        return 0.0
    sigma_rev = 2.0 * ALPHA_EM * 1.0 * 1.0 / 3.0 * k_factor
    return sigma_rev * (s / 4.0) / p2


def sigma12(s, m1, m2, lepton_masses):
    """`relic.sigma12_GeVm2` (d = 1 GeV^-1) at every s (any shape)."""
    return _sigma12(s, m1, m2, lepton_masses, _THRESHOLDS)


@njit(cache=True)
def _sigma12(s, m1, m2, lepton_masses, thresholds):
    flat = s.ravel()
    out = np.empty(flat.size)
    for i in range(flat.size):
        si = flat[i]
        point = _point(si, m1, m2)
        if point == 0.0:
            out[i] = 0.0
            continue
        channels = _r_smooth(math.sqrt(si), thresholds)
        for m_lep in lepton_masses:
            channels = channels + _fermion_factor(si, m_lep)
        out[i] = point * channels
    return out.reshape(s.shape)
