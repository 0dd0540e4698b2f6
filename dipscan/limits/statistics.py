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

``"feldman_cousins"``
    The upper end of the unified Feldman-Cousins interval (`dipscan.limits.feldman_cousins`,
    Phys. Rev. D 57 (1998) 3873), with systematic uncertainties averaged into the likelihood as
    in Conrad et al., Phys. Rev. D 67 (2003) 012002. For counts up to a few hundred. With a known
    background it follows the published tables, whose upper limit never grows as b drops.

Systematic uncertainties (every method):
- ``signal_uncertainty``: relative uncertainty on the signal normalisation (efficiency, flux of
  the parents), a Gaussian factor of mean 1 truncated at 0 multiplying s; in the Poisson and
  Feldman-Cousins methods it is averaged over (Cousins-Highland), in the Gaussian one it adds
  (sigma_s s)^2 to the variance.
- ``background_uncertainty`` (events) and ``background_relative_uncertainty`` (a fraction of b,
  e.g. a flux normalisation) add in quadrature to one Gaussian background uncertainty.
- ``observed_uncertainty``: the published error of a measured count (``"gaussian"`` only), used
  instead of sqrt(n_obs) when the count was obtained by subtraction or unfolding; a list of
  errors of independent sub-samples adds in quadrature.

The paper computes the CHARM-II limit "following appendix B of arXiv:1803.03262"; the
``"gaussian"`` method is the large-count normal approximation, which is what any single-bin
treatment of 5429 events with background equal to the observation reduces to. Results are
clipped at zero.
"""

from __future__ import annotations

import math

import numpy as np

METHODS = ("poisson", "poisson_no_subtraction", "gaussian", "feldman_cousins")

# Quadrature for the truncated-Gaussian background average: nodes over +-8 sigma cover the
# Gaussian to 1e-15; the weights are renormalised after truncation at b = 0.
_N_BACKGROUND_NODES = 201
_BACKGROUND_SPAN_SIGMA = 8.0
_N_SIGNAL_NODES = 41  # the efficiency average, nested with the background one


def signal_upper_limit(
    observed: int,
    background: float,
    background_uncertainty: float = 0.0,
    confidence_level: float = 0.95,
    method: str = "poisson",
    signal_uncertainty: float = 0.0,
    background_relative_uncertainty: float = 0.0,
    observed_uncertainty: float | list[float] | tuple[float, ...] | None = None,
) -> float:
    """Upper limit on the signal mean at `confidence_level` (see the module docstring)."""
    n, b, sigma_b, cl = _validated(observed, background, background_uncertainty, confidence_level)
    sigma_s = _fraction("signal_uncertainty", signal_uncertainty)
    sigma_b = math.hypot(sigma_b, _fraction("background_relative_uncertainty",
                                            background_relative_uncertainty) * b)
    variance_obs = _observed_variance(n, observed_uncertainty)
    if observed_uncertainty is not None and method != "gaussian":
        raise ValueError(f"observed_uncertainty is used by method 'gaussian' only, not {method!r}")
    if method == "poisson":
        return _poisson_limit(n, b, sigma_b, cl, sigma_s)
    if method == "poisson_no_subtraction":
        return _poisson_limit(n, 0.0, 0.0, cl, sigma_s)
    if method == "gaussian":
        return _gaussian_limit(n - b, variance_obs + sigma_b * sigma_b, sigma_s, cl)
    if method == "feldman_cousins":
        from dipscan.limits.feldman_cousins import feldman_cousins_upper_limit

        return feldman_cousins_upper_limit(n, b, cl, sigma_b, sigma_s)
    raise ValueError(f"unknown upper-limit method {method!r}; allowed: {', '.join(METHODS)}")


def _fraction(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return value


def _observed_variance(n: int, observed_uncertainty) -> float:
    """sigma_obs^2: the published error(s) in quadrature, or the Poisson n."""
    if observed_uncertainty is None:
        return float(n)
    errors = np.atleast_1d(np.asarray(observed_uncertainty, dtype=float))
    if errors.size == 0 or not np.all(np.isfinite(errors) & (errors > 0.0)):
        raise ValueError(f"observed_uncertainty must be positive and finite, got {observed_uncertainty!r}")
    return float(np.sum(errors**2))


def _gaussian_limit(excess: float, variance: float, sigma_s: float, cl: float) -> float:
    """s with s - excess = z sqrt(variance + (sigma_s s)^2); closed form of that quadratic."""
    from scipy import stats  # here, not at the top: reading a scenario names METHODS only

    z = float(stats.norm.ppf(cl))
    a = 1.0 - (z * sigma_s) ** 2
    if a <= 0.0:
        raise ValueError(f"signal_uncertainty {sigma_s} >= 1/z_CL = {1.0 / z:.3g}: no upper limit "
                         "at this confidence level")
    root = math.sqrt(excess * excess - a * (excess * excess - z * z * variance))
    return max(0.0, (excess + root) / a)


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


def _poisson_limit(n: int, b: float, sigma_b: float, cl: float, sigma_s: float = 0.0) -> float:
    from scipy import optimize, special  # here, not at the top: see _gaussian_limit

    alpha = 1.0 - cl
    if sigma_b == 0.0 and sigma_s == 0.0:
        # P(N <= n | mu) = Q(n + 1, mu) is decreasing in mu: invert it in closed form.
        return max(0.0, float(special.gammainccinv(n + 1, alpha)) - b)

    bkg, w_bkg = _truncated_gaussian_nodes(b, sigma_b) if sigma_b > 0.0 else (np.array([b]), np.ones(1))
    eff, w_eff = (_truncated_gaussian_nodes(1.0, sigma_s, _N_SIGNAL_NODES) if sigma_s > 0.0
                  else (np.array([1.0]), np.ones(1)))

    def excess(s: float) -> float:
        means = eff[:, None] * s + bkg[None, :]
        return float(w_eff @ special.gammaincc(n + 1, means) @ w_bkg) - alpha

    if excess(0.0) <= 0.0:
        return 0.0
    # Upper bracket: start from the zero-background limit and double while still allowed (with a
    # signal uncertainty the limit can exceed it).
    hi = float(special.gammainccinv(n + 1, alpha))
    while excess(hi) > 0.0:
        hi *= 2.0
    return float(optimize.brentq(excess, 0.0, hi, xtol=1e-12, rtol=1e-12))


def _truncated_gaussian_nodes(b: float, sigma_b: float,
                              n_nodes: int = _N_BACKGROUND_NODES) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and normalised weights of a Gaussian(b, sigma_b) restricted to [0, inf)."""
    lo = max(0.0, b - _BACKGROUND_SPAN_SIGMA * sigma_b)
    hi = b + _BACKGROUND_SPAN_SIGMA * sigma_b
    x, w = np.polynomial.legendre.leggauss(n_nodes)
    nodes = 0.5 * (hi - lo) * x + 0.5 * (hi + lo)
    weights = w * np.exp(-0.5 * ((nodes - b) / sigma_b) ** 2)
    return nodes, weights / weights.sum()
