"""Feldman-Cousins upper limit on a Poisson signal mean with known background.

The unified construction of G. J. Feldman and R. D. Cousins, Phys. Rev. D 57 (1998) 3873
(arXiv:physics/9711021): for each signal mean mu the acceptance region in the observed count n
is filled in decreasing order of the likelihood ratio R(n) = P(n | mu) / P(n | mu_best(n)),
mu_best(n) the physically allowed (>= 0) mean that maximises P(n | .), until it holds a
probability >= CL. The upper limit for an observed n0 is the largest mu whose region contains n0.

Systematic uncertainties follow J. Conrad, O. Botner, A. Hallgren and C. Perez de los Heros,
Phys. Rev. D 67 (2003) 012002 (arXiv:hep-ex/0202013): P(n | mu) is averaged over a Gaussian
signal efficiency (mean 1, relative width sigma_s) and a Gaussian background (b, sigma_b), both
truncated at zero, and the same averaged P is used in the ordering.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special, stats

MAX_OBSERVED = 200  # the construction sums over every count; large counts are Gaussian anyway
_NODES = 31  # per nuisance parameter; the average is smooth in both
_SPAN_SIGMA = 6.0
SCAN_STEP = 0.02  # signal-mean scan from above; the edge is then bisected to 1e-12 of the step


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


def feldman_cousins_upper_limit(observed: int, background: float, confidence_level: float,
                                background_uncertainty: float = 0.0,
                                signal_uncertainty: float = 0.0) -> float:
    """Upper end of the Feldman-Cousins interval for the signal mean (see the module docstring)."""
    if observed > MAX_OBSERVED:
        raise ValueError(f"feldman_cousins is for counts up to {MAX_OBSERVED}; "
                         f"got {observed}: use method 'gaussian' or 'poisson'")
    n0, b, cl = int(observed), float(background), float(confidence_level)
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
