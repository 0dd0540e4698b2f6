"""Three-body decays P -> 1 2 3 on the Dalitz plane: widths, unweighted sampling, 4-vectors.

Invariants: m12sq = (p1 + p2)^2 and m23sq = (p2 + p3)^2. A squared matrix element is any
vectorised callable msq(m12sq, m23sq) -> |M|^2 (spin-summed and averaged as the width needs).

Width (A.5 of the paper, PDG kinematics):
    Gamma = 1 / ((2 pi)^3 32 M^3) * integral dm12sq dm23sq |M|^2.
The integral runs over m23sq with the m12sq limits of each m23sq line. Both directions use
composite Gauss-Legendre rules on panels that shrink geometrically towards the ends, so the
square-root edges of the Dalitz region and any structure near them converge fast; the outer
variable is also mapped as m23sq = lo + (hi - lo) u^2, which removes the threshold square root.

Sampling is exact accept-reject from a piecewise-constant envelope on a cell grid of the unit
square (u, v) -> (m23sq, m12sq). Each cell's bound is a safety factor times the largest density
found on a sub-grid of the cell; a proposal that exceeds its bound enlarges that bound and the
whole draw restarts, so the result is exact and depends only on the rng passed in. A batch of
uniforms becomes proposals, densities and bounds in `DalitzSampler.batch` and the accepted pairs
in `DalitzSampler.accept` (numpy, the reference); `dalitz_kernels.CompiledSteps` is their
compiled twin, with the same arithmetic in the same order, hence the same accepted set.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np

from dipscan.errors import DipscanError
from dipscan.physics.decays.backend import kernel_choice
from dipscan.physics.decays.kinematics import boost_to_frame, random_rotations

MatrixElementSq = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class MatrixElement:
    """A squared matrix element with a compiled twin: `function(m12sq, m23sq, **params)` is the
    numpy formula; `kernel` names its twin in `dalitz_kernels` and `constants` are the formula's
    scalar subexpressions, computed in Python exactly as `function` computes them, so that both
    give the same bits."""

    function: Callable
    params: dict
    kernel: str
    constants: tuple[float, ...]

    def __call__(self, m12sq, m23sq):
        return self.function(m12sq, m23sq, **self.params)


def m23sq_range(mass_GeV: float, m1: float, m2: float, m3: float) -> tuple[float, float]:
    """Kinematic range of m23sq: [(m2 + m3)^2, (M - m1)^2]."""
    return (m2 + m3) ** 2, (mass_GeV - m1) ** 2


def m12sq_range(m23sq, mass_GeV: float, m1: float, m2: float, m3: float):
    """Limits of m12sq on each m23sq line (arrays).

    In the (23) rest frame particle 2 has momentum q2 and particle 1 momentum q1; then
    m12sq = m1^2 + m2^2 + 2 (E1 E2 -+ q1 q2). E1 E2 - q1 q2 is written as
    (m1^2 q2^2 + m2^2 q1^2 + m1^2 m2^2) / (E1 E2 + q1 q2), which has no cancellation for light
    (ultra-relativistic) particles.
    """
    s = np.asarray(m23sq, float)
    m23 = np.sqrt(s)
    lam23 = (s - (m2 + m3) ** 2) * (s - (m2 - m3) ** 2)
    lam1 = (mass_GeV**2 - (m23 + m1) ** 2) * (mass_GeV**2 - (m23 - m1) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        q2 = np.sqrt(np.maximum(lam23, 0.0)) / (2.0 * m23)
        q1 = np.sqrt(np.maximum(lam1, 0.0)) / (2.0 * m23)
    e2 = np.sqrt(q2 * q2 + m2 * m2)
    e1 = np.sqrt(q1 * q1 + m1 * m1)
    plus = e1 * e2 + q1 * q2
    with np.errstate(divide="ignore", invalid="ignore"):
        minus = np.where(plus > 0.0, (m1**2 * q2**2 + m2**2 * q1**2 + m1**2 * m2**2) / plus, 0.0)
    base = m1**2 + m2**2
    return base + 2.0 * minus, base + 2.0 * plus


@cache
def _gauss_legendre(order: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(order)
    return 0.5 * (x + 1.0), 0.5 * w  # on [0, 1]


def graded_rule(
    levels: int = 12, ratio: float = 0.3, order: int = 8
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [0, 1]: Gauss-Legendre panels graded geometrically towards 0 and 1.

    Panel breaks at 0.5 * ratio^k (k = levels..0) and their mirror images; the innermost panel
    at each end is [0, 0.5 ratio^levels].
    """
    half = np.concatenate([[0.0], 0.5 * ratio ** np.arange(levels, -1, -1, dtype=float)])
    breaks = np.concatenate([half, 1.0 - half[-2::-1]])
    x, w = _gauss_legendre(order)
    a, b = breaks[:-1, None], breaks[1:, None]
    return (a + (b - a) * x).ravel(), ((b - a) * w).ravel()


def dalitz_integral(
    msq: MatrixElementSq,
    mass_GeV: float,
    m1: float,
    m2: float,
    m3: float,
    levels: int = 12,
    order: int = 8,
) -> float:
    """integral dm12sq dm23sq |M|^2 over the Dalitz region (GeV^4 times the units of msq)."""
    lo23, hi23 = m23sq_range(mass_GeV, m1, m2, m3)
    if hi23 <= lo23:
        return 0.0
    u, wu = graded_rule(levels, order=order)
    m23sq = lo23 + (hi23 - lo23) * u * u
    jac23 = 2.0 * (hi23 - lo23) * u * wu
    lo12, hi12 = m12sq_range(m23sq, mass_GeV, m1, m2, m3)
    v, wv = graded_rule(levels, order=order)
    values = msq_on_lines(msq, lo12, hi12 - lo12, v, m23sq)
    inner = np.sum(values * wv[None, :], axis=1) * (hi12 - lo12)
    return float(np.sum(inner * jac23))


def msq_on_lines(msq: MatrixElementSq, lo12: np.ndarray, width12: np.ndarray, v: np.ndarray,
                 m23sq: np.ndarray) -> np.ndarray:
    """|M|^2 at m12sq = lo12[i] + width12[i] v[j] on the lines m23sq[i]: shape (lines, v.size).

    A.4's compiled twin computes the very same bits as its numpy formula, so it replaces the
    numpy evaluation (the bulk of a width integral or of an envelope) where `_compiled_at_hand`.
    A.7's twin may differ in the last bit (`dalitz_kernels`): it stays in numpy here, where the
    values reach the widths and the envelopes, hence the outputs.
    """
    if getattr(msq, "kernel", None) == "a4" and _compiled_at_hand():
        from dipscan.physics.decays import dalitz_kernels  # numba only on the compiled path

        return dalitz_kernels.a4_on_lines(msq, lo12, width12, v, m23sq)
    m12sq = lo12[:, None] + width12[:, None] * v[None, :]
    return msq(m12sq, np.broadcast_to(m23sq[:, None], m12sq.shape))


def _compiled_at_hand() -> bool:
    """Whether exact compiled twins (the same bits as numpy) should stand in for numpy here: on
    the compiled path, once the compiled kernels are loaded (a run loads them before it draws
    or weighs anything). This decides speed only: a run that takes its events from the cache
    computes its few widths in numpy rather than importing numba for them."""
    return kernel_choice() == "compiled" and "dipscan.physics.decays.kernels" in sys.modules


def _cell_max(g: np.ndarray) -> np.ndarray:
    """g.max(axis=(1, 3)), compiled where `_compiled_at_hand` (a maximum is exact: the same
    numbers either way)."""
    if _compiled_at_hand():
        from dipscan.physics.decays import dalitz_kernels  # numba only on the compiled path

        return dalitz_kernels.cell_max(g)
    return g.max(axis=(1, 3))


def three_body_width_GeV(
    msq: MatrixElementSq, mass_GeV: float, m1: float, m2: float, m3: float
) -> float:
    """Gamma = integral / ((2 pi)^3 32 M^3)  (A.5)."""
    return dalitz_integral(msq, mass_GeV, m1, m2, m3) / ((2.0 * np.pi) ** 3 * 32.0 * mass_GeV**3)



def refinement_levels(
    mass_GeV: float,
    m1: float,
    m2: float,
    m3: float,
    coarsest: float,
    ratio: float,
    floor: float = 1e-12,
) -> int:
    """Number of geometric refinements so the finest cell resolves the smallest mass scale.

    Near the edges of the Dalitz region structure lives on the scale m_i^2 / M^2 of the lightest
    massive daughter (thresholds, collinear peaks); refine to a tenth of it (not below floor).
    """
    scales = [m * m / mass_GeV**2 for m in (m1, m2, m3) if m > 0.0]
    target = max(0.1 * min(scales, default=1e-6), floor)
    return max(int(np.ceil(np.log(target / coarsest) / np.log(ratio))), 1)


def _graded_edges(n_uniform: int, levels: int, ratio: float) -> np.ndarray:
    """Cell edges on [0, 1]: a uniform grid refined geometrically next to both ends."""
    return _graded_edges_once(n_uniform, levels, ratio).copy()


@cache
def _graded_edges_once(n_uniform: int, levels: int, ratio: float) -> np.ndarray:
    # A few distinct grids serve every sampler of a run (one per mass and channel).
    step = 1.0 / n_uniform
    fine = step * ratio ** np.arange(1, levels + 1, dtype=float)
    edges = np.concatenate([np.linspace(0.0, 1.0, n_uniform + 1), fine, 1.0 - fine])
    return np.unique(edges)


class DalitzSampler:
    """Unweighted (m12sq, m23sq) pairs distributed exactly as |M|^2 on the Dalitz region.

    Build once per (matrix element, masses) and reuse; `sample` never changes the sampler, so the
    same rng state always gives the same numbers.
    """

    def __init__(
        self,
        msq: MatrixElementSq,
        mass_GeV: float,
        m1: float,
        m2: float,
        m3: float,
        n_cells_u: int = 32,
        n_cells_v: int = 16,
        n_sub: int = 4,
        safety: float = 1.3,
    ):
        self.msq = msq
        self.mass_GeV, self.m1, self.m2, self.m3 = float(mass_GeV), float(m1), float(m2), float(m3)
        self.lo23, self.hi23 = m23sq_range(self.mass_GeV, self.m1, self.m2, self.m3)
        if self.hi23 <= self.lo23:
            raise DipscanError(
                f"three-body decay closed: M = {mass_GeV} GeV < {m1} + {m2} + {m3} GeV"
            )
        ratio = 0.35
        lev_u = refinement_levels(self.mass_GeV, m1, m2, m3, 1.0 / n_cells_u, ratio)
        lev_v = refinement_levels(self.mass_GeV, m1, m2, m3, 1.0 / n_cells_v, ratio)
        self.u_edges = _graded_edges(n_cells_u, lev_u, ratio)
        self.v_edges = _graded_edges(n_cells_v, lev_v, ratio)
        s = np.linspace(0.0, 1.0, n_sub + 1)
        du, dv = np.diff(self.u_edges), np.diff(self.v_edges)
        uu = self.u_edges[:-1, None] + du[:, None] * s[None, :]  # (Nu, ns)
        vv = self.v_edges[:-1, None] + dv[:, None] * s[None, :]  # (Nv, ns)
        g = self.density_grid(uu.ravel(), vv.ravel()).reshape(uu.shape + vv.shape)  # (Nu, ns, Nv, ns)
        self.bound = safety * _cell_max(g)  # (Nu, Nv)
        self.cell_mass = self.bound * du[:, None] * dv[None, :]
        total = self.cell_mass.sum()
        if not np.isfinite(total) or total <= 0.0:
            raise DipscanError("matrix element is zero or not finite on the Dalitz region")
        # Expected acceptance, from the sub-grid mean; only sets batch sizes.
        mean_integral = np.sum(g.mean(axis=(1, 3)) * du[:, None] * dv[None, :])
        self.efficiency = float(np.clip(mean_integral / total, 0.05, 1.0))

    def to_invariants(self, u, v):
        """(m12sq, m23sq) of unit-square coordinates, and the Jacobian d(m12sq, m23sq)/d(u, v).

        u and v broadcast: m23sq and the m12sq limits depend on u alone, so on a grid they are
        computed once per u (the same numbers, elementwise, as on the broadcast grid)."""
        u, v = np.asarray(u, float), np.asarray(v, float)
        m23sq = self.lo23 + (self.hi23 - self.lo23) * u
        lo12, hi12 = m12sq_range(m23sq, self.mass_GeV, self.m1, self.m2, self.m3)
        width = np.maximum(hi12 - lo12, 0.0)
        return lo12 + width * v, m23sq, (self.hi23 - self.lo23) * width

    def density(self, u, v):
        """Density in (u, v): |M|^2 times the Jacobian, clipped at 0 (rounding at the edges)."""
        m12sq, m23sq, jac = self.to_invariants(u, v)
        m23sq = np.broadcast_to(m23sq, m12sq.shape)
        return np.maximum(self.msq(m12sq, m23sq), 0.0) * jac

    def density_grid(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """`density` on the grid of every u (rows) with every v (columns): the same numbers as
        density(u[:, None], v[None, :]), with |M|^2 from `msq_on_lines`."""
        m23sq = self.lo23 + (self.hi23 - self.lo23) * np.asarray(u, float)
        lo12, hi12 = m12sq_range(m23sq, self.mass_GeV, self.m1, self.m2, self.m3)
        width = np.maximum(hi12 - lo12, 0.0)
        values = msq_on_lines(self.msq, lo12, width, np.asarray(v, float), m23sq)
        return np.maximum(values, 0.0) * ((self.hi23 - self.lo23) * width)[:, None]

    def proposals(self, cum: np.ndarray, r_cell: np.ndarray, r_u: np.ndarray, r_v: np.ndarray):
        """Proposals of one accept-reject batch from its uniforms.

        cum: cumulative envelope mass over the flattened cells; r_cell picks a cell, r_u and r_v
        the point inside it. Returns the flat cell indices, the invariants (m12sq, m23sq) and
        the Jacobian d(m12sq, m23sq)/d(u, v).
        """
        cell = np.searchsorted(cum, r_cell * cum[-1], side="right")
        cell = np.minimum(cell, cum.size - 1)
        iu, iv = np.divmod(cell, self.bound.shape[1])
        du, dv = np.diff(self.u_edges), np.diff(self.v_edges)
        u = self.u_edges[iu] + du[iu] * r_u
        v = self.v_edges[iv] + dv[iv] * r_v
        m12sq, m23sq, jac = self.to_invariants(u, v)
        return cell, m12sq, m23sq, jac

    def batch(self, cum: np.ndarray, bound: np.ndarray, r_cell: np.ndarray, r_u: np.ndarray,
              r_v: np.ndarray):
        """One accept-reject batch (numpy reference): the flat cell of each proposal, its
        invariants (m12sq, m23sq), density g and envelope bound b (`bound`: the flattened cell
        bounds), and how many proposals exceed their bound."""
        cell, m12sq, m23sq, jac = self.proposals(cum, r_cell, r_u, r_v)
        g = np.maximum(self.msq(m12sq, m23sq), 0.0) * jac
        b = bound[cell]
        return cell, m12sq, m23sq, g, b, int(np.count_nonzero(g > b))

    @staticmethod
    def accept(r_accept, b, g, m12sq, m23sq, out12, out23, n_got: int) -> int:
        """Accept the proposals with r b < g, in order, into out12/out23 from row n_got on
        until they are full (numpy reference); the new number of rows filled. Rows past those
        filled may be overwritten."""
        keep = np.flatnonzero(r_accept * b < g)[: out12.size - n_got]
        out12[n_got:n_got + keep.size] = m12sq[keep]
        out23[n_got:n_got + keep.size] = m23sq[keep]
        return n_got + keep.size

    def sample(self, n: int, rng: np.random.Generator, max_restarts: int = 16, steps=None):
        """n pairs (m12sq, m23sq), each array of shape (n,).

        `steps` (default: this sampler, the numpy reference) provides `batch` and `accept`;
        `dalitz_kernels.CompiledSteps` is their compiled twin. Either consumes the same random
        numbers, in the order cell, u, v, then (if no envelope violation) the accept uniforms
        of the batch.
        """
        if n == 0:
            return np.empty(0), np.empty(0)
        steps = self if steps is None else steps
        bound = self.bound.copy()
        flat = bound.ravel()  # a view: raising a flat bound raises its cell's
        du, dv = np.diff(self.u_edges), np.diff(self.v_edges)
        out12, out23 = np.empty(n), np.empty(n)
        for attempt in range(max_restarts + 1):
            cum = np.cumsum((bound * du[:, None] * dv[None, :]).ravel())
            n_got, violated = 0, False
            while n_got < n:
                n_try = int((n - n_got) / self.efficiency * 1.1) + 16
                r_cell, r_u, r_v = rng.random(n_try), rng.random(n_try), rng.random(n_try)
                cell, m12sq, m23sq, g, b, n_over = steps.batch(cum, flat, r_cell, r_u, r_v)
                if n_over:
                    # The envelope was not safe there: raise those bounds (all of them after a
                    # few failures) and start again, so no biased sample is kept.
                    over = g > b
                    np.maximum.at(flat, cell[over], 2.0 * g[over])
                    if attempt >= 2:
                        bound *= 2.0
                    violated = True
                    break
                n_got = steps.accept(rng.random(n_try), b, g, m12sq, m23sq, out12, out23, n_got)
            if not violated:
                return out12, out23
        raise DipscanError(
            "Dalitz sampler: envelope kept failing; the matrix element is not bounded"
        )


def momenta_rest_frame(
    m12sq, m23sq, mass_GeV: float, m1: float, m2: float, m3: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """4-vectors (n, 4) of particles 1, 2, 3 in the parent rest frame, randomly oriented.

    Energies from the invariants, particle 1 along z and 3 in the xz plane, 2 balancing the
    3-momentum exactly; then one uniform random rotation per event.
    """
    m12sq, m23sq = np.asarray(m12sq, float), np.asarray(m23sq, float)
    M = mass_GeV
    e1 = (M * M + m1 * m1 - m23sq) / (2.0 * M)
    e3 = (M * M + m3 * m3 - m12sq) / (2.0 * M)
    e2 = M - e1 - e3
    q1 = np.sqrt(np.maximum(e1 * e1 - m1 * m1, 0.0))
    q3 = np.sqrt(np.maximum(e3 * e3 - m3 * m3, 0.0))
    q2sq = np.maximum(e2 * e2 - m2 * m2, 0.0)
    denom = 2.0 * q1 * q3
    with np.errstate(divide="ignore", invalid="ignore"):
        cos13 = np.where(denom > 0.0, (q2sq - q1 * q1 - q3 * q3) / denom, 1.0)
    cos13 = np.clip(cos13, -1.0, 1.0)
    sin13 = np.sqrt(1.0 - cos13 * cos13)
    zero = np.zeros_like(q1)
    p1 = np.stack([zero, zero, q1], axis=-1)
    p3 = np.stack([q3 * sin13, zero, q3 * cos13], axis=-1)
    p2 = -(p1 + p3)
    rot = random_rotations(q1.shape[0], rng)
    p1, p2, p3 = (np.einsum("nij,nj->ni", rot, p) for p in (p1, p2, p3))
    return (
        np.concatenate([e1[:, None], p1], axis=1),
        np.concatenate([e2[:, None], p2], axis=1),
        np.concatenate([e3[:, None], p3], axis=1),
    )


def decay_three_body(
    parent_p4, sampler: DalitzSampler, rng: np.random.Generator,
    keep: tuple[int, ...] = (0, 1, 2),
) -> tuple[np.ndarray, ...]:
    """Decay each parent (n, 4) with the sampler's |M|^2; lab 4-vectors of particles 1, 2, 3.

    The parent mass is the sampler's (E^2 - p^2 of strongly boosted parents would lose digits).
    `keep` selects the particles returned (0-based); only those are boosted to the lab.
    """
    parent_p4 = np.asarray(parent_p4, float)
    m = sampler.mass_GeV
    m12sq, m23sq = sampler.sample(parent_p4.shape[0], rng)
    rest = momenta_rest_frame(
        m12sq, m23sq, sampler.mass_GeV, sampler.m1, sampler.m2, sampler.m3, rng
    )
    return tuple(boost_to_frame(rest[i], parent_p4, m) for i in keep)
