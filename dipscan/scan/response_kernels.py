"""Compiled detector response and reduction: per-sample weights and their beta-gamma bins in one
pass, and the crossing of the bins with the coupling grid.

Each kernel is the fused form of the numpy reference (`DIPSCAN_KERNELS=numpy`) with the same
operations in the same order, except where said below, so the two agree to the last bits: the
C library's log10, tan, cos and sin (numpy has its own vectorised ones), sqrt(p^2 + m^2) for
hypot, and sums per block in row order (numpy's reduceat sums in its own order):
- `weigh_and_bin`: `experiments.sample_weights` (modes "paper" and "volume": acceptance of the
  direction or of the decay point, times the closed-form photon-window efficiency) followed by
  `reduce.compress_block`;
- `bin_samples`: `reduce.compress_block` alone;
- `decay_exponents` and `decayed_sums`: the (bins x couplings) f_dec evaluation of
  `reduce._decayed_llps` without its temporaries, around numpy's own exp and expm1 (vectorised,
  several times faster than the C library's, and the reference's very functions), each block
  summed in row order; where exp(-a) is exactly 0 (a >= EXP_IS_ZERO) numpy's exp is handed 0
  instead, which leaves every sum the same to the bit.
Four compiled functions only: each costs its cache load at the start of every process.
The kernels release the GIL, so units running on threads (`scan.pipeline.in_order`) overlap.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# The decays' kernels module sets numba's threading layer and loads its array maths cheaply.
from dipscan.physics.decays import kernels as _decay_kernels  # noqa: F401

# Acceptance test of a sample, `region` = (kind, z_m, a, b, theta_in, theta_out): kind 0 = polar
# angle below a (mode "paper" with theta_max_rad); 1 = radius at depth z below a (cone,
# cylinder); 2 = |x| < a and |y| < b at depth z (box, frustum). Polar angles below theta_in are
# inside and above theta_out outside the cross-section for certain (margins far above
# rounding): only the samples in between need the trigonometric functions.
THETA_CUT, RADIAL, RECTANGLE = 0, 1, 2
# e^-a for a above this is below half the smallest subnormal: exactly 0 in numpy's exp as in the
# C library's. numpy's vectorised exp takes a slow path for such arguments (and for subnormal
# results), several times slower than for ordinary ones, so `decay_exponents` hands it none.
EXP_IS_ZERO = 746.0
INT64_MIN = np.iinfo(np.int64).min  # numpy's key of a bin for log10(0) = -inf


@njit(cache=True, inline="always")
def _inside(theta, phi, region):
    """`Geometry.contains` of the point at depth z on the line (theta, phi), as `point_on_line`
    places it, or the angular cut. x^2 + y^2 < a^2 for hypot(x, y) < a: hypot is slow, and the
    two differ at the last bit only."""
    kind, z, a, b, theta_in, theta_out = region
    if kind == THETA_CUT:
        return theta < a
    if theta < theta_in:
        return True
    if theta > theta_out:
        return False
    r = z * math.tan(theta)
    if kind == RADIAL:
        return r * r < a * a
    x, y = r * math.cos(phi), r * math.sin(phi)
    return abs(x) < a and abs(y) < b


@njit(cache=True, inline="always")
def _above(p, mass, e_star, threshold):
    """`kinematics.threshold_efficiency` of one sample (sqrt for hypot: ten times faster, and
    equal but at the last bit)."""
    e_max = e_star * (math.sqrt(p * p + mass * mass) + p) / mass
    width = 2.0 * p * e_star / mass
    if width > 0.0:
        return min(max((e_max - threshold) / width, 0.0), 1.0)
    return 1.0 if e_star > threshold else 0.0


@njit(cache=True, inline="always")
def _key(betagamma, bin_dex):
    """floor(log10(beta gamma) / bin_dex) as numpy's astype(int64) gives it (-inf: INT64_MIN)."""
    v = math.floor(math.log10(betagamma) / bin_dex)
    return np.int64(v) if math.isfinite(v) else INT64_MIN


@njit(cache=True, inline="always")
def _bins(key, w, bg, w2, n):
    """Summed weight, weighted-mean boost and summed squared weight per occupied key, in
    increasing key order, each summed in row order (as np.bincount in `compress_block`)."""
    if n == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    k_min, k_max = key[0], key[0]
    for i in range(n):
        k_min, k_max = min(k_min, key[i]), max(k_max, key[i])
    if k_min > INT64_MIN and k_max - k_min <= 4 * n + 4096:
        index = np.empty(n, np.int64)
        for i in range(n):
            index[i] = key[i] - k_min
        slots = k_max - k_min + 1
    else:  # a span far wider than the samples: number the distinct keys by sorting
        order = np.argsort(key[:n], kind="mergesort")
        index = np.empty(n, np.int64)
        slots, last = 0, key[order[0]]
        for i in order:
            if key[i] != last:
                slots, last = slots + 1, key[i]
            index[i] = slots
        slots += 1
    count = np.zeros(slots, np.int64)
    s_w, s_wbg, s_w2 = np.zeros(slots), np.zeros(slots), np.zeros(slots)
    for i in range(n):
        j = index[i]
        count[j] += 1
        s_w[j] += w[i]
        s_wbg[j] += w[i] * bg[i]
        s_w2[j] += w2[i]
    occupied = 0
    for j in range(slots):
        if count[j] > 0:
            s_w[occupied], s_w2[occupied] = s_w[j], s_w2[j]
            s_wbg[occupied] = s_wbg[j] / s_w[j]
            occupied += 1
    return s_w[:occupied].copy(), s_wbg[:occupied].copy(), s_w2[:occupied].copy()


@njit(cache=True, nogil=True, error_model="numpy")
def weigh_and_bin(sample_weight, scale, p, theta, phi, regions, mass, e_star, e_low, e_high,
                  bin_dex):
    """Per row of `regions` (a decay slice: kind, z_m, a, b, theta_in, theta_out), the bins
    (weight, mean beta gamma, squared weight) of scale * sample_weight * acceptance *
    photon-window efficiency over the samples whose weight is > 0. The window efficiency and
    the bin of a sample are computed once, for the first slice that accepts it; beta gamma is
    p / mass, as `LLPSamples.betagamma` computes it, for the kept samples only."""
    n = p.size
    m = n if regions.shape[0] > 1 else 0  # one slice: nothing to remember
    efficiency, key = np.empty(m), np.empty(m, np.int64)
    done = np.zeros(m, np.uint8)  # 1: efficiency known, 2: bin known too
    kept_key = np.empty(n, np.int64)
    w, bg, w2 = np.empty(n), np.empty(n), np.empty(n)
    out = []
    for r in range(regions.shape[0]):
        region = (int(regions[r, 0]), regions[r, 1], regions[r, 2], regions[r, 3], regions[r, 4],
                  regions[r, 5])
        kept = 0
        for i in range(n):
            if not _inside(theta[i], phi[i], region):
                continue
            if m == 0 or done[i] == 0:
                eff = _above(p[i], mass, e_star, e_low)
                if math.isfinite(e_high):
                    eff = min(max(eff - _above(p[i], mass, e_star, e_high), 0.0), 1.0)
                if m:
                    efficiency[i], done[i] = eff, 1
            else:
                eff = efficiency[i]
            weight = scale * sample_weight[i] * eff
            if weight > 0.0:
                betagamma = p[i] / mass
                if m == 0:
                    kept_key[kept] = _key(betagamma, bin_dex)
                else:
                    if done[i] == 1:
                        key[i], done[i] = _key(betagamma, bin_dex), 2
                    kept_key[kept] = key[i]
                w[kept], bg[kept] = weight, betagamma
                w2[kept] = weight * weight
                kept += 1
        out.append(_bins(kept_key, w, bg, w2, kept))
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def bin_samples(weight, betagamma, weight_sq, bin_dex):
    """`compress_block` of rows (weight, beta gamma, squared weight); rows of weight <= 0 dropped."""
    n = weight.size
    key = np.empty(n, np.int64)
    w, bg, w2 = np.empty(n), np.empty(n), np.empty(n)
    kept = 0
    for i in range(n):
        if weight[i] > 0.0:
            key[kept] = _key(betagamma[i], bin_dex)
            w[kept], bg[kept], w2[kept] = weight[i], betagamma[i], weight_sq[i]
            kept += 1
    return _bins(key, w, bg, w2, kept)


@njit(cache=True, nogil=True, error_model="numpy")
def decay_exponents(betagamma, starts, l_start_m, l_end_m, ctau_m, minus_a, minus_b):
    """-a = -L_i/lambda and -b = -(L_f - L_i)/lambda for every row i of block k (rows
    starts[k]:starts[k+1]) and coupling j, lambda = bg_i c tau_j, as `decay_probability` forms
    them (a = 0 for L_i = 0, b = 0 for an empty interval)."""
    for k in range(starts.size - 1):
        li, lf = l_start_m[k], l_end_m[k]
        for i in range(starts[k], starts[k + 1]):
            for j in range(ctau_m.size):
                lam = betagamma[i] * ctau_m[j]
                a = li / lam if li > 0.0 else 0.0
                if a >= EXP_IS_ZERO:
                    # exp(-a) is exactly 0, so f_dec is too; (0, 0) gives exp 1 and expm1 0,
                    # so f_dec = -0.0 and every sum is unchanged, without exp's slow underflow.
                    minus_a[i, j], minus_b[i, j] = 0.0, 0.0
                    continue
                b = (lf - li) / lam if lf > li else 0.0
                minus_a[i, j], minus_b[i, j] = -a, -b


@njit(cache=True, nogil=True, error_model="numpy")
def decayed_sums(exp_a, expm1_b, weight, weight_sq, starts, rows, totals, totals_var, variance):
    """Add sum_i w_i f_dec, f_dec = exp(-a) (-expm1(-b)), of each block (rows starts[k]:starts[k+1])
    to totals[rows[k], j] (and sum_i w2_i f_dec^2 to totals_var), summing in row order."""
    n_coupling = exp_a.shape[1]
    acc, acc_var = np.empty(n_coupling), np.empty(n_coupling)
    for k in range(rows.size):
        acc[:] = 0.0
        acc_var[:] = 0.0
        for i in range(starts[k], starts[k + 1]):
            for j in range(n_coupling):
                f = exp_a[i, j] * -expm1_b[i, j]
                acc[j] += weight[i] * f
                if variance:
                    acc_var[j] += weight_sq[i] * (f * f)
        for j in range(n_coupling):
            totals[rows[k], j] += acc[j]
            if variance:
                totals_var[rows[k], j] += acc_var[j]
