"""LLP samples per (beam, mass, channel): parent mesons from the tables, decayed by the model.

The LLP kinematics depend on the mass alone, never on the coupling, so they are drawn once per
(beam, mass, channel) and shared by every experiment on that beam and every coupling.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from dipscan.mesons import MESONS
from dipscan.models.base import Channel, Model


@dataclass(frozen=True)
class LLPSamples:
    """One row per LLP: how many LLPs per collision it stands for (before the BR), and its lab kinematics."""

    mass_GeV: float  # the scan mass (M1 or M_N)
    llp_mass_GeV: float
    channel: Channel
    weight: np.ndarray  # parent mesons per collision represented by this row (sum = multiplicity)
    p_GeV: np.ndarray
    theta_rad: np.ndarray
    phi_rad: np.ndarray

    @property
    def betagamma(self) -> np.ndarray:
        return self.p_GeV / self.llp_mass_GeV

    def __len__(self) -> int:
        return self.weight.size


def channel_rng(seed: int, beam: str, mass_index: int, channel: Channel) -> np.random.Generator:
    """A generator that depends only on (seed, beam, mass index, channel): reruns give the same bytes."""
    key = [seed, zlib.crc32(beam.encode()), mass_index, zlib.crc32(channel.name.encode())]
    return np.random.default_rng(np.random.SeedSequence(key))


def max_photon_energy_GeV(parent_p_GeV: np.ndarray, parent_mass_GeV: float,
                          llp_mass_GeV: float, e_star_GeV: float) -> np.ndarray:
    """Exact upper bound on the lab photon energy from an LLP born in this parent's decay.

    gamma (1 + beta) = (E + p)/m is largest for the largest LLP energy, which cannot exceed the
    parent's: E_gamma <= E* (E_parent + p_parent) / m_LLP.
    """
    e_parent = np.sqrt(parent_p_GeV**2 + parent_mass_GeV**2)
    return e_star_GeV * (e_parent + parent_p_GeV) / llp_mass_GeV


def sample_channel(model: Model, channel: Channel, mass_GeV: float, parents: pl.DataFrame,
                   rng: np.random.Generator, photon_floor_GeV: float = 0.0,
                   max_samples: int | None = None) -> LLPSamples:
    """Decay every parent meson of `channel` once into the LLP.

    Parents that cannot give a photon above `photon_floor_GeV` (the lowest threshold of the
    experiments on this beam) are dropped before decaying: an exact cut, never an approximation.
    If more than `max_samples` parents remain, a uniform random subset of that size is decayed
    with its weights scaled up by the inverse fraction (unbiased; costs statistics, not accuracy).
    """
    # Tables store neutral mesons under their positive id and charged ones signed.
    rows = parents.filter(pl.col("pdg_id") == channel.parent_pdgid)
    p_parent = rows["p_GeV"].to_numpy().astype(np.float64)
    theta_parent = rows["theta_rad"].to_numpy().astype(np.float64)
    weight = rows["weight"].to_numpy().astype(np.float64)
    llp_mass = model.llp_mass_GeV(mass_GeV)
    if photon_floor_GeV > 0.0 and p_parent.size:
        bound = max_photon_energy_GeV(p_parent, MESONS[abs(channel.parent_pdgid)].mass_GeV,
                                      llp_mass, model.photon_energy_rest_GeV(mass_GeV))
        keep = bound >= photon_floor_GeV
        p_parent, theta_parent, weight = p_parent[keep], theta_parent[keep], weight[keep]
    if max_samples is not None and p_parent.size > max_samples:
        chosen = np.sort(rng.choice(p_parent.size, size=max_samples, replace=False))
        scale = p_parent.size / max_samples
        p_parent, theta_parent, weight = p_parent[chosen], theta_parent[chosen], weight[chosen] * scale
    if p_parent.size == 0:
        empty = np.empty(0)
        return LLPSamples(mass_GeV, llp_mass, channel, empty, empty, empty, empty)
    p, theta, phi = model.sample_llp(channel, mass_GeV, p_parent, theta_parent, rng)
    return LLPSamples(mass_GeV, llp_mass, channel, weight, np.asarray(p, float),
                      np.asarray(theta, float), np.asarray(phi, float))
