"""Relativistic kinematics on arrays of 4-vectors.

Four-vectors are float arrays of shape (n, 4) ordered (E, px, py, pz), in GeV; the beam runs along
+z. Every function is vectorised over rows and free of global state; random draws go through the
`numpy.random.Generator` passed in. Boosts are written in terms of the frame's 4-momentum
(gamma = E/M, gamma*beta = p/M) so that TeV-scale boosts of MeV-scale particles keep their digits.
"""

from __future__ import annotations

import math

import numpy as np


def kallen(a, b, c):
    """Kallen function lambda(a, b, c) = a^2 + b^2 + c^2 - 2ab - 2ac - 2bc."""
    a, b, c = np.asarray(a, float), np.asarray(b, float), np.asarray(c, float)
    return a * a + b * b + c * c - 2.0 * (a * b + a * c + b * c)


def two_body_momentum_GeV(mass_GeV, m_a_GeV, m_b_GeV):
    """Momentum of either daughter in the rest frame of a parent of mass M decaying to a + b.

    Uses the factorised form lambda(M^2, ma^2, mb^2) = (M^2 - (ma+mb)^2)(M^2 - (ma-mb)^2), which
    has no cancellation near threshold; returns 0 at or below threshold.
    """
    m = np.asarray(mass_GeV, float)
    ma, mb = np.asarray(m_a_GeV, float), np.asarray(m_b_GeV, float)
    lam = (m - (ma + mb)) * (m + (ma + mb)) * (m - (ma - mb)) * (m + (ma - mb))
    return np.sqrt(np.maximum(lam, 0.0)) / (2.0 * m)


def two_body_momentum_one_GeV(mass_GeV: float, m_a_GeV: float, m_b_GeV: float) -> float:
    """`two_body_momentum_GeV` of one decay (M > 0), in Python floats: the same operations,
    hence the same number, without numpy's cost per call (once per sampling unit)."""
    m, ma, mb = float(mass_GeV), float(m_a_GeV), float(m_b_GeV)
    lam = (m - (ma + mb)) * (m + (ma + mb)) * (m - (ma - mb)) * (m + (ma - mb))
    return math.sqrt(max(lam, 0.0)) / (2.0 * m)


def isotropic_unit_vectors(n: int, rng: np.random.Generator) -> np.ndarray:
    """n unit vectors, shape (n, 3), uniform on the sphere (cos(theta) and phi uniform)."""
    cos_t = rng.uniform(-1.0, 1.0, n)
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    sin_t = np.sqrt(np.maximum(1.0 - cos_t * cos_t, 0.0))
    return np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)


def random_rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    """n rotation matrices, shape (n, 3, 3), uniform (Haar) on SO(3) from random unit quaternions."""
    q = rng.standard_normal((n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], axis=-1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], axis=-1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1),
        ],
        axis=-2,
    )


def invariant_mass_GeV(p4) -> np.ndarray:
    """sqrt(E^2 - |p|^2), clipped at 0 (rounding can make it slightly negative for massless rows)."""
    p4 = np.asarray(p4, float)
    m2 = p4[..., 0] ** 2 - np.sum(p4[..., 1:] ** 2, axis=-1)
    return np.sqrt(np.maximum(m2, 0.0))


def boost(p4, beta) -> np.ndarray:
    """Boost 4-vectors p4 (n, 4) by the velocity vector beta (n, 3) or (3,), |beta| < 1.

    Passive convention of a frame moving with -beta: a particle at rest gets velocity +beta.
    For large boosts prefer `boost_to_frame`, which takes gamma from a 4-momentum.
    """
    p4 = np.asarray(p4, float)
    beta = np.broadcast_to(np.asarray(beta, float), p4[..., 1:].shape)
    b2 = np.sum(beta * beta, axis=-1)
    gamma = 1.0 / np.sqrt(1.0 - b2)
    return _boost_eta(p4, beta * gamma[..., None], gamma)


def boost_to_frame(p4_rest, frame_p4, frame_mass_GeV=None) -> np.ndarray:
    """Take 4-vectors given in the rest frame of a system to the frame where it has 4-momentum frame_p4.

    gamma = E/M and gamma*beta = p/M are taken directly from frame_p4 (no 1 - beta^2). Pass the
    system's mass when known: recomputing it from E^2 - p^2 loses digits at large boosts.
    """
    frame_p4 = np.asarray(frame_p4, float)
    if frame_mass_GeV is None:
        m = invariant_mass_GeV(frame_p4)
    else:
        m = np.broadcast_to(np.asarray(frame_mass_GeV, float), frame_p4.shape[:-1])
    eta = frame_p4[..., 1:] / m[..., None]
    gamma = frame_p4[..., 0] / m
    return _boost_eta(np.asarray(p4_rest, float), eta, gamma)


def _boost_eta(p4, eta, gamma):
    """Boost with eta = gamma*beta: E' = gamma E + eta.p, p' = p + eta (E + eta.p/(gamma+1))."""
    e = p4[..., 0]
    p = p4[..., 1:]
    eta_p = np.sum(eta * p, axis=-1)
    e_new = gamma * e + eta_p
    p_new = p + eta * (e + eta_p / (gamma + 1.0))[..., None]
    return np.concatenate([e_new[..., None], p_new], axis=-1)


def lab_from_polar(p_GeV, theta_rad, phi_rad, mass_GeV) -> np.ndarray:
    """4-vectors (n, 4) from momentum magnitude, polar angle to +z, azimuth and mass."""
    p = np.asarray(p_GeV, float)
    theta, phi = np.asarray(theta_rad, float), np.asarray(phi_rad, float)
    p, theta, phi = np.broadcast_arrays(p, theta, phi)
    out = np.empty((*p.shape, 4))  # filled in place: this runs once per parent meson
    out[..., 0] = np.hypot(p, np.broadcast_to(np.asarray(mass_GeV, float), p.shape))
    p_t = p * np.sin(theta)
    out[..., 1] = p_t * np.cos(phi)
    out[..., 2] = p_t * np.sin(phi)
    out[..., 3] = p * np.cos(theta)
    return out


def polar_of(p4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p_GeV, theta_rad in [0, pi], phi_rad in (-pi, pi]) of 4-vectors (n, 4).

    theta from atan2(p_T, p_z), which keeps full precision for the tiny angles of forward beams.
    """
    p4 = np.asarray(p4, float)
    px, py, pz = p4[..., 1], p4[..., 2], p4[..., 3]
    pt = np.hypot(px, py)
    return np.hypot(pt, pz), np.arctan2(pt, pz), np.arctan2(py, px)


def decay_two_body(
    parent_p4, m_a_GeV: float, m_b_GeV: float, rng: np.random.Generator, parent_mass_GeV=None,
    keep: tuple[int, ...] = (0, 1),
) -> tuple[np.ndarray, ...]:
    """Decay each parent (n, 4) isotropically in its rest frame to a + b; lab 4-vectors of a and b.

    `keep` selects the daughters returned (0 = a, 1 = b): a caller that needs one daughter
    skips the other's boost. The random draws do not depend on `keep`.
    """
    parent_p4 = np.asarray(parent_p4, float)
    n = parent_p4.shape[0]
    m = invariant_mass_GeV(parent_p4) if parent_mass_GeV is None else parent_mass_GeV
    m = np.broadcast_to(np.asarray(m, float), (n,))
    q = two_body_momentum_GeV(m, m_a_GeV, m_b_GeV)
    if np.any(m < m_a_GeV + m_b_GeV):
        raise ValueError(f"two-body decay closed: M < {m_a_GeV} + {m_b_GeV} GeV")
    n_hat = isotropic_unit_vectors(n, rng)
    p3 = q[:, None] * n_hat
    rest = (lambda: np.concatenate([np.hypot(q, m_a_GeV)[:, None], p3], axis=1),
            lambda: np.concatenate([np.hypot(q, m_b_GeV)[:, None], -p3], axis=1))
    return tuple(boost_to_frame(rest[i](), parent_p4, m) for i in keep)


def photon_energy_range_GeV(p_llp_GeV, m_llp_GeV, e_star_GeV) -> tuple[np.ndarray, np.ndarray]:
    """Lab-energy range (e_min, e_max) of a photon of rest-frame energy E* from an isotropic decay.

    E_lab is uniform on [gamma E*(1 - beta), gamma E*(1 + beta)]; with gamma(1 + beta) = (E + p)/m
    and gamma(1 - beta) = m/(E + p) neither end suffers from cancellation at large boosts.
    """
    p = np.asarray(p_llp_GeV, float)
    m = np.asarray(m_llp_GeV, float)
    e_star = np.asarray(e_star_GeV, float)
    e_plus_p = np.hypot(p, m) + p
    return e_star * m / e_plus_p, e_star * e_plus_p / m


def threshold_efficiency(p_llp_GeV, m_llp_GeV, e_star_GeV, threshold_GeV) -> np.ndarray:
    """Fraction of isotropic decays whose photon has lab energy above threshold (closed form).

    The uniform distribution has width e_max - e_min = 2 gamma beta E* = 2 p E*/m; the fraction is
    (e_max - T)/(e_max - e_min) clipped to [0, 1]. A decay at rest (p = 0) is a step at E*.
    """
    p = np.asarray(p_llp_GeV, float)
    m = np.asarray(m_llp_GeV, float)
    e_star = np.asarray(e_star_GeV, float)
    thr = np.asarray(threshold_GeV, float)
    _, e_max = photon_energy_range_GeV(p, m, e_star)
    width = 2.0 * p * e_star / m
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.clip((e_max - thr) / width, 0.0, 1.0)
    return np.where(width > 0.0, frac, np.where(e_star > thr, 1.0, 0.0))
