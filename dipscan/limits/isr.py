"""Initial-state radiation: e+e- -> gamma + X(q^2) factorised on the Born cross section of X.

For a final state X produced through one virtual photon and a photon radiated by the beams, at
leading order and away from the beam direction (electron mass neglected),
    d^2 sigma / (dx dcos) = W(x, cos) sigma_X(q^2 = s (1 - x)),
    W(x, cos) = alpha / (pi x) [ (2 - 2x + x^2) / sin^2(theta) - x^2 / 2 ],
with x = 2 E_gamma / sqrt(s) and theta the photon polar angle in the CM frame. This is the
standard radiator of radiative-return analyses (it reproduces, for a narrow X of mass m,
the textbook e+e- -> gamma A' cross section with its (1 + cos^2)/sin^2 and 4 m^2 s/(s - m^2)^2
terms; integrated over angles down to theta ~ m_e/E it gives the collinear radiator
(alpha/pi) (2 - 2x + x^2)(L - 1)/x, L = ln(s/m_e^2)). All photons used here are required in a
detector acceptance well away from the beam, so the electron mass never matters.
"""

from __future__ import annotations

import numpy as np

from dipscan.physics.constants import ALPHA_EM


def isr_radiator(x, cos_theta) -> np.ndarray:
    """W(x, cos theta): d^2 sigma/(dx dcos) divided by sigma_X(s (1 - x)); dimensionless."""
    x = np.asarray(x, float)
    c = np.asarray(cos_theta, float)
    return ALPHA_EM / (np.pi * x) * ((2.0 - 2.0 * x + x * x) / (1.0 - c * c) - 0.5 * x * x)


def isr_radiator_angle_integrated(x, cos_min: float, cos_max: float) -> np.ndarray:
    """Integral of W(x, cos) over cos in [cos_min, cos_max] (closed form, |cos| < 1)."""
    x = np.asarray(x, float)
    log_term = np.arctanh(cos_max) - np.arctanh(cos_min)
    return (
        ALPHA_EM
        / (np.pi * x)
        * ((2.0 - 2.0 * x + x * x) * log_term - 0.5 * x * x * (cos_max - cos_min))
    )


def sample_isr_photons(
    x_min: float, x_max: float, cos_min: float, cos_max: float, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n ISR photons (x, cos theta) with weights such that sum(weight * sigma_X(s (1 - x))) estimates
    the cross section of e+e- -> gamma X with x in [x_min, x_max], cos in [cos_min, cos_max].

    x is drawn from a 1/x density (the soft-photon pole of W), cos uniformly; weight = W / pdf / n.
    """
    if not (0.0 < x_min < x_max < 1.0):
        raise ValueError(f"need 0 < x_min < x_max < 1, got {x_min}, {x_max}")
    if not (-1.0 < cos_min < cos_max < 1.0):
        raise ValueError(f"need -1 < cos_min < cos_max < 1, got {cos_min}, {cos_max}")
    log_span = np.log(x_max / x_min)
    x = x_min * np.exp(log_span * rng.uniform(0.0, 1.0, n))
    cos_t = rng.uniform(cos_min, cos_max, n)
    pdf = 1.0 / (x * log_span * (cos_max - cos_min))
    return x, cos_t, isr_radiator(x, cos_t) / pdf / n
