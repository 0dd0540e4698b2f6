"""Feldman-Cousins upper limit on a Poisson signal mean with known background.

The unified construction of G. J. Feldman and R. D. Cousins, Phys. Rev. D 57 (1998) 3873
(arXiv:physics/9711021): for each signal mean mu the acceptance region in the observed count n
is filled in decreasing order of the likelihood ratio R(n) = P(n | mu) / P(n | mu_best(n)),
mu_best(n) the physically allowed (>= 0) mean that maximises P(n | .), until it holds a
probability >= CL. The upper limit for an observed n0 is the largest mu whose region contains n0
(the regions of some mu just below it may leave n0 out: Feldman and Cousins take the interval
from the smallest to the largest such mu).

With a known background, Feldman and Cousins add one more rule to their tables (Tables IV-IX):
the upper limit mu2(n0, b) is made non-increasing in b by lengthening intervals, i.e. mu2(n0, b)
is the largest plain upper limit over all backgrounds b' >= b. The plain construction is a
sawtooth in b (each time an extra count enters the region as b grows the limit jumps up), so
without the rule 0 observed on b = 3.0 gives 0.95 at 90% CL where their Table IV has 1.08 (the
plain value just after the jump at b' = 3.458). This module applies the rule, so it reproduces the
tables; `monotone_in_background=False` gives the plain construction.

Systematic uncertainties follow J. Conrad, O. Botner, A. Hallgren and C. Perez de los Heros,
Phys. Rev. D 67 (2003) 012002 (arXiv:hep-ex/0202013): P(n | mu) is averaged over a Gaussian
signal efficiency (mean 1, relative width sigma_s) and a Gaussian background (b, sigma_b), both
truncated at zero, and the same averaged P is used in the ordering. The non-increasing rule above
belongs to the known-background tables and is not applied there.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

MAX_OBSERVED = 200  # the construction sums over every count; large counts are Gaussian anyway
_NODES = 31  # per nuisance parameter; the average is smooth in both
_SPAN_SIGMA = 6.0
SCAN_STEP = 0.02  # signal-mean scan from above; the edge is then bisected to 1e-12 of the step
MU_STEP = 0.005  # known background: the mu grid of Feldman and Cousins' own construction
B_STEP = 0.05  # background scan for the non-increasing rule; each jump is then bisected
B_SPAN = 2.0  # backgrounds b' in [b, b + B_SPAN]: the sawtooth has a period of about 1
_CHUNK = 400  # mu values per vectorised block (bounds memory for large counts)


def _truncated_nodes(mean: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    if sigma == 0.0:
        return np.array([mean]), np.array([1.0])
    lo, hi = max(0.0, mean - _SPAN_SIGMA * sigma), mean + _SPAN_SIGMA * sigma
    x, w = np.polynomial.legendre.leggauss(_NODES)
    nodes = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    weights = w * np.exp(-0.5 * ((nodes - mean) / sigma) ** 2)
    return nodes, weights / weights.sum()


class _Model:
    """P(n | mu) for n = 0..n_max, averaged over the nuisance parameters."""

    def __init__(self, b: float, sigma_b: float, sigma_s: float, n_max: int):
        eff, w_eff = _truncated_nodes(1.0, sigma_s)
        bkg, w_bkg = _truncated_nodes(b, sigma_b)
        self.eff = np.repeat(eff, bkg.size)
        self.bkg = np.tile(bkg, eff.size)
        self.weights = np.repeat(w_eff, bkg.size) * np.tile(w_bkg, eff.size)
        self.n = np.arange(n_max + 1)
        self.exact = sigma_b == 0.0 and sigma_s == 0.0
        self.b = b
        self.best = self._best_likelihood()

    def pmf(self, mu: float, n: np.ndarray | None = None) -> np.ndarray:
        n = self.n if n is None else n
        lam = np.maximum(self.eff * mu + self.bkg, 1e-300)[:, None]
        log_pmf = n[None, :] * np.log(lam) - lam - special.gammaln(n + 1.0)[None, :]
        return self.weights @ np.exp(log_pmf)

    def _best_likelihood(self) -> np.ndarray:
        if self.exact:  # mu_best = max(0, n - b)
            return stats.poisson.pmf(self.n, np.maximum(self.n, self.b))
        best = np.empty(self.n.size)
        for k in self.n:
            one = np.array([k])
            res = optimize.minimize_scalar(lambda mu, one=one: -self.pmf(mu, one)[0],
                                           bounds=(0.0, max(k - self.b, 0.0) + 5.0 * math.sqrt(k + 1.0) + 5.0),
                                           method="bounded", options={"xatol": 1e-6})
            best[k] = max(-res.fun, self.pmf(0.0, one)[0])
        return best

    def accepts(self, mu: float, n0: int, cl: float) -> bool:
        p = self.pmf(mu)
        ratio = p / np.maximum(self.best, 1e-300)
        order = np.argsort(-ratio, kind="stable")
        filled = np.cumsum(p[order])
        last = int(np.searchsorted(filled, cl))  # first index where the sum reaches CL
        return bool(n0 in order[: last + 1])


def _members(n0: int, mus: np.ndarray, b: float, cl: float, n: np.ndarray) -> np.ndarray:
    """For each signal mean in mus: is n0 in its acceptance region (known background b)?"""
    lam = mus[:, None] + b
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p = special.xlogy(n[None, :], lam) - lam - special.gammaln(n + 1.0)[None, :]
    p = np.exp(log_p)
    best = stats.poisson.pmf(n, np.maximum(n, b))  # mu_best = max(0, n - b)
    order = np.argsort(-(p / best[None, :]), axis=1, kind="stable")
    filled = np.cumsum(np.take_along_axis(p, order, axis=1), axis=1)
    last = np.argmax(filled >= cl, axis=1)  # the region is order[: last + 1]
    return np.argmax(order == n0, axis=1) <= last


def _counts(n0: int, b: float, mu_hi: float) -> np.ndarray:
    return np.arange(int(mu_hi + b + 12.0 * math.sqrt(mu_hi + b + 1.0) + 20.0) + 1)


def _edge(n0: int, grid: np.ndarray, b: float, cl: float, n: np.ndarray,
          bisect: bool = True) -> float | None:
    """Largest mu of the ascending grid whose region holds n0, bisected towards the next grid
    point; None if no grid point holds it. The top of the grid must not hold it."""
    inside = np.nonzero(_members(n0, grid, b, cl, n))[0]
    if not inside.size:
        return None
    i = int(inside[-1])
    if i == grid.size - 1:
        raise ArithmeticError("the scan did not start above the upper limit")
    lo, hi = float(grid[i]), float(grid[i + 1])
    for _ in range(30 if bisect else 0):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if _members(n0, np.array([mid]), b, cl, n)[0] else (lo, mid)
    return 0.5 * (lo + hi)


def _plain_upper_known_background(n0: int, b: float, cl: float) -> float:
    """Largest mu whose region holds n0: a grid of MU_STEP from above, block by block."""
    mu_hi = max(n0 - b, 0.0) + 8.0 * math.sqrt(n0 + b + 1.0) + 10.0
    n = _counts(n0, b, mu_hi)
    grid = np.arange(0.0, mu_hi + MU_STEP, MU_STEP)
    for top in range(grid.size, 1, -_CHUNK):
        edge = _edge(n0, grid[max(top - _CHUNK - 1, 0):top], b, cl, n)
        if edge is not None:
            return edge
    return 0.0  # n0 is outside every region (possible only for n0 far below b)


def _upper_known_background(n0: int, b: float, cl: float) -> float:
    """Feldman and Cousins' tabulated upper limit: the largest plain one over b' >= b.

    Only limits that can beat the plain one at b matter, so each b' is scanned in a window of
    mu from just below the best so far; a jump up between two backgrounds of the scan is then
    located by bisection, since the largest value of a branch is where it starts."""
    best = _plain_upper_known_background(n0, b, cl)
    low, span = best - 4.0 * B_STEP, 1.0 + math.sqrt(best)
    n = _counts(n0, b + B_SPAN, low + span)
    window = np.arange(max(low, 0.0), low + span + MU_STEP, MU_STEP)

    def windowed(x: float, bisect: bool = False) -> float:
        try:
            edge = _edge(n0, window, x, cl, n, bisect)
        except ArithmeticError:  # a limit above the window: scan this background in full
            return _plain_upper_known_background(n0, x, cl)
        return -math.inf if edge is None else edge

    backgrounds = b + np.arange(0.0, B_SPAN + 0.5 * B_STEP, B_STEP)
    coarse = np.array([best] + [windowed(x) for x in backgrounds[1:]])  # on the MU_STEP grid
    for k in np.nonzero(coarse[1:] > coarse[:-1])[0] + 1:  # a jump up between two backgrounds
        if coarse[k] + 2.0 * B_STEP + MU_STEP < best:
            continue  # a branch falls by less than B_STEP over B_STEP: it cannot win
        lo, hi = float(backgrounds[k - 1]), float(backgrounds[k])
        after = windowed(hi, bisect=True)
        for _ in range(20):  # after the jump the limit stays >= its value at backgrounds[k]
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if windowed(mid, bisect=True) >= after else (mid, hi)
        best = max(best, windowed(hi, bisect=True))
    return best


def feldman_cousins_upper_limit(observed: int, background: float, confidence_level: float,
                                background_uncertainty: float = 0.0,
                                signal_uncertainty: float = 0.0,
                                monotone_in_background: bool = True) -> float:
    """Upper end of the Feldman-Cousins interval for the signal mean (see the module docstring)."""
    if observed > MAX_OBSERVED:
        raise ValueError(f"feldman_cousins is for counts up to {MAX_OBSERVED}; "
                         f"got {observed}: use method 'gaussian' or 'poisson'")
    n0, b, cl = int(observed), float(background), float(confidence_level)
    if background_uncertainty == 0.0 and signal_uncertainty == 0.0:
        if monotone_in_background:
            return _upper_known_background(n0, b, cl)
        return _plain_upper_known_background(n0, b, cl)
    spread = math.sqrt(n0 + b + 1.0) + background_uncertainty
    mu_hi = max(n0 - b, 0.0) * (1.0 + 3.0 * signal_uncertainty) + 8.0 * spread + 10.0
    n_max = int(math.ceil(mu_hi * (1.0 + 6.0 * signal_uncertainty) + b
                          + 6.0 * background_uncertainty + 12.0 * math.sqrt(mu_hi + b + 1.0) + 20.0))
    model = _Model(b, background_uncertainty, signal_uncertainty, n_max)
    step = SCAN_STEP * max(1.0, math.sqrt(n0 + b) / 3.0)
    grid = np.arange(mu_hi, -step, -step)
    grid[-1] = 0.0
    previous = None
    for mu in grid:  # from above: the first accepted mu brackets the upper limit
        if model.accepts(mu, n0, cl):
            if previous is None:
                raise ArithmeticError("the scan did not start above the upper limit")
            lo, hi = mu, previous
            for _ in range(40):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if model.accepts(mid, n0, cl) else (lo, mid)
            return 0.5 * (lo + hi)
        previous = mu
    return 0.0  # n0 is outside every region (possible only for n0 far below b)
