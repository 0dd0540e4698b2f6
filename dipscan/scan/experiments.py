"""Experiment response: geometric acceptance and photon selection, per LLP sample and collision.

For one (experiment, mass, channel) the result is a list of decay slices, each with per-sample
weights that contain everything except the branching ratio and the decay probability (which
carry the coupling) and the exposure: weights count LLPs per REFERENCE_COLLISIONS collisions, and
the experiment's collisions multiply the event counts at the end
(`dipscan.scan.events_cache.exposure_scaled`). Geometry modes:
- "paper": the paper's approximation (footnote 2): the LLP direction points into the detector
  (theta < theta_max, or through the far face of a box/cylinder/frustum); one slice.
- "volume": the decay vertex must lie inside the real decay-volume shape; the decay region is cut
  into slices and the vertex is taken at each slice's centre.
- "photon": as "volume", and the photon itself, drawn from the isotropic rest-frame decay, must
  reach the calorimeter face inside its radius with an energy inside the selection window.
Depths are measured along z; the path length differs by 1/cos(theta) <= 1.0004 for theta < 28 mrad.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dipscan.physics.decays.kinematics import (
    boost_to_frame,
    isotropic_unit_vectors,
    lab_from_polar,
    threshold_efficiency,
)
from dipscan.physics.mesons import MESONS
from dipscan.scan.geometry import point_on_line, slice_edges_m
from dipscan.scan.sampling import LLPSamples

if TYPE_CHECKING:  # the configuration layer sits above: annotations only
    from dipscan.config.scenario import ExperimentSpec

# Charm and beauty production grows ~A^1 while the inelastic cross-section grows ~A^0.71, so
# their multiplicity per proton interaction scales as A^0.29 (paper sec. 4.1).
HEAVY_FLAVOUR_PDGIDS = frozenset(p for p, m in MESONS.items() if m.heavy_flavour)
HEAVY_FLAVOUR_EXPONENT = 0.29
#: The exposure the weights count for, instead of the experiment's own: a power of two (so that
#: scaling to the experiment's collisions divides exactly) near the presets' 1e17-1e18
#: collisions, so that the numbers keep the range they had with the exposure in the weights.
#: Per single collision, the Monte Carlo variance (a square) of cells with N < 1e-140 would
#: underflow and the bands there would lose their last digits.
REFERENCE_COLLISIONS = 2.0**60
DECAY_SLICES = 16  # slices of the decay region in the "volume" and "photon" modes

Slices = list[tuple[tuple[float, float], np.ndarray]]


def production_scale(spec: ExperimentSpec, parent_pdgid: int) -> float:
    """Collisions times the nuclear enhancement of heavy flavour for this parent."""
    return spec.exposure.n_collisions() * nuclear_scale(spec, parent_pdgid)


def nuclear_scale(spec: ExperimentSpec, parent_pdgid: int) -> float:
    """The nuclear enhancement of heavy flavour on the experiment's target (1 for light mesons)."""
    if abs(parent_pdgid) in HEAVY_FLAVOUR_PDGIDS:
        return spec.target_mass_number**HEAVY_FLAVOUR_EXPONENT
    return 1.0


def reference_scale(spec: ExperimentSpec, parent_pdgid: int) -> float:
    """What the weights carry of `production_scale`: REFERENCE_COLLISIONS instead of the
    experiment's collisions, times the nuclear enhancement of heavy flavour."""
    return REFERENCE_COLLISIONS * nuclear_scale(spec, parent_pdgid)


def photon_window_efficiency(samples: LLPSamples, e_star_GeV: float,
                             e_low_GeV: float, e_high_GeV: float) -> np.ndarray:
    """Fraction of isotropic decays whose lab photon energy lies in [e_low, e_high] (closed form)."""
    return window_efficiency(samples.p_GeV, samples.llp_mass_GeV, e_star_GeV, e_low_GeV, e_high_GeV)


def window_efficiency(p_GeV: np.ndarray, llp_mass_GeV: float, e_star_GeV: float,
                      e_low_GeV: float, e_high_GeV: float) -> np.ndarray:
    """`photon_window_efficiency` of LLPs of momenta p_GeV."""
    args = (p_GeV, llp_mass_GeV, e_star_GeV)
    above_low = threshold_efficiency(*args, e_low_GeV)
    if not np.isfinite(e_high_GeV):
        return above_low
    return np.clip(above_low - threshold_efficiency(*args, e_high_GeV), 0.0, 1.0)


def max_llp_angle_rad(spec: ExperimentSpec) -> float:
    """Largest polar angle of an LLP that this experiment can accept, in any geometry mode.

    In `paper` mode the cone angle (or the far face seen from the target); otherwise the decay
    vertex must lie inside the volume, whose widest angle from the target is at one of its ends.
    """
    geometry = spec.geometry
    if geometry.mode == "paper" and geometry.theta_max_rad is not None:
        return geometry.theta_max_rad
    ends = (geometry.l_start_m, geometry.l_end_m) if geometry.mode != "paper" else (geometry.l_end_m,)
    return float(geometry.widest_angle_rad(ends))


def pointing_acceptance(spec: ExperimentSpec, samples: LLPSamples) -> np.ndarray:
    """The paper's approximation: 1 where the LLP direction points into the detector."""
    geometry = spec.geometry
    if geometry.theta_max_rad is not None:
        return (samples.theta_rad < geometry.theta_max_rad).astype(float)
    x, y = point_on_line(samples.theta_rad, samples.phi_rad, geometry.l_end_m)
    return geometry.contains(x, y, geometry.l_end_m).astype(float)


def _photon_acceptance(spec: ExperimentSpec, samples: LLPSamples, z_m: float, e_star_GeV: float,
                       rng: np.random.Generator) -> np.ndarray:
    """1 where a photon from a decay at depth z reaches the calorimeter inside the energy window."""
    geometry = spec.geometry
    n = len(samples)
    llp = lab_from_polar(samples.p_GeV, samples.theta_rad, samples.phi_rad, samples.llp_mass_GeV)
    # One direction per decayed parent, kept or not: the stream does not depend on the pre-cut.
    directions = isotropic_unit_vectors(samples.drawn, rng)
    if samples.row is not None:
        directions = directions[samples.row]
    photon_rest = np.concatenate([np.full((n, 1), e_star_GeV), e_star_GeV * directions], axis=1)
    photon = boost_to_frame(photon_rest, llp, samples.llp_mass_GeV)
    energy_ok = (photon[:, 0] >= spec.photon_threshold_GeV) & (photon[:, 0] <= spec.photon_max_GeV)
    z_cal = geometry.calorimeter_z_m if geometry.calorimeter_z_m is not None else geometry.l_end_m
    x0, y0 = point_on_line(samples.theta_rad, samples.phi_rad, z_m)
    forward = photon[:, 3] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(forward, (z_cal - z_m) / photon[:, 3], 0.0)
    x, y = x0 + step * photon[:, 1], y0 + step * photon[:, 2]
    if geometry.calorimeter_radius_m is not None:
        on_face = np.hypot(x, y) < geometry.calorimeter_radius_m
    else:
        on_face = geometry.contains(x, y, z_cal)
    return (forward & energy_ok & on_face).astype(float)


def sample_weights(spec: ExperimentSpec, samples: LLPSamples, e_star_GeV: float,
                   rng: np.random.Generator) -> Slices:
    """[((l_start_m, l_end_m), weights)]: expected LLPs per REFERENCE_COLLISIONS, unit BR and
    f_dec, per decay slice."""
    geometry = spec.geometry
    if len(samples) == 0:
        return []
    base = spec.efficiency * reference_scale(spec, samples.channel.parent_pdgid) * samples.weight
    if geometry.mode == "paper":
        # Most samples miss a narrow detector: the photon window only for those that point in.
        inside = pointing_acceptance(spec, samples) > 0
        weight = np.zeros(len(samples))
        weight[inside] = base[inside] * window_efficiency(
            samples.p_GeV[inside], samples.llp_mass_GeV, e_star_GeV, spec.photon_threshold_GeV,
            spec.photon_max_GeV)
        return [((geometry.l_start_m, geometry.l_end_m), weight)]
    edges = slice_edges_m(geometry.l_start_m, geometry.l_end_m, DECAY_SLICES)
    slices: Slices = []
    energy = None
    for z_lo, z_hi in zip(edges[:-1], edges[1:], strict=True):
        z_mid = 0.5 * (z_lo + z_hi)
        x, y = point_on_line(samples.theta_rad, samples.phi_rad, z_mid)
        inside = geometry.contains(x, y, z_mid).astype(float)
        if geometry.mode == "photon":
            accepted = inside * _photon_acceptance(spec, samples, z_mid, e_star_GeV, rng)
        else:
            if energy is None:
                energy = photon_window_efficiency(samples, e_star_GeV, spec.photon_threshold_GeV,
                                                  spec.photon_max_GeV)
            accepted = inside * energy
        slices.append(((float(z_lo), float(z_hi)), base * accepted))
    return slices


def _region(spec: ExperimentSpec, z_m: float, direction: bool) -> tuple:
    """The acceptance test of the compiled weights (`response_kernels`): the angular cut of mode
    "paper" when `direction` and theta_max_rad is set, else the volume's cross-section at z_m,
    with the polar angles below which a line is surely inside it and above which surely not."""
    from dipscan.scan.response_kernels import RADIAL, RECTANGLE, THETA_CUT

    geometry = spec.geometry
    if direction and geometry.theta_max_rad is not None:
        return THETA_CUT, 0.0, float(geometry.theta_max_rad), 0.0, 0.0, 0.0
    radial, half_x, half_y = geometry.volume.cross_section(z_m, geometry.l_start_m, geometry.l_end_m)
    kind, a, b = (RADIAL, radial, 0.0) if radial is not None else (RECTANGLE, half_x, half_y)
    inner, outer = (a, a) if radial is not None else (min(a, b), float(np.hypot(a, b)))
    margin = 1e-9  # relative, far above the rounding of z tan(theta)
    return (kind, float(z_m), float(a), float(b), float(np.arctan(inner / z_m)) * (1 - margin),
            float(np.arctan(outer / z_m)) * (1 + margin))


Binned = list[tuple[tuple[float, float], tuple[np.ndarray, np.ndarray, np.ndarray]]]


def binned_weights(spec: ExperimentSpec, samples: LLPSamples, e_star_GeV: float,
                   rng: np.random.Generator | None, bin_dex: float) -> Binned:
    """`sample_weights` merged into beta-gamma bins (`reduce.compress_block`): per decay slice,
    (summed weight, weighted-mean beta gamma, summed squared weight) of the occupied bins.

    Modes "paper" and "volume" run as one compiled call for all slices
    (`response_kernels.weigh_and_bin`); mode "photon" (which draws photons) and the numpy
    reference (`DIPSCAN_KERNELS=numpy`) weigh with `sample_weights` and then bin.
    """
    from dipscan.physics.decays.backend import kernel_choice
    from dipscan.scan.reduce import SampleBlock, compress_block

    geometry = spec.geometry
    if geometry.mode == "photon" or kernel_choice() == "numpy" or len(samples) == 0:
        out = []
        for ends, weight in sample_weights(spec, samples, e_star_GeV, rng):
            block = compress_block(SampleBlock("", 0, "", weight, samples.betagamma, *ends), bin_dex)
            out.append((ends, (block.weight, block.betagamma, block.weight_sq)))
        return out
    from dipscan.scan.response_kernels import weigh_and_bin

    scale = float(spec.efficiency * reference_scale(spec, samples.channel.parent_pdgid))
    weight, p, theta, phi = (np.ascontiguousarray(c, dtype=float) for c in (
        samples.weight, samples.p_GeV, samples.theta_rad, samples.phi_rad))
    photon = (float(samples.llp_mass_GeV), float(e_star_GeV), float(spec.photon_threshold_GeV),
              float(spec.photon_max_GeV), float(bin_dex))

    if geometry.mode == "paper":
        ends = [(geometry.l_start_m, geometry.l_end_m)]
        regions = [_region(spec, geometry.l_end_m, direction=True)]
    else:
        edges = slice_edges_m(geometry.l_start_m, geometry.l_end_m, DECAY_SLICES)
        ends = [(float(z_lo), float(z_hi)) for z_lo, z_hi in zip(edges[:-1], edges[1:], strict=True)]
        regions = [_region(spec, 0.5 * (z_lo + z_hi), direction=False)
                   for z_lo, z_hi in zip(edges[:-1], edges[1:], strict=True)]
    bins = weigh_and_bin(weight, scale, p, theta, phi, np.array(regions, dtype=float), *photon)
    return list(zip(ends, bins, strict=True))
