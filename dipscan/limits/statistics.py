"""Upper limits on the mean number of signal events of a counting experiment.

The recast limits of section 4.2 turn each old experiment's observed count and expected
background into an upper limit on the signal mean s; the coupling is then excluded where the
predicted number of events exceeds s.

Methods (all one-sided, at confidence level CL):

``"poisson"``
    Classical (Neyman) upper limit with a known background b: the s at which
    P(N <= n_obs | s + b) = 1 - CL. Since P(N <= n | mu) = Q(n + 1, mu), the regularised upper
    incomplete gamma function, this is s = Q^-1(n + 1, 1 - CL) - b. With a background
    uncertainty sigma_b the probability is averaged over a Gaussian background truncated at
    b >= 0 (the Cousins-Highland hybrid treatment) before solving for s. When even s = 0 gives
    P < 1 - CL (far fewer events than the background predicts) the classical interval is empty
    and 0 is returned.
``"poisson_no_subtraction"``
    The same classical limit with the background set to zero: every observed event is counted
    as possible signal. Conservative, and independent of the background estimate.
``"gaussian"``
    Asymptotic (normal) approximation to the Poisson likelihood for large counts:
    s = (n_obs - b) + z_CL * sqrt(n_obs + sigma_b^2), z_CL = Phi^-1(CL) (1.645 at 95% CL).
    The variance is estimated by the observed count (Neyman's chi-square). Meant for counts in
    the thousands such as the 5429 CHARM-II neutrino-electron events, where it agrees with the
    "poisson" method to O(1/sqrt(n)); meaningless for a handful of events.

The paper computes the CHARM-II limit "following appendix B of arXiv:1803.03262"; the
``"gaussian"`` method is the large-count normal approximation, which is what any single-bin
treatment of 5429 events with background equal to the observation reduces to. Results are
clipped at zero.
"""

from __future__ import annotations

import math

import numpy as np

METHODS = ("poisson", "poisson_no_subtraction", "gaussian")

# Quadrature for the truncated-Gaussian background average: nodes over +-8 sigma cover the
# Gaussian to 1e-15; the weights are renormalised after truncation at b = 0.
_N_BACKGROUND_NODES = 201
_BACKGROUND_SPAN_SIGMA = 8.0


def signal_upper_limit(
    observed: int,
    background: float,
    background_uncertainty: float = 0.0,
    confidence_level: float = 0.95,
    method: str = "poisson",
) -> float:
    """Upper limit on the signal mean at `confidence_level` (see the module docstring)."""
    n, b, sigma_b, cl = _validated(observed, background, background_uncertainty, confidence_level)
    if method == "poisson":
        return _poisson_limit(n, b, sigma_b, cl)
    if method == "poisson_no_subtraction":
        return _poisson_limit(n, 0.0, 0.0, cl)
    if method == "gaussian":
        from scipy import stats

        z = stats.norm.ppf(cl)
        return max(0.0, (n - b) + z * math.sqrt(n + sigma_b * sigma_b))
    raise ValueError(f"unknown upper-limit method {method!r}; allowed: {', '.join(METHODS)}")


def _validated(observed, background, background_uncertainty, confidence_level):
    if isinstance(observed, bool) or int(observed) != observed or observed < 0:
        raise ValueError(f"observed must be a non-negative integer, got {observed!r}")
    b, sigma_b, cl = float(background), float(background_uncertainty), float(confidence_level)
    if not (math.isfinite(b) and b >= 0.0):
        raise ValueError(f"background must be finite and >= 0, got {background!r}")
    if not (math.isfinite(sigma_b) and sigma_b >= 0.0):
        raise ValueError(
            f"background_uncertainty must be finite and >= 0, got {background_uncertainty!r}"
        )
    if not 0.0 < cl < 1.0:
        raise ValueError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    return int(observed), b, sigma_b, cl


def _poisson_limit(n: int, b: float, sigma_b: float, cl: float) -> float:
    # scipy is imported here, not at the top: reading a scenario names METHODS and must stay quick
    from scipy import optimize, special

    alpha = 1.0 - cl
    if sigma_b == 0.0:
        # P(N <= n | mu) = Q(n + 1, mu) is decreasing in mu: invert it in closed form.
        return max(0.0, float(special.gammainccinv(n + 1, alpha)) - b)

    nodes, weights = _truncated_gaussian_nodes(b, sigma_b)

    def excess(s: float) -> float:
        return float(np.dot(weights, special.gammaincc(n + 1, s + nodes))) - alpha

    if excess(0.0) <= 0.0:
        return 0.0
    # Upper bracket: Q(n + 1, s + b) <= Q(n + 1, s) for every b >= 0, so the zero-background
    # limit already has excess <= 0; the loop only guards against rounding.
    hi = float(special.gammainccinv(n + 1, alpha))
    while excess(hi) > 0.0:
        hi *= 2.0
    return float(optimize.brentq(excess, 0.0, hi, xtol=1e-12, rtol=1e-12))


def _truncated_gaussian_nodes(b: float, sigma_b: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and normalised weights of a Gaussian(b, sigma_b) restricted to [0, inf)."""
    lo = max(0.0, b - _BACKGROUND_SPAN_SIGMA * sigma_b)
    hi = b + _BACKGROUND_SPAN_SIGMA * sigma_b
    x, w = np.polynomial.legendre.leggauss(_N_BACKGROUND_NODES)
    nodes = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    weights = w * np.exp(-0.5 * ((nodes - b) / sigma_b) ** 2)
    return nodes, weights / weights.sum()
