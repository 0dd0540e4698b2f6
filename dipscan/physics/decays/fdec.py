"""Decay probability inside a fiducial interval (eq. 4.3) and the lab decay length.

f_dec = exp(-L_i/lambda) - exp(-L_f/lambda) subtracts two numbers close to 1 when lambda is huge
(1e10 m and more at small couplings) and loses every digit. The product form
exp(-L_i/lambda) * (-expm1(-(L_f - L_i)/lambda)) is algebraically identical and keeps full
precision at both ends (docs/physics.md, "Detector response").
"""

from __future__ import annotations

import numpy as np

from dipscan.physics.constants import HBARC_GeV_m


def decay_probability(l_start_m, l_end_m, decay_length_m) -> np.ndarray:
    """Probability to decay between l_start_m and l_end_m for an exponential of mean decay_length_m.

    Broadcasts its arguments. decay_length_m = 0 gives 0 (1 if l_start_m = 0), an infinite decay
    length gives 0; no overflow or division warnings in either limit.
    """
    li = np.asarray(l_start_m, float)
    lf = np.asarray(l_end_m, float)
    lam = np.asarray(decay_length_m, float)
    if np.any(lam < 0.0):
        raise ValueError("decay length must be >= 0")
    if np.any(lf < li) or np.any(li < 0.0):
        raise ValueError("need 0 <= l_start_m <= l_end_m")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        # 0/0 (zero distance, zero decay length) counts as 0: a particle born at the start of
        # the interval is inside it.
        a = np.where(li > 0.0, li / lam, 0.0)
        b = np.where(lf > li, (lf - li) / lam, 0.0)
        return np.exp(-a) * -np.expm1(-b)


def decay_length_m(betagamma, width_GeV) -> np.ndarray:
    """Mean lab decay length beta*gamma*c*tau = beta*gamma * hbar c / Gamma (infinite for Gamma = 0)."""
    bg = np.asarray(betagamma, float)
    w = np.asarray(width_GeV, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(w > 0.0, bg * HBARC_GeV_m / w, np.inf)
