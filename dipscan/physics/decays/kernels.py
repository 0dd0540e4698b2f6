"""Compiled decay chains: parent azimuth, rest-frame decay, rotation, boost and lab angles of the
LLP in one pass per parent, with no temporary arrays.

Each kernel is the fused form of the straightforward numpy path of the models
(`parent_p4` -> `decay_two_body` / `momenta_rest_frame` -> `boost_to_frame` -> `polar_of`) and
consumes the very same random numbers: the wrappers below draw them from the numpy Generator in
the order the numpy path does and pass the arrays in. The two paths therefore agree sample by
sample up to the last bits of rounding (tests/test_kernels.py). Rows are independent, so the
kernels run over both cores (`prange`) and stay deterministic.

The Dalitz sampler's accept-reject loop stays in numpy (`DalitzSampler.sample`: it draws every
batch of uniforms and evaluates the matrix element); `dalitz_proposal_kernel` turns a batch of
uniforms into proposals with the reference's operations in the reference's order, so both paths
accept the very same set, bit for bit (tests/test_dalitz_kernel.py).

numba is imported here only: this module is imported when samples are drawn, never on the
start-up path of `dipscan run`. `cache=True` keeps the machine code under __pycache__, so the
compile time is paid once per machine.
"""

from __future__ import annotations

import math
import os

import numpy as np
from numba import config, njit, prange

# The OpenMP layer spin-waits between calls, which burns a shared core; the work-queue layer
# sleeps. A user's own NUMBA_THREADING_LAYER still wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    config.THREADING_LAYER = "workqueue"


@njit(cache=True, inline="always")
def _boost_to_lab_polar(e, x, y, z, ex, ey, ez, gamma):
    """Boost (e, x, y, z) by eta = gamma*beta = (ex, ey, ez); return (p, theta, phi) in the lab."""
    eta_p = ex * x + ey * y + ez * z
    f = e + eta_p / (gamma + 1.0)
    px = x + ex * f
    py = y + ey * f
    pz = z + ez * f
    pt = math.hypot(px, py)
    return math.hypot(pt, pz), math.atan2(pt, pz), math.atan2(py, px)


@njit(cache=True, inline="always")
def _parent_eta(p, theta, u_phi, mass):
    """eta = p_parent / M and gamma = E_parent / M of a parent at (p, theta, phi = 2 pi u)."""
    phi = 2.0 * math.pi * u_phi
    pt = p * math.sin(theta)
    energy = math.hypot(p, mass)
    return (pt * math.cos(phi) / mass, pt * math.sin(phi) / mass, p * math.cos(theta) / mass,
            energy / mass)


@njit(cache=True, parallel=True)
def two_body_kernel(p_parent, theta_parent, u_phi, u_cos, u_azimuth, parent_mass, q, e_llp,
                    p_out, theta_out, phi_out):
    """Isotropic two-body decay, LLP = daughter b (momentum -q n_hat in the rest frame)."""
    for i in prange(p_parent.size):
        ex, ey, ez, gamma = _parent_eta(p_parent[i], theta_parent[i], u_phi[i], parent_mass)
        cos_t = -1.0 + 2.0 * u_cos[i]
        phi = 2.0 * math.pi * u_azimuth[i]
        sin_t = math.sqrt(max(1.0 - cos_t * cos_t, 0.0))
        x = -(q * (sin_t * math.cos(phi)))
        y = -(q * (sin_t * math.sin(phi)))
        z = -(q * cos_t)
        p_out[i], theta_out[i], phi_out[i] = _boost_to_lab_polar(e_llp, x, y, z, ex, ey, ez, gamma)


@njit(cache=True, parallel=True)
def three_body_kernel(p_parent, theta_parent, u_phi, m12sq, m23sq, normals, parent_mass,
                      m1, m2, m3, p_out, theta_out, phi_out):
    """Particle 3 of P -> 1 2 3 with invariants (m12sq, m23sq), as `momenta_rest_frame` builds it
    (1 along z, 3 in the xz plane), rotated by the unit quaternion normals[i] / |normals[i]|
    (as `random_rotations`) and boosted to the lab."""
    big_m = parent_mass
    for i in prange(p_parent.size):
        ex, ey, ez, gamma = _parent_eta(p_parent[i], theta_parent[i], u_phi[i], parent_mass)
        e1 = (big_m * big_m + m1 * m1 - m23sq[i]) / (2.0 * big_m)
        e3 = (big_m * big_m + m3 * m3 - m12sq[i]) / (2.0 * big_m)
        e2 = big_m - e1 - e3
        q1 = math.sqrt(max(e1 * e1 - m1 * m1, 0.0))
        q3 = math.sqrt(max(e3 * e3 - m3 * m3, 0.0))
        q2sq = max(e2 * e2 - m2 * m2, 0.0)
        denom = 2.0 * q1 * q3
        cos13 = (q2sq - q1 * q1 - q3 * q3) / denom if denom > 0.0 else 1.0
        cos13 = min(max(cos13, -1.0), 1.0)
        sin13 = math.sqrt(1.0 - cos13 * cos13)
        x3, z3 = q3 * sin13, q3 * cos13
        w, a, b, c = normals[i, 0], normals[i, 1], normals[i, 2], normals[i, 3]
        norm = math.sqrt(w * w + a * a + b * b + c * c)
        w, a, b, c = w / norm, a / norm, b / norm, c / norm
        # (R p3) for p3 = (x3, 0, z3): the first and last columns of the rotation matrix
        rx = (1 - 2 * (b * b + c * c)) * x3 + (2 * (a * c + w * b)) * z3
        ry = (2 * (a * b + w * c)) * x3 + (2 * (b * c - w * a)) * z3
        rz = (2 * (a * c - w * b)) * x3 + (1 - 2 * (a * a + b * b)) * z3
        p_out[i], theta_out[i], phi_out[i] = _boost_to_lab_polar(e3, rx, ry, rz, ex, ey, ez, gamma)


@njit(cache=True, parallel=True, error_model="numpy")
def dalitz_proposal_kernel(cum, r_cell, r_u, r_v, u_edges, v_edges, n_v, lo23, hi23, big_m,
                           m1, m2, m3, iu_out, iv_out, m12_out, m23_out, jac_out):
    """`DalitzSampler.proposals` in one pass: envelope cell by bisection (as searchsorted with
    side="right"), point in the cell, then m23sq, the m12sq limits of its line (as
    `m12sq_range`), m12sq and the Jacobian, with the same operations in the same order."""
    last = cum.size - 1
    base = m1 * m1 + m2 * m2
    for i in prange(r_cell.size):
        x = r_cell[i] * cum[last]
        lo, hi = 0, cum.size  # first index with cum[index] > x
        while lo < hi:
            mid = (lo + hi) // 2
            if cum[mid] > x:
                hi = mid
            else:
                lo = mid + 1
        cell = min(lo, last)
        iu, iv = cell // n_v, cell % n_v
        u = u_edges[iu] + (u_edges[iu + 1] - u_edges[iu]) * r_u[i]
        v = v_edges[iv] + (v_edges[iv + 1] - v_edges[iv]) * r_v[i]
        s = lo23 + (hi23 - lo23) * u
        m23 = math.sqrt(s)
        lam23 = (s - (m2 + m3) ** 2) * (s - (m2 - m3) ** 2)
        lam1 = (big_m ** 2 - (m23 + m1) ** 2) * (big_m ** 2 - (m23 - m1) ** 2)
        q2 = math.sqrt(max(lam23, 0.0)) / (2.0 * m23)
        q1 = math.sqrt(max(lam1, 0.0)) / (2.0 * m23)
        e2 = math.sqrt(q2 * q2 + m2 * m2)
        e1 = math.sqrt(q1 * q1 + m1 * m1)
        plus = e1 * e2 + q1 * q2
        minus = (m1 ** 2 * q2 ** 2 + m2 ** 2 * q1 ** 2 + m1 ** 2 * m2 ** 2) / plus if plus > 0.0 else 0.0
        lo12, hi12 = base + 2.0 * minus, base + 2.0 * plus
        width = max(hi12 - lo12, 0.0)
        iu_out[i], iv_out[i] = iu, iv
        m12_out[i], m23_out[i] = lo12 + width * v, s
        jac_out[i] = (hi23 - lo23) * width


def dalitz_proposals(sampler):
    """The compiled `proposals` of a DalitzSampler, for `sampler.sample(..., proposals=...)`."""
    u_edges, v_edges = sampler.u_edges, sampler.v_edges
    n_v = sampler.bound.shape[1]
    args = (sampler.lo23, sampler.hi23, sampler.mass_GeV, sampler.m1, sampler.m2, sampler.m3)

    def proposals(cum, r_cell, r_u, r_v):
        n = r_cell.size
        iu, iv = np.empty(n, np.int64), np.empty(n, np.int64)
        out = np.empty(n), np.empty(n), np.empty(n)
        dalitz_proposal_kernel(cum, r_cell, r_u, r_v, u_edges, v_edges, n_v, *args, iu, iv, *out)
        return (iu, iv, *out)

    return proposals


def two_body_llp(p_parent: np.ndarray, theta_parent: np.ndarray, parent_mass_GeV: float,
                 m_other_GeV: float, m_llp_GeV: float, rng: np.random.Generator):
    """(p, theta, phi) of the LLP from isotropic two-body decays of the parents, the random
    numbers drawn in the order of `parent_p4` then `decay_two_body`."""
    from dipscan.physics.decays.kinematics import two_body_momentum_GeV

    n = p_parent.size
    u_phi = rng.random(n)  # parent azimuth
    u_cos, u_azimuth = rng.random(n), rng.random(n)  # isotropic direction
    q = float(two_body_momentum_GeV(parent_mass_GeV, m_other_GeV, m_llp_GeV))
    out = np.empty(n), np.empty(n), np.empty(n)
    two_body_kernel(np.ascontiguousarray(p_parent, float), np.ascontiguousarray(theta_parent, float),
                    u_phi, u_cos, u_azimuth, float(parent_mass_GeV), q,
                    math.hypot(q, m_llp_GeV), *out)
    return out


def three_body_llp(p_parent: np.ndarray, theta_parent: np.ndarray, sampler,
                   rng: np.random.Generator):
    """(p, theta, phi) of particle 3 of the sampler's decay, the random numbers drawn in the
    order of `parent_p4`, `DalitzSampler.sample` then `random_rotations`."""
    n = p_parent.size
    u_phi = rng.random(n)
    m12sq, m23sq = sampler.sample(n, rng, proposals=dalitz_proposals(sampler))
    normals = rng.standard_normal((n, 4))
    out = np.empty(n), np.empty(n), np.empty(n)
    three_body_kernel(np.ascontiguousarray(p_parent, float), np.ascontiguousarray(theta_parent, float),
                      u_phi, m12sq, m23sq, normals, sampler.mass_GeV, sampler.m1, sampler.m2,
                      sampler.m3, *out)
    return out
