"""Compiled decay chains: parent azimuth, rest-frame decay, rotation, boost, lab angles and the
acceptance pre-cut of the LLP in one pass per parent, with no temporary arrays.

Each chain is the fused form of the straightforward numpy path (`chains.reference_*`:
`parent_p4` -> `decay_two_body` / `momenta_rest_frame` -> `boost_to_frame` -> `polar_of` ->
`LabCut.keep`) and consumes the very same random numbers: the wrappers in `chains` draw them
from the numpy Generator in the order the numpy path does and pass the arrays in. The two paths
therefore agree sample by sample up to the last bits of rounding (tests/test_kernels.py).

The pre-cut: an LLP that no experiment on the beam can see (polar angle above the widest
accepted one) is flagged as unseen and its lab momentum, angles and azimuth are not finished (no
hypot, no atan2): most LLPs of a narrow detector are of that kind. A cheap test on the lab
momentum components, with a safety margin far above rounding, settles the clear cases; the rest
is decided on the exact angle.

Rows are independent, so large batches called from the main thread run over all cores
(`prange`), small ones in one thread (a parallel launch costs more than it saves); the kernels
release the GIL, so a scenario can also run its units on threads (`scan.pipeline.in_order`).
Either way each row is computed by the same code from its own random numbers: the same bytes
whatever the thread count.

The Dalitz sampler's accept-reject steps have their own compiled twin (`dalitz_kernels`).

numba is imported here (and in `dalitz_kernels`, after this module) only: both are imported
when samples are drawn, never on the start-up path of `dipscan run`. `cache=True` keeps the
machine code on disk (numba's cache folder: __pycache__ next to this file, or
$NUMBA_CACHE_DIR), so the compile time is paid once per installation.
"""

from __future__ import annotations

import math
import os
import sys
import threading

import numpy as np
from numba import config, njit, prange

# The OpenMP layer spin-waits between calls, which burns a shared core; the work-queue layer
# sleeps. A user's own NUMBA_THREADING_LAYER still wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    config.THREADING_LAYER = "workqueue"


def _load_array_maths_without_blas() -> None:
    """Load numba's array maths now, telling it that scipy's BLAS is absent.

    When numba first loads a compiled function it imports its array maths, which checks for a
    BLAS by importing scipy.linalg: a quarter to half a second, for matrix products these
    kernels never use. numba's own check (`numba.np.linalg.ensure_blas`) is answered "absent"
    for the duration of that one import and put back before anything else runs; if scipy's
    BLAS is already loaded nothing is changed. Only numba's own check is touched, never
    `sys.modules`, and under numba's compiler lock: numba is imported in a thread while a run
    goes on (`backend.preload_kernels`), and another thread may meanwhile import scipy or
    compile a function that does need the BLAS.
    """
    if "scipy.linalg.cython_blas" in sys.modules or "numba.np.arraymath" in sys.modules:
        return
    from numba.core.compiler_lock import global_compiler_lock
    from numba.np import linalg

    def absent() -> None:
        raise ImportError("scipy's BLAS is not loaded for these kernels")

    with global_compiler_lock:
        check = linalg.ensure_blas
        linalg.ensure_blas = absent
        try:
            import numba.np.arraymath as arraymath
        finally:
            linalg.ensure_blas = check
        arraymath.ensure_blas = check  # bound at its import: numba's own check from here on


_load_array_maths_without_blas()

#: Rows from which a chain runs over all cores: below, the thread launch costs more than it saves.
PARALLEL_MIN_ROWS = 8192


@njit(cache=True, inline="always")
def _boost_to_lab(e, x, y, z, ex, ey, ez, gamma):
    """Boost (e, x, y, z) by eta = gamma*beta = (ex, ey, ez); the lab momentum (px, py, pz)."""
    eta_p = ex * x + ey * y + ez * z
    f = e + eta_p / (gamma + 1.0)
    return x + ex * f, y + ey * f, z + ez * f


@njit(cache=True, inline="always")
def _parent_eta(p, theta, u_phi, mass):
    """eta = p_parent / M and gamma = E_parent / M of a parent at (p, theta, phi = 2 pi u)."""
    phi = 2.0 * math.pi * u_phi
    pt = p * math.sin(theta)
    energy = math.hypot(p, mass)
    return (pt * math.cos(phi) / mass, pt * math.sin(phi) / mass, p * math.cos(theta) / mass,
            energy / mass)


@njit(cache=True, inline="always")
def _finish(i, px, py, pz, cut, seen, p_out, theta_out, phi_out):
    """(p, theta, phi) of row i from its lab momentum, as `polar_of`; `seen[i]` = 0 when the
    pre-cut `cut` = (theta_max_rad, tan2_fast) rejects it.

    tan2_fast = tan^2(theta_max) (1 + 1e-6) (negative: no fast test) rejects what lies clearly
    outside the cone without square roots and arc tangents; the rest is decided on the exact
    theta."""
    theta_max, tan2_fast = cut
    if tan2_fast >= 0.0 and (pz <= 0.0 or px * px + py * py > tan2_fast * (pz * pz)):
        seen[i] = 0
        return
    pt = math.hypot(px, py)
    theta = math.atan2(pt, pz)
    if theta > theta_max:
        seen[i] = 0
        return
    seen[i] = 1
    p_out[i], theta_out[i], phi_out[i] = math.hypot(pt, pz), theta, math.atan2(py, px)


@njit(cache=True, inline="always")
def _two_body_row(i, p_parent, theta_parent, u_phi, u_cos, u_azimuth, parent_mass, q, e_llp,
                  cut, seen, p_out, theta_out, phi_out):
    """Isotropic two-body decay, LLP = daughter b (momentum -q n_hat in the rest frame)."""
    ex, ey, ez, gamma = _parent_eta(p_parent[i], theta_parent[i], u_phi[i], parent_mass)
    cos_t = -1.0 + 2.0 * u_cos[i]
    phi = 2.0 * math.pi * u_azimuth[i]
    sin_t = math.sqrt(max(1.0 - cos_t * cos_t, 0.0))
    x = -(q * (sin_t * math.cos(phi)))
    y = -(q * (sin_t * math.sin(phi)))
    z = -(q * cos_t)
    px, py, pz = _boost_to_lab(e_llp, x, y, z, ex, ey, ez, gamma)
    _finish(i, px, py, pz, cut, seen, p_out, theta_out, phi_out)


# Each chain has twin loops over one row function, `prange` (all cores) and `range` (one).
# Their arguments stay flat arrays and numbers: in numba 0.68 a parallel loop does not write
# through arrays handed in as a tuple (tested: the outputs stay unwritten).
@njit(cache=True, nogil=True, parallel=True)
def two_body_parallel(p_parent, theta_parent, u_phi, u_cos, u_azimuth, parent_mass, q, e_llp,
                      cut, seen, p_out, theta_out, phi_out):
    for i in prange(p_parent.size):
        _two_body_row(i, p_parent, theta_parent, u_phi, u_cos, u_azimuth, parent_mass, q, e_llp,
                      cut, seen, p_out, theta_out, phi_out)


@njit(cache=True, nogil=True)
def two_body_serial(p_parent, theta_parent, u_phi, u_cos, u_azimuth, parent_mass, q, e_llp,
                    cut, seen, p_out, theta_out, phi_out):
    for i in range(p_parent.size):
        _two_body_row(i, p_parent, theta_parent, u_phi, u_cos, u_azimuth, parent_mass, q, e_llp,
                      cut, seen, p_out, theta_out, phi_out)


@njit(cache=True, inline="always")
def _three_body_row(i, p_parent, theta_parent, u_phi, m12sq, m23sq, normals, masses, cut,
                    seen, p_out, theta_out, phi_out):
    """Particle 3 of P -> 1 2 3 with invariants (m12sq, m23sq), as `momenta_rest_frame` builds it
    (1 along z, 3 in the xz plane), rotated by the unit quaternion normals[i] / |normals[i]|
    (as `random_rotations`) and boosted to the lab. masses = (M, m1, m2, m3)."""
    big_m, m1, m2, m3 = masses
    ex, ey, ez, gamma = _parent_eta(p_parent[i], theta_parent[i], u_phi[i], big_m)
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
    px, py, pz = _boost_to_lab(e3, rx, ry, rz, ex, ey, ez, gamma)
    _finish(i, px, py, pz, cut, seen, p_out, theta_out, phi_out)


@njit(cache=True, nogil=True, parallel=True)
def three_body_parallel(p_parent, theta_parent, u_phi, m12sq, m23sq, normals, masses, cut,
                        seen, p_out, theta_out, phi_out):
    for i in prange(p_parent.size):
        _three_body_row(i, p_parent, theta_parent, u_phi, m12sq, m23sq, normals, masses, cut,
                        seen, p_out, theta_out, phi_out)


@njit(cache=True, nogil=True)
def three_body_serial(p_parent, theta_parent, u_phi, m12sq, m23sq, normals, masses, cut,
                      seen, p_out, theta_out, phi_out):
    for i in range(p_parent.size):
        _three_body_row(i, p_parent, theta_parent, u_phi, m12sq, m23sq, normals, masses, cut,
                        seen, p_out, theta_out, phi_out)


@njit(cache=True, nogil=True, error_model="numpy")
def _parent_mask(p, theta, parent_mass_sq, e_star, llp_mass, photon_floor, theta_limit, keep):
    for i in range(p.size):
        e = math.sqrt(p[i] * p[i] + parent_mass_sq)
        keep[i] = (e_star * (e + p[i]) / llp_mass >= photon_floor) & (theta[i] <= theta_limit)


def contributing_parents(p, theta, parent_mass_sq, e_star, llp_mass, photon_floor, theta_limit):
    """Indices of the parents kept by `sampling.parents_that_can_contribute`, with its arithmetic
    in its order: E* (sqrt(p^2 + M^2) + p) / m_LLP >= floor (always true for floor = 0), and
    theta <= theta_limit (inf: no angular cut). One branch-free pass, then the indices."""
    keep = np.empty(p.size, np.bool_)
    _parent_mask(p, theta, parent_mass_sq, e_star, llp_mass, photon_floor, theta_limit, keep)
    return np.flatnonzero(keep)


def _parallel(n: int) -> bool:
    """Spread the rows over numba's threads? Only for large batches, and only from the main
    thread: numba's work-queue layer must not be entered by two threads at once, and a
    scenario whose units already run on threads (`scan.pipeline.in_order`) keeps both cores busy."""
    return n >= PARALLEL_MIN_ROWS and threading.current_thread() is threading.main_thread()


def run_chain(kind: str, n: int, args: tuple, cut: tuple):
    """Run the two- or three-body chain on n rows; (p, theta, phi, rows) of the rows the cut keeps."""
    seen = np.empty(n, np.uint8)
    out = np.empty(n), np.empty(n), np.empty(n)
    kernels = {"two": (two_body_serial, two_body_parallel),
               "three": (three_body_serial, three_body_parallel)}[kind]
    kernels[_parallel(n)](*args, cut, seen, *out)
    rows = np.flatnonzero(seen)
    if rows.size == n:
        return (*out, rows)
    return out[0][rows], out[1][rows], out[2][rows], rows
