"""From parent mesons to LLPs in the lab: the decay chains of every model, with the pre-cut.

A chain draws the parent azimuth, decays each parent (isotropic two-body, or a Dalitz-sampled
three-body decay rotated at random), boosts the LLP to the lab and keeps the LLPs that some
experiment on the beam could see (`LabCut`). Two paths do this with the same random numbers in
the same order: the compiled kernels (`kernels`, the default) and the straightforward numpy
reference (`DIPSCAN_KERNELS=numpy`); they agree sample by sample to rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from dipscan.physics.decays.backend import kernel_choice
from dipscan.physics.decays.dalitz import DalitzSampler, decay_three_body
from dipscan.physics.decays.kinematics import (
    decay_two_body,
    lab_from_polar,
    polar_of,
    two_body_momentum_one_GeV,
)

# Margin of the pre-cut, far above rounding (1e-16) and far below any physics scale: an LLP
# within it of the widest accepted angle is kept, and the experiments' own selection decides.
ANGLE_MARGIN = 1e-9


class LabLLPs(NamedTuple):
    """The LLPs a chain keeps: lab momentum, polar angle, azimuth, and the row of each in the
    decayed sample (its index among all parents decayed, kept or not)."""

    p_GeV: np.ndarray
    theta_rad: np.ndarray
    phi_rad: np.ndarray
    row: np.ndarray


@dataclass(frozen=True)
class LabCut:
    """LLPs no experiment on the beam can see: polar angle above `theta_max_rad` (the widest
    accepted angle of the experiments that read the samples, with a relative margin)."""

    theta_max_rad: float = math.inf

    @classmethod
    def from_acceptance(cls, theta_accept_rad: float | None) -> LabCut:
        return cls(math.inf if theta_accept_rad is None else theta_accept_rad * (1.0 + ANGLE_MARGIN))

    def keep(self, p_GeV: np.ndarray, theta_rad: np.ndarray) -> np.ndarray:
        """The numpy reference of the cut: True for LLPs kept."""
        return theta_rad <= self.theta_max_rad

    def kernel_args(self) -> tuple[float, float]:
        """(theta_max, tan^2 of it with a 1e-6 margin for the fast test, or -1 for none)."""
        fast = (math.tan(self.theta_max_rad) ** 2 * (1.0 + 1e-6)
                if self.theta_max_rad < 0.5 * math.pi else -1.0)
        return float(self.theta_max_rad), fast


NO_CUT = LabCut()


def two_body_llp(parent_p_GeV: np.ndarray, parent_theta_rad: np.ndarray, parent_mass_GeV: float,
                 m_other_GeV: float, m_llp_GeV: float, rng: np.random.Generator,
                 cut: LabCut = NO_CUT) -> LabLLPs:
    """LLPs (mass m_llp) from isotropic two-body decays P -> other + LLP of the parents, drawn in
    the order: parent azimuths, then the cos(theta) and phi of the decay directions."""
    p_parent = np.ascontiguousarray(parent_p_GeV, float)
    theta_parent = np.ascontiguousarray(parent_theta_rad, float)
    if kernel_choice() == "numpy":
        parent = lab_from_polar(p_parent, theta_parent, rng.uniform(0.0, 2.0 * math.pi, p_parent.size),
                                parent_mass_GeV)
        (llp,) = decay_two_body(parent, m_other_GeV, m_llp_GeV, rng, parent_mass_GeV=parent_mass_GeV,
                                keep=(1,))
        return _reference_cut(polar_of(llp), cut)
    from dipscan.physics.decays import kernels  # numba only when samples are drawn

    n = p_parent.size
    u_phi = rng.random(n)  # parent azimuth
    u_cos, u_azimuth = rng.random(n), rng.random(n)  # isotropic direction
    q = two_body_momentum_one_GeV(parent_mass_GeV, m_other_GeV, m_llp_GeV)
    args = (p_parent, theta_parent, u_phi, u_cos, u_azimuth, float(parent_mass_GeV), q,
            math.hypot(q, m_llp_GeV))
    return LabLLPs(*kernels.run_chain("two", n, args, cut.kernel_args()))


def three_body_llp(parent_p_GeV: np.ndarray, parent_theta_rad: np.ndarray,
                   sampler: DalitzSampler, rng: np.random.Generator,
                   cut: LabCut = NO_CUT) -> LabLLPs:
    """LLPs = particle 3 of the sampler's decay, drawn in the order: parent azimuths, the Dalitz
    sample (`DalitzSampler.sample`), then the random rotations (`random_rotations`)."""
    p_parent = np.ascontiguousarray(parent_p_GeV, float)
    theta_parent = np.ascontiguousarray(parent_theta_rad, float)
    if kernel_choice() == "numpy":
        parent = lab_from_polar(p_parent, theta_parent, rng.uniform(0.0, 2.0 * math.pi, p_parent.size),
                                sampler.mass_GeV)
        (llp,) = decay_three_body(parent, sampler, rng, keep=(2,))
        return _reference_cut(polar_of(llp), cut)
    from dipscan.physics.decays import dalitz_kernels, kernels  # numba only when samples are drawn

    n = p_parent.size
    u_phi = rng.random(n)
    m12sq, m23sq = sampler.sample(n, rng, steps=dalitz_kernels.CompiledSteps(sampler))
    normals = rng.standard_normal((n, 4))
    masses = (sampler.mass_GeV, sampler.m1, sampler.m2, sampler.m3)
    args = (p_parent, theta_parent, u_phi, m12sq, m23sq, normals, masses)
    return LabLLPs(*kernels.run_chain("three", n, args, cut.kernel_args()))


def _reference_cut(polar: tuple[np.ndarray, np.ndarray, np.ndarray], cut: LabCut) -> LabLLPs:
    p, theta, phi = polar
    rows = np.flatnonzero(cut.keep(p, theta))
    return LabLLPs(p[rows], theta[rows], phi[rows], rows)
