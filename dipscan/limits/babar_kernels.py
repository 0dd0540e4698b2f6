"""Compiled twins of the BaBar recast's event loop (`babar._accepted_events`) and of the yield
over the coupling grid (`BabarSample.event_yield`).

`accepted_events` takes the random numbers the numpy path draws, in its order (the wrappers in
`babar` draw them), and builds each event in one pass: ISR photon, gamma* -> chi1 chi2, the boost
of chi2, chi2 -> chi1 gamma, the selection, the weight and the decay length. The operations are
the numpy functions' (`kinematics`, `dark_pair`) in their order; only the C library's cos and sin
differ from numpy's own vectorised ones in the last bit.

`event_yield` sums d^2 w_i (1 - exp(-R d^2 / lambda_i)) over the samples in their stored order,
one coupling at a time, without the (couplings x samples) buffer. The numpy reference sums with
a BLAS matrix-vector product, whose order of additions depends on the BLAS build and its thread
count (its last bits differ between machines with other core counts); this sum does not.
1 - exp(-a) is -expm1(-a) of the C library, taken as exactly 1 where a >= 56 ln 2 (there the C
library returns -1 for expm1(-a)) and exactly a where a < 2^-54 (there it returns -a).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dipscan.physics.constants import ALPHA_EM, HBARC_GeV_m

_SATURATED = 56.0 * math.log(2.0)  # e^-a below half an ulp of 1: 1 - e^-a is 1.0
_LINEAR = 2.0**-54  # a below: 1 - e^-a is a to the last bit


@njit(cache=True, nogil=True, error_model="numpy")
def accepted_events(x, cos_isr, w, phi, cos_chi, phi_chi, cos_gamma, phi_gamma,
                    m1, m2, e_star, width_unit, cuts):
    """(events, decay length at d = 1 GeV^-1) per ISR photon (x, cos_isr, weight w) from the
    uniforms of its azimuth and of the chi1 and photon directions. cuts = (sqrt_s, leading E
    min, leading cos lo and hi, subleading E min, subleading cos lo and hi, missing E min, fb per
    GeV^-2, luminosity in fb^-1)."""
    sqrt_s, lead_min, lead_lo, lead_hi, sub_min, sub_lo, sub_hi, miss_min, fb, lumi = cuts
    n = x.size
    events = np.empty(n)
    lengths = np.empty(n)
    sig2 = (m1 + m2) ** 2
    del2 = (m2 - m1) ** 2
    for i in range(n):
        # The ISR photon and the recoiling gamma*(q^2).
        e_isr = 0.5 * x[i] * sqrt_s
        c_isr = cos_isr[i]
        sin_isr = math.sqrt(1.0 - c_isr**2)
        kx = e_isr * (sin_isr * math.cos(phi[i]))
        ky = e_isr * (sin_isr * math.sin(phi[i]))
        kz = e_isr * c_isr
        q2 = sqrt_s**2 * (1.0 - x[i])
        q = math.sqrt(q2)
        # chi1 direction in the gamma* frame, its Born angular weight, chi2 in the rest frame.
        c1 = cos_chi[i]
        s1 = math.sqrt(max(1.0 - c1 * c1, 0.0))
        n1x, n1y, n1z = s1 * math.cos(phi_chi[i]), s1 * math.sin(phi_chi[i]), c1
        r = (m1 + m2) ** 2 / q2
        angular_weight = 2.0 * (((1.0 + r) - (1.0 - r) * c1 * c1) / (4.0 / 3.0 * (1.0 + 2.0 * r)))
        lam = (q - (m1 + m2)) * (q + (m1 + m2)) * (q - (m1 - m2)) * (q + (m1 - m2))
        p_star = math.sqrt(max(lam, 0.0)) / (2.0 * q)
        e_rest = math.hypot(p_star, m2)
        px, py, pz = -p_star * n1x, -p_star * n1y, -p_star * n1z
        # chi2 boosted with the gamma* (eta = gamma beta = p/q, gamma = E/q).
        ex, ey, ez = -kx / q, -ky / q, -kz / q
        gam = (sqrt_s - e_isr) / q
        eta_p = ex * px + ey * py + ez * pz
        c2e = gam * e_rest + eta_p
        f = e_rest + eta_p / (gam + 1.0)
        c2x, c2y, c2z = px + ex * f, py + ey * f, pz + ez * f
        # chi2 -> chi1 gamma, isotropic in the chi2 rest frame, boosted with chi2.
        cg = cos_gamma[i]
        sg = math.sqrt(max(1.0 - cg * cg, 0.0))
        gx = e_star * (sg * math.cos(phi_gamma[i]))
        gy = e_star * (sg * math.sin(phi_gamma[i]))
        gz = e_star * cg
        hx, hy, hz = c2x / m2, c2y / m2, c2z / m2
        gam2 = c2e / m2
        eta_p = hx * gx + hy * gy + hz * gz
        e_dec = gam2 * e_star + eta_p
        cos_dec = (gz + hz * (e_star + eta_p / (gam2 + 1.0))) / max(e_dec, 1e-300)
        # The selection.
        if e_isr >= e_dec:
            e_lead, e_sub, cos_lead, cos_sub = e_isr, e_dec, c_isr, cos_dec
        else:
            e_lead, e_sub, cos_lead, cos_sub = e_dec, e_isr, cos_dec, c_isr
        accepted = (e_lead >= lead_min and lead_lo < cos_lead < lead_hi and e_sub >= sub_min
                    and sub_lo < cos_sub < sub_hi and sqrt_s - e_isr - e_dec >= miss_min)
        # sigma(e+e- -> chi1 chi2)(q^2) at d = 1 (`dark_pair.sigma_ee_to_chi1chi2_GeVm2`); a
        # rejected event weighs 0 (the reference multiplies its finite weight by 0).
        events[i] = 0.0
        if accepted and q2 > sig2:
            a = max(1.0 - del2 / q2, 0.0)
            b = max(1.0 - sig2 / q2, 0.0)
            k_factor = a**1.5 * (1.0 + 2.0 * sig2 / q2) * math.sqrt(b)
            sigma_unit = 2.0 * ALPHA_EM * 1.0 * 1.0 / 3.0 * k_factor
            events[i] = w[i] * sigma_unit * angular_weight * 1.0 * fb * lumi
        p_chi2 = math.sqrt(c2x * c2x + c2y * c2y + c2z * c2z)
        lengths[i] = (p_chi2 / m2) * HBARC_GeV_m / width_unit
    return events, lengths


@njit(cache=True, nogil=True, error_model="numpy")  # x / 0 is inf, as in numpy
def event_yield(d2, decay_length_m, events, radius_m):
    """d^2 sum_i events_i (1 - exp(-radius d^2 / decay_length_i)) for each d^2 of `d2`."""
    out = np.empty(d2.size)
    total = 0.0  # the sum when every sample decays inside (1 - e^-a = 1 for all)
    longest = 0.0
    for i in range(events.size):
        total += events[i]
        longest = max(longest, decay_length_m[i])
    for k in range(d2.size):
        reach = radius_m * d2[k]
        if events.size > 0 and reach / longest >= _SATURATED:
            out[k] = d2[k] * total
            continue
        acc = 0.0
        for i in range(events.size):
            a = reach / decay_length_m[i]
            if a >= _SATURATED:
                p = 1.0
            elif a < _LINEAR:
                p = a
            else:
                p = -math.expm1(-a)
            acc += p * events[i]
        out[k] = d2[k] * acc
    return out
