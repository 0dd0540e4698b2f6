"""Compiled stiff solver of the freeze-out equation for W = ln Y in u = ln x.

    dW/du = -R(u) (e^W - e^{2 L(u) - W}),   R = x <sigma v> rate factor,  L = ln Y_eq,

with R and L given on a uniform grid in u (coupling independent; the coupling enters as a constant
ln-scale of R) and interpolated linearly. The integrator is the 3-stage Radau IIA collocation
method (order 5, L-stable; Hairer and Wanner, Solving ODEs II, sec. IV.5) with full Newton on the
analytic Jacobian dF/dW = -R (e^W + e^{2L - W}) (the 3x3 Newton system by Cramer's rule)
and the local error estimated by step doubling:
one step of h against two of h/2, (W_2 - W_1) / (2^5 - 1). The error is controlled in W itself,
i.e. relative in Y. Being scalar, a step costs a few dozen right-hand sides and a 3x3 solve.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_S6 = math.sqrt(6.0)
_C = np.array([(4.0 - _S6) / 10.0, (4.0 + _S6) / 10.0, 1.0])
_A = np.array([
    [(88.0 - 7.0 * _S6) / 360.0, (296.0 - 169.0 * _S6) / 1800.0, (-2.0 + 3.0 * _S6) / 225.0],
    [(296.0 + 169.0 * _S6) / 1800.0, (88.0 + 7.0 * _S6) / 360.0, (-2.0 - 3.0 * _S6) / 225.0],
    [(16.0 - _S6) / 36.0, (16.0 + _S6) / 36.0, 1.0 / 9.0],
])
_MAX_NEWTON = 25
_MAX_STEPS = 200_000


@njit(cache=True)
def _tables_at(u, u0, du, log_rate, log_eq_plus_x):
    """ln R and L = ln Y_eq at u: the tables interpolated linearly, e^-x exact."""
    t = (u - u0) / du
    i = min(max(int(t), 0), log_rate.size - 2)
    f = t - i
    return (log_rate[i] + f * (log_rate[i + 1] - log_rate[i]),
            log_eq_plus_x[i] + f * (log_eq_plus_x[i + 1] - log_eq_plus_x[i]) - math.exp(u))


@njit(cache=True)
def _det3(a, b, c, d, e, f, g, h, i):
    return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)


@njit(cache=True)
def _radau_step(u, w, h, log_scale, u0, du, log_rate, log_eq_plus_x, a, c):
    """W after one Radau IIA step of size h; NaN if Newton fails (the step is then halved)."""
    z = np.zeros(3)
    f = np.empty(3)
    jac = np.empty(3)
    for _ in range(_MAX_NEWTON):
        for k in range(3):
            lr, le = _tables_at(u + c[k] * h, u0, du, log_rate, log_eq_plus_x)
            r = math.exp(lr + log_scale)
            ew = math.exp(w + z[k])
            eq = math.exp(2.0 * le - w - z[k])
            f[k] = -r * (ew - eq)
            jac[k] = -r * (ew + eq)
        # Newton on z - h A F(z) = 0: (1 - h A diag(J)) dz = -(z - h A F), by Cramer's rule.
        m = np.empty((3, 3))
        g = np.empty(3)
        for k in range(3):
            g[k] = -(z[k] - h * (a[k, 0] * f[0] + a[k, 1] * f[1] + a[k, 2] * f[2]))
            for n in range(3):
                m[k, n] = (1.0 if k == n else 0.0) - h * a[k, n] * jac[n]
        det = _det3(m[0, 0], m[0, 1], m[0, 2], m[1, 0], m[1, 1], m[1, 2], m[2, 0], m[2, 1], m[2, 2])
        if not (math.isfinite(det) and det != 0.0 and np.all(np.isfinite(g))):
            return np.nan
        dz0 = _det3(g[0], m[0, 1], m[0, 2], g[1], m[1, 1], m[1, 2], g[2], m[2, 1], m[2, 2]) / det
        dz1 = _det3(m[0, 0], g[0], m[0, 2], m[1, 0], g[1], m[1, 2], m[2, 0], g[2], m[2, 2]) / det
        dz2 = _det3(m[0, 0], m[0, 1], g[0], m[1, 0], m[1, 1], g[1], m[2, 0], m[2, 1], g[2]) / det
        z[0] += dz0
        z[1] += dz1
        z[2] += dz2
        if max(abs(dz0), abs(dz1), abs(dz2)) < 1e-13 * (1.0 + abs(w)):
            return w + z[2]
    return np.nan


@njit(cache=True)
def final_log_yield(log_scale, u0, du, log_rate, log_eq_plus_x, tol):
    """W = ln Y at the end of the grid, from Y = Y_eq at its start; error per step <= tol in W."""
    a, c = _A, _C
    u_end = u0 + du * (log_rate.size - 1)
    u, w = u0, log_eq_plus_x[0] - math.exp(u0)
    h = 1e-3
    for _ in range(_MAX_STEPS):
        if u >= u_end:
            return w
        h = min(h, u_end - u)
        w1 = _radau_step(u, w, h, log_scale, u0, du, log_rate, log_eq_plus_x, a, c)
        half = _radau_step(u, w, 0.5 * h, log_scale, u0, du, log_rate, log_eq_plus_x, a, c)
        w2 = _radau_step(u + 0.5 * h, half, 0.5 * h, log_scale, u0, du, log_rate, log_eq_plus_x, a, c)
        err = abs(w2 - w1) / 31.0
        if not math.isfinite(err):
            h *= 0.25
            continue
        if err <= tol:
            u, w = u + h, w2
        h *= min(4.0, max(0.2, 0.9 * (tol / max(err, 1e-300)) ** (1.0 / 6.0)))
    return np.nan
