"""Prescales and normalisation of meson samples: pure functions over numpy arrays.

A production records every instance of a species (see ``beams`` for the feed-down convention).
In each polar-angle bin only one meson in ``factor`` is kept (a uniform draw u < 1/factor); a kept
row stands for ``factor`` mesons.  The weights are then scaled so that the weights of a species
sum to its multiplicity per p-p collision:  w_i = M * factor_i / sum_k factor_k.
"""

from __future__ import annotations

import numpy as np


def prescale_factors(
    theta_rad: np.ndarray, theta_max_rad: np.ndarray, factor: np.ndarray
) -> np.ndarray:
    """Prescale factor of each meson: bin k holds theta in [theta_max_rad[k-1], theta_max_rad[k])."""
    edges = np.asarray(theta_max_rad, dtype=np.float64)
    idx = np.searchsorted(edges, np.asarray(theta_rad, dtype=np.float64), side="right")
    return np.asarray(factor, dtype=np.float64)[np.minimum(idx, edges.size - 1)]


def keep_mask(factor: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Keep a meson with probability 1/factor, given one uniform draw u in [0, 1) per meson."""
    return np.asarray(u) * np.asarray(factor) < 1.0


def normalised_weights(factor: np.ndarray, multiplicity: float) -> np.ndarray:
    """Weights proportional to the prescale factors of the kept rows, summing to ``multiplicity``."""
    factor = np.asarray(factor, dtype=np.float64)
    total = factor.sum()
    if factor.size == 0 or not total > 0:
        raise ValueError("no rows to normalise")
    return factor * (multiplicity / total)


def split_weights(
    pdg_id: np.ndarray, factor: np.ndarray, particle: float, antiparticle: float
) -> np.ndarray:
    """As ``normalised_weights``, with rows of positive and negative PDG id normalised separately."""
    pdg_id = np.asarray(pdg_id)
    w = np.empty(pdg_id.shape, dtype=np.float64)
    pos = pdg_id > 0
    w[pos] = normalised_weights(np.asarray(factor)[pos], particle)
    w[~pos] = normalised_weights(np.asarray(factor)[~pos], antiparticle)
    return w


def raw_multiplicity(
    count: int,
    n_events: int,
    mode: str,
    sigma_gen_mb: float = float("nan"),
    sigma_tot_mb: float = float("nan"),
) -> float:
    """PYTHIA8's own multiplicity per p-p collision.

    ``per-event``: count / n_events (minimum bias, each event one collision).
    ``cross-section``: sigma_gen / sigma_tot * count / n_events (a hard-process sample is a
    fraction sigma_gen / sigma_tot of all collisions).
    """
    per_event = count / n_events
    if mode == "per-event":
        return per_event
    if mode == "cross-section":
        return sigma_gen_mb / sigma_tot_mb * per_event
    raise ValueError(f"unknown raw-multiplicity mode {mode!r}")


def rapidity(p_GeV: np.ndarray, theta_rad: np.ndarray, mass_GeV: float) -> np.ndarray:
    """Rapidity along +z of particles of mass ``mass_GeV``: y = artanh(p_z / E)."""
    p = np.asarray(p_GeV, dtype=np.float64)
    pz = p * np.cos(np.asarray(theta_rad, dtype=np.float64))
    energy = np.sqrt(p * p + mass_GeV * mass_GeV)
    return 0.5 * np.log((energy + pz) / (energy - pz))


def window_weight(p_GeV: np.ndarray, theta_rad: np.ndarray, weight: np.ndarray, mass_GeV: float,
                  y_min: float, y_max: float, pt_max_GeV: float) -> float:
    """Summed weight of the rows with y_min < y < y_max (along +z) and pT < pt_max_GeV."""
    y = rapidity(p_GeV, theta_rad, mass_GeV)
    pt = np.asarray(p_GeV, dtype=np.float64) * np.sin(np.asarray(theta_rad, dtype=np.float64))
    inside = (y > y_min) & (y < y_max) & (pt < pt_max_GeV)
    return float(np.asarray(weight, dtype=np.float64)[inside].sum())


def measured_scale(window_weight_per_collision: float, measured_per_collision: float) -> float:
    """Factor that brings the weight inside a measured window to the measured multiplicity."""
    if not window_weight_per_collision > 0:
        raise ValueError("no rows inside the measured window")
    return measured_per_collision / window_weight_per_collision
