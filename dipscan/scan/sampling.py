"""LLP samples per (beam, mass, channel): parent mesons from the tables, decayed by the model.

The LLP kinematics depend on the mass alone, never on the coupling, so they are drawn once per
(beam, mass, channel) and shared by every experiment on that beam and every coupling.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl

from dipscan.physics.decays.backend import kernel_choice
from dipscan.physics.decays.chains import LabCut
from dipscan.physics.decays.kinematics import two_body_momentum_one_GeV
from dipscan.physics.mesons import MESONS
from dipscan.physics.models.base import Channel, Model


@dataclass(frozen=True)
class LLPSamples:
    """One row per LLP that an experiment on the beam could see: how many LLPs per collision it
    stands for (before the BR), and its lab kinematics.

    The rows are those the unit's pre-cut keeps out of `n_drawn` decayed parents; `row` gives
    the index of each among them (None: every decayed parent, in order), so that a stream of
    random numbers per decayed parent (the photons of the "photon" geometry) stays the same
    whether or not a row was cut.
    """

    mass_GeV: float  # the scan mass (M1 or M_N)
    llp_mass_GeV: float
    channel: Channel
    weight: np.ndarray  # parent mesons per collision represented by this row
    p_GeV: np.ndarray
    theta_rad: np.ndarray
    phi_rad: np.ndarray
    row: np.ndarray | None = None
    n_drawn: int | None = None  # parents decayed (None: len(self))

    @property
    def betagamma(self) -> np.ndarray:
        return self.p_GeV / self.llp_mass_GeV

    @property
    def drawn(self) -> int:
        """Parents decayed for this sample, kept or not."""
        return len(self) if self.n_drawn is None else self.n_drawn

    def __len__(self) -> int:
        return self.weight.size

    def subset(self, mask: np.ndarray) -> LLPSamples:
        row = np.flatnonzero(mask) if self.row is None else self.row[mask]
        return LLPSamples(self.mass_GeV, self.llp_mass_GeV, self.channel, self.weight[mask],
                          self.p_GeV[mask], self.theta_rad[mask], self.phi_rad[mask], row,
                          self.drawn)

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays of a sample-cache entry (`from_arrays` reads them back)."""
        row = np.arange(len(self)) if self.row is None else self.row
        return {"weight": self.weight, "p_GeV": self.p_GeV, "theta_rad": self.theta_rad,
                "phi_rad": self.phi_rad, "row": row, "n_drawn": self.drawn}

    @classmethod
    def from_arrays(cls, mass_GeV: float, llp_mass_GeV: float, channel: Channel,
                    arrays: dict) -> LLPSamples:
        return cls(mass_GeV, llp_mass_GeV, channel, arrays["weight"], arrays["p_GeV"],
                   arrays["theta_rad"], arrays["phi_rad"], np.asarray(arrays["row"], np.int64),
                   int(arrays["n_drawn"]))


@dataclass(frozen=True)
class Parents:
    """Parent mesons of one species (one charge): lab momentum, polar angle and weight."""

    p_GeV: np.ndarray
    theta_rad: np.ndarray
    weight: np.ndarray

    @cached_property
    def digest(self) -> str:
        """sha256 of the arrays: the parent sample, as part of a sample-cache key."""
        h = hashlib.sha256()
        for values in (self.p_GeV, self.theta_rad, self.weight):
            h.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        return h.hexdigest()

    @classmethod
    def from_frame(cls, frame: pl.DataFrame, pdgid: int) -> Parents:
        # Tables store neutral mesons under their positive id and charged ones signed.
        rows = frame.filter(pl.col("pdg_id") == pdgid)
        return cls(rows["p_GeV"].to_numpy().astype(np.float64),
                   rows["theta_rad"].to_numpy().astype(np.float64),
                   rows["weight"].to_numpy().astype(np.float64))

    @classmethod
    def by_pdgid(cls, frame: pl.DataFrame) -> dict[int, Parents]:
        """Split a beam's table once, so that each (mass, channel) starts from plain arrays."""
        return {int(pdgid): cls.from_frame(frame, int(pdgid))
                for pdgid in frame["pdg_id"].unique().sort().to_list()}


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


def min_llp_momentum_GeV(llp_mass_GeV: float, e_star_GeV: float, photon_floor_GeV: float) -> float:
    """Smallest LLP momentum whose photon can reach `photon_floor_GeV`: (E + p) >= floor m / E*."""
    k = photon_floor_GeV * llp_mass_GeV / e_star_GeV
    return (k * k - llp_mass_GeV**2) / (2.0 * k) if k > llp_mass_GeV else 0.0


def parents_that_can_contribute(parent_p_GeV: np.ndarray, parent_theta_rad: np.ndarray,
                                parent_mass_GeV: float, llp_mass_GeV: float, e_star_GeV: float,
                                photon_floor_GeV: float = 0.0,
                                theta_accept_rad: float | None = None) -> np.ndarray:
    """True for parents whose decay can give an LLP that passes the photon floor and points
    within `theta_accept_rad` of the beam; an exact bound, never an approximation.

    - Photon: E_gamma <= E* (E + p)/m_LLP and the LLP energy cannot exceed the parent's.
    - Angle: relative to the parent's direction the LLP has transverse momentum <= p*_max (the
      rest-frame momentum against a massless recoil, an upper bound for every channel). An LLP
      faster than p*_max in the lab flies forward of its parent at an angle alpha with
      sin(alpha) <= p*_max/p, so theta_LLP >= theta_parent - alpha.
    """
    keep = np.ones(parent_p_GeV.shape, dtype=bool)
    if photon_floor_GeV > 0.0:
        keep &= max_photon_energy_GeV(parent_p_GeV, parent_mass_GeV, llp_mass_GeV,
                                      e_star_GeV) >= photon_floor_GeV
    limit = theta_limit(llp_mass_GeV, parent_mass_GeV, e_star_GeV, photon_floor_GeV,
                        theta_accept_rad)
    if limit < np.inf:
        keep &= parent_theta_rad <= limit
    return keep


def theta_limit(llp_mass_GeV: float, parent_mass_GeV: float, e_star_GeV: float,
                photon_floor_GeV: float, theta_accept_rad: float | None) -> float:
    """Largest parent polar angle that can still give an accepted LLP (inf: no bound)."""
    if theta_accept_rad is None:
        return np.inf
    p_star_max = two_body_momentum_one_GeV(parent_mass_GeV, llp_mass_GeV, 0.0)
    p_min = min_llp_momentum_GeV(llp_mass_GeV, e_star_GeV, photon_floor_GeV)
    if p_min > p_star_max:
        return float(theta_accept_rad + np.arcsin(p_star_max / p_min))
    return np.inf


def sample_channel(model: Model, channel: Channel, mass_GeV: float, parents: Parents,
                   rng: np.random.Generator, photon_floor_GeV: float = 0.0,
                   max_samples: int | None = None,
                   theta_accept_rad: float | None = None) -> LLPSamples:
    """Decay every parent meson (of `channel`'s parent species) once into the LLP; keep the LLPs
    that some experiment could see.

    Parents that cannot give an LLP inside `theta_accept_rad` with a photon above
    `photon_floor_GeV` (the loosest acceptance and threshold of the experiments on this beam)
    are dropped before decaying: an exact cut (`parents_that_can_contribute`).
    If more than `max_samples` parents remain, a uniform random subset of that size is decayed
    with its weights scaled up by the inverse fraction (unbiased; costs statistics, not accuracy).
    Every remaining parent is decayed (`n_drawn`); the LLPs beyond `theta_accept_rad` are then
    left out (`LabCut`, with a margin): they carry no weight for any experiment on the beam.
    """
    llp_mass = model.llp_mass_GeV(mass_GeV)
    e_star = model.photon_energy_rest_GeV(mass_GeV)
    chosen = _contributing(parents.p_GeV, parents.theta_rad,
                           MESONS[abs(channel.parent_pdgid)].mass_GeV, llp_mass, e_star,
                           photon_floor_GeV, theta_accept_rad)
    scale = 1.0
    if max_samples is not None and chosen.size > max_samples:
        scale = chosen.size / max_samples
        picked = np.zeros(chosen.size, dtype=bool)  # the drawn subset in order, without a sort
        picked[rng.choice(chosen.size, size=max_samples, replace=False)] = True
        chosen = chosen[picked]
    if chosen.size == 0:
        empty = np.empty(0)
        return LLPSamples(mass_GeV, llp_mass, channel, empty, empty, empty, empty,
                          np.empty(0, np.int64), 0)
    cut = LabCut.from_acceptance(theta_accept_rad)
    llps = model.sample_llp(channel, mass_GeV, parents.p_GeV[chosen], parents.theta_rad[chosen],
                            rng, cut)
    weight = parents.weight[chosen[llps.row]]
    return LLPSamples(mass_GeV, llp_mass, channel, weight * scale if scale != 1.0 else weight,
                      llps.p_GeV, llps.theta_rad, llps.phi_rad, llps.row, int(chosen.size))


def _contributing(p_parent: np.ndarray, theta_parent: np.ndarray, parent_mass_GeV: float,
                  llp_mass_GeV: float, e_star_GeV: float, photon_floor_GeV: float,
                  theta_accept_rad: float | None):
    """Indices of the parents `parents_that_can_contribute` keeps (numpy path), or of the same
    parents from one branch-free compiled pass (compiled path)."""
    if kernel_choice() == "numpy":
        return np.flatnonzero(parents_that_can_contribute(
            p_parent, theta_parent, parent_mass_GeV, llp_mass_GeV, e_star_GeV, photon_floor_GeV,
            theta_accept_rad))
    from dipscan.physics.decays import kernels  # numba only when samples are drawn

    return kernels.contributing_parents(p_parent, theta_parent, parent_mass_GeV**2, e_star_GeV,
                                        llp_mass_GeV, photon_floor_GeV,
                                        theta_limit(llp_mass_GeV, parent_mass_GeV, e_star_GeV,
                                                    photon_floor_GeV, theta_accept_rad))
