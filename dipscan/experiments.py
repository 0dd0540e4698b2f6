"""Experiment response: geometric acceptance, photon selection and exposure, per LLP sample.

The result for one (experiment, mass, channel) is a per-sample weight that already contains
everything except the branching ratio and the decay probability, which carry the coupling.
"""

from __future__ import annotations

import numpy as np

from dipscan.decays.kinematics import photon_energy_range_GeV
from dipscan.errors import DipscanError
from dipscan.sampling import LLPSamples
from dipscan.scenario import ExperimentSpec

# Charm and beauty production grows ~A^1 while the inelastic cross-section grows ~A^0.71, so
# their multiplicity per proton interaction scales as A^0.29 (paper sec. 4.1).
HEAVY_FLAVOUR_PDGIDS = frozenset({443, 553, 411, 431, 521})
HEAVY_FLAVOUR_EXPONENT = 0.29


def production_scale(spec: ExperimentSpec, parent_pdgid: int) -> float:
    """Collisions times the nuclear enhancement of heavy flavour for this parent."""
    scale = spec.exposure.n_collisions()
    if abs(parent_pdgid) in HEAVY_FLAVOUR_PDGIDS:
        scale *= spec.target_mass_number**HEAVY_FLAVOUR_EXPONENT
    return scale


def photon_window_efficiency(samples: LLPSamples, e_star_GeV: float,
                             e_low_GeV: float, e_high_GeV: float) -> np.ndarray:
    """Fraction of isotropic decays whose lab photon lies in [e_low, e_high].

    The lab energy is uniform between gamma E* (1 - beta) and gamma E* (1 + beta), so the
    fraction is a closed-form overlap of two intervals.
    """
    e_min, e_max = photon_energy_range_GeV(samples.p_GeV, samples.llp_mass_GeV, e_star_GeV)
    span = e_max - e_min
    overlap = np.clip(np.minimum(e_max, e_high_GeV) - np.maximum(e_min, e_low_GeV), 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(span > 0, overlap / np.where(span > 0, span, 1.0), 0.0)
    return np.clip(frac, 0.0, 1.0)


def geometric_acceptance(spec: ExperimentSpec, samples: LLPSamples) -> np.ndarray:
    """1 where the LLP can give a detectable decay, else 0 (the paper's footnote-2 approximation)."""
    geometry = spec.geometry
    if geometry.mode != "paper":
        raise DipscanError(
            f"{spec.preset_path}: geometry.mode: found {geometry.mode!r}; "
            "allowed in this version: 'paper'")
    if geometry.shape == "cone":
        return (samples.theta_rad < geometry.theta_max_rad).astype(float)
    # Other shapes in paper mode: the LLP must point into the detector's far face.
    tan_theta = np.tan(samples.theta_rad)
    x = geometry.l_end_m * tan_theta * np.cos(samples.phi_rad)
    y = geometry.l_end_m * tan_theta * np.sin(samples.phi_rad)
    if geometry.shape == "cylinder":
        return (np.hypot(x, y) < geometry.radius_m).astype(float)
    if geometry.shape == "box":
        return ((np.abs(x) < geometry.width_m / 2) & (np.abs(y) < geometry.height_m / 2)).astype(float)
    if geometry.shape == "frustum":
        inside = (np.abs(x) < geometry.downstream_width_m / 2) & (
            np.abs(y) < geometry.downstream_height_m / 2)
        return inside.astype(float)
    raise DipscanError(f"{spec.preset_path}: geometry.shape: found {geometry.shape!r}")


def sample_weights(spec: ExperimentSpec, samples: LLPSamples, e_star_GeV: float) -> np.ndarray:
    """Expected LLPs in this experiment per unit BR and unit f_dec, for every sample row."""
    if len(samples) == 0:
        return np.empty(0)
    selection = spec.efficiency * photon_window_efficiency(
        samples, e_star_GeV, spec.photon_threshold_GeV, spec.photon_max_GeV)
    return (production_scale(spec, samples.channel.parent_pdgid) * samples.weight
            * geometric_acceptance(spec, samples) * selection)
