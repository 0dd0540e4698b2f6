"""Compiled Dalitz accept-reject: the twin of `DalitzSampler.batch` and `DalitzSampler.accept`.

One pass per batch turns each proposal's uniforms into its envelope cell, its invariants, the
squared matrix element, its density and its bound, with no temporary arrays; a second pass
keeps the accepted pairs. The accept-reject loop itself (the random draws, the restarts after an
envelope violation) stays in `DalitzSampler.sample`, so both paths consume the same uniforms.
The arithmetic is the reference's, in its order: the same bits, hence the same accepted set
(tests/test_dalitz_kernel.py). One exception: numpy's s12**3 in A.7 goes through its own
vectorised pow, which may differ from s12 s12 s12 in the last bit; an accept decision then
changes only if a uniform falls that close to its boundary: about 1e-16 of the envelope bound
for K and B decays, up to 6e-12 where A.7 cancels (Ds -> tau N).

The matrix elements with a twin here are those built as `dalitz.MatrixElement`: A.4
(`meson_widths.a4_msq`) and A.7 (`neutrino_dipole.a7_msq`), each from its scalar subexpressions
(`constants`), computed in Python as the numpy formula computes them. Any other callable is
evaluated in numpy on the compiled proposals.

The cell of a proposal: `cell_guide` gives, for each of GUIDE_BINS bins of the uniform, the
first cell it can pick; a short forward scan from there finds searchsorted's cell.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from dipscan.physics.decays import kernels  # noqa: F401 (sets numba's threading layer first)

# Twins of the matrix elements; NO_TWIN: the caller evaluates the numpy formula itself.
NO_TWIN, A4, A7 = 0, 1, 2
TWINS = {"a4": A4, "a7": A7}
N_CONSTANTS = 14  # the longest list of scalar subexpressions (A.4's)


@njit(cache=True, inline="always")
def _a4_msq(s12, s23, c):
    """`meson_widths.a4_msq` with c = `meson_widths.a4_constants`, operation by operation."""
    mp2_sq, c1, c2, a4, two_a_a, a_plus_b_sq, b, b4, mp2, a2_minus_b2, b2, two_a_plus_b, e2_sq, den = c
    sq23 = s23 * s23
    bracket = (
        mp2_sq * (s23 * c1 - c2)
        - sq23 * (a4 - two_a_a * s12 - s23 * a_plus_b_sq + 2.0 * (s12 * s12) - 2.0 * s12 * b * b
                  + 2.0 * s12 * s23 + b4)
        - 2.0 * s23 * mp2 * (a2_minus_b2 * (b2 - s12) + b * s23 * two_a_plus_b - s12 * s23)
    )  # fmt: skip
    return e2_sq / (den * sq23) * bracket


@njit(cache=True, inline="always")
def _a7_msq(s12, s23, c):
    """`neutrino_dipole.a7_msq` with c = `neutrino_dipole.a7_constants`, operation by operation."""
    mp2, ml2, mn2, k_nu, k_2, mn2_sq, two_mn2, mp2_ml2, k_1, mp2_sq, k_ml, mn2_ml2, norm, _ = c
    p_nu_sq = k_nu - s12 - s23
    if not p_nu_sq > 0.0:
        return 0.0
    bracket = (
        s12 * s12 * s12
        - (s12 * s12) * (k_2 - 2.0 * s23)
        + s12 * (mn2_sq + two_mn2 * (mp2_ml2 - s23) + s23 * s23 - s23 * k_1 + mp2_sq)
        + ml2 * (k_ml - mp2 * (mn2_ml2 + s23) + mn2 * s23 + mp2_sq)
    )
    return norm * (mp2_ml2 - s12 - s23) * bracket / (p_nu_sq * p_nu_sq)


@njit(cache=True, inline="always")
def _invariants(u, v, lo23, hi23, big_m, m1, m2, m3):
    """`DalitzSampler.to_invariants` of one point: (m12sq, m23sq, Jacobian), with the m12sq
    limits of its line as `m12sq_range` computes them."""
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
    base = m1 * m1 + m2 * m2
    lo12, hi12 = base + 2.0 * minus, base + 2.0 * plus
    width = max(hi12 - lo12, 0.0)
    return lo12 + width * v, s, (hi23 - lo23) * width


@njit(cache=True, nogil=True, error_model="numpy")
def _a4_msq_lines(constants, lo12, width12, v, m23sq, out):
    """out[i, j] = A.4 at m12sq = lo12[i] + width12[i] v[j] on the line m23sq[i], as numpy's
    broadcast `lo12[:, None] + width12[:, None] * v[None, :]` computes the point."""
    for i in range(lo12.size):
        for j in range(v.size):
            out[i, j] = _a4_msq(lo12[i] + width12[i] * v[j], m23sq[i], constants)


def a4_on_lines(msq, lo12, width12, v, m23sq):
    """A.4 (`msq`, a MatrixElement) on a grid of Dalitz lines, shape (lines, v.size): the
    compiled `dalitz.msq_on_lines`."""
    out = np.empty((lo12.size, v.size))
    _a4_msq_lines(tuple(float(c) for c in msq.constants), np.ascontiguousarray(lo12, dtype=float),
                  np.ascontiguousarray(width12, dtype=float), np.ascontiguousarray(v, dtype=float),
                  np.ascontiguousarray(m23sq, dtype=float), out)
    return out


@njit(cache=True, nogil=True)
def _cell_max(g, out):
    for a in range(g.shape[0]):
        for c in range(g.shape[2]):
            m = g[a, 0, c, 0]
            for b in range(g.shape[1]):
                for d in range(g.shape[3]):
                    x = g[a, b, c, d]
                    if m == m and (x > m or x != x):  # a NaN stays, as in numpy's max
                        m = x
            out[a, c] = m


def cell_max(g: np.ndarray) -> np.ndarray:
    """g.max(axis=(1, 3)) of an envelope's sub-grid densities g (Nu, ns, Nv, ns): the largest
    value of each cell, exactly (a maximum does not round; a NaN propagates)."""
    out = np.empty((g.shape[0], g.shape[2]))
    _cell_max(np.ascontiguousarray(g, dtype=float), out)
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def dalitz_batch(cum, guide, r_cell, r_u, r_v, u_edges, v_edges, n_v, geometry, bound, twin,
                 constants, cell_out, m12_out, m23_out, g_out, b_out):
    """`DalitzSampler.batch` for every row: cell (as searchsorted with side="right", clipped to
    the last cell), point (u, v) in the cell, (m12sq, m23sq) and the Jacobian, then
    g = max(|M|^2, 0) x Jacobian and the cell's bound. With twin = NO_TWIN, g_out holds the
    Jacobian. Returns how many rows have g > b.

    Two passes: the cell search (a data-dependent loop) first, with u and v parked in the
    outputs; then the arithmetic, free of branches, which the compiler runs on SIMD lanes."""
    lo23, hi23, big_m, m1, m2, m3 = geometry
    last = cum.size - 1
    for i in range(r_cell.size):
        x = r_cell[i] * cum[last]
        cell = guide[min(int(r_cell[i] * guide.size), guide.size - 1)]
        while cell < last and cum[cell] <= x:
            cell += 1
        iu, iv = cell // n_v, cell % n_v
        m23_out[i] = u_edges[iu] + (u_edges[iu + 1] - u_edges[iu]) * r_u[i]
        m12_out[i] = v_edges[iv] + (v_edges[iv + 1] - v_edges[iv]) * r_v[i]
        cell_out[i] = cell
        b_out[i] = bound[cell]
    n_over = 0
    for i in range(r_cell.size):
        m12sq, m23sq, jac = _invariants(m23_out[i], m12_out[i], lo23, hi23, big_m, m1, m2, m3)
        if twin == A4:
            msq = _a4_msq(m12sq, m23sq, constants)
        elif twin == A7:
            msq = _a7_msq(m12sq, m23sq, constants)
        else:
            msq = 1.0
        # np.maximum(msq, 0.0): a NaN stays NaN
        g = (msq if (msq >= 0.0 or msq != msq) else 0.0) * jac
        m12_out[i], m23_out[i], g_out[i] = m12sq, m23sq, g
        n_over += g > b_out[i]
    return n_over


@njit(cache=True, nogil=True)
def dalitz_accept(r_accept, b, g, m12sq, m23sq, out12, out23, n_got):
    """`DalitzSampler.accept`: rows with r b < g, in order, into out12/out23 from n_got on.
    Every row is written at the next free place, which only an accepted row then takes: no
    branch on the (unpredictable) accept decision."""
    for i in range(r_accept.size):
        if n_got == out12.size:
            break
        out12[n_got], out23[n_got] = m12sq[i], m23sq[i]
        n_got += r_accept[i] * b[i] < g[i]
    return n_got


GUIDE_BINS = 4096  # a power of two: r * GUIDE_BINS is exact


def cell_guide(cum: np.ndarray) -> np.ndarray:
    """For each bin b of r in [b/G, (b+1)/G): the first cell a uniform r of that bin can pick,
    searchsorted(cum, (b/G) cum[-1], side="right").

    Exact, not approximate: b/G is exact, and x = r cum[-1] >= (b/G) cum[-1] after rounding
    (rounding is monotonic), so the cell of x (the first with cum > x) is never before the
    guide's; a short forward scan from there finds it. That replaces a bisection over all cells
    (a dozen unpredictable branches) by about one step.
    """
    edges = np.arange(GUIDE_BINS) / GUIDE_BINS * cum[-1]
    return np.minimum(np.searchsorted(cum, edges, side="right"), cum.size - 1)


class CompiledSteps:
    """The compiled `batch` and `accept` of a DalitzSampler, for `sampler.sample(..., steps=...)`."""

    def __init__(self, sampler):
        self.sampler = sampler
        msq = sampler.msq
        self.twin = TWINS.get(getattr(msq, "kernel", None), NO_TWIN)
        # one tuple type for every twin (a single compiled signature), padded with zeros
        constants = tuple(float(c) for c in msq.constants) if self.twin != NO_TWIN else ()
        self.constants = constants + (0.0,) * (N_CONSTANTS - len(constants))
        self.geometry = (sampler.lo23, sampler.hi23, sampler.mass_GeV, sampler.m1, sampler.m2,
                         sampler.m3)

    def batch(self, cum, bound, r_cell, r_u, r_v):
        s = self.sampler
        n = r_cell.size
        cell = np.empty(n, np.int64)
        m12sq, m23sq, g, b = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        n_over = dalitz_batch(cum, cell_guide(cum), r_cell, r_u, r_v, s.u_edges, s.v_edges,
                              s.bound.shape[1], self.geometry, bound, self.twin, self.constants,
                              cell, m12sq, m23sq, g, b)
        if self.twin == NO_TWIN:  # g holds the Jacobian
            g = np.maximum(s.msq(m12sq, m23sq), 0.0) * g
            n_over = int(np.count_nonzero(g > b))
        return cell, m12sq, m23sq, g, b, int(n_over)

    @staticmethod
    def accept(r_accept, b, g, m12sq, m23sq, out12, out23, n_got: int) -> int:
        return int(dalitz_accept(r_accept, b, g, m12sq, m23sq, out12, out23, n_got))
