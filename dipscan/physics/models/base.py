"""What every dipole model offers the rest of dipscan.

The scan mass (`mass_GeV`) is the model's own mass parameter: M1 for the dark-dark dipole, M_N
for the active-sterile neutrino dipole. Widths are returned per unit coupling squared (GeV^3) so
that the coupling grid is a cheap column operation: Gamma = coupling_GeVinv**2 * width_per_d2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from dipscan.errors import DipscanError
from dipscan.physics.decays.chains import NO_CUT, LabCut, LabLLPs
from dipscan.physics.mesons import meson

TWO_BODY = "two_body"
THREE_BODY = "three_body"


@dataclass(frozen=True)
class Channel:
    """One production channel of the long-lived particle (LLP) from a parent meson."""

    name: str  # e.g. "rho0 -> chi1 chi2", "pi0 -> gamma chi1 chi2"
    parent_pdgid: int  # signed: K- (-321) and K+ (321) are separate channels
    kind: str  # TWO_BODY or THREE_BODY


@dataclass(frozen=True)
class Param:
    """One parameter of a model: a key of the scenario's [model] table and `dipscan physics --NAME`.

    A number greater than `gt` when `choices` is empty, else one of the strings in `choices`.
    """

    name: str
    doc: str
    gt: float | None = None
    choices: tuple[str, ...] = ()

    def check(self, kind: str, value: object) -> None:
        """DipscanError unless `value` is allowed (models built outside a scenario file, too)."""
        if self.choices:
            if value not in self.choices:
                raise DipscanError(f"{kind}: {self.name} must be one of {', '.join(self.choices)}, "
                                   f"got {value!r}")
            return
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not (number and math.isfinite(value) and (self.gt is None or value > self.gt)):
            bound = f" > {self.gt:g}" if self.gt is not None else ""
            raise DipscanError(f"{kind}: {self.name} must be a finite number{bound}, got {value!r}")


def branching_ratio_from_widths(new_width_GeV, parent_total_width_GeV):
    """BR = Gamma_new / (Gamma_total + Gamma_new): stays below 1 when Gamma_new is not small.

    Couplings where Gamma_new is comparable to the parent's width are also where the effective
    operator stops being credible; callers flag them (docs/physics.md, "Production channels").
    """
    new = np.asarray(new_width_GeV, float)
    return new / (parent_total_width_GeV + new)


@runtime_checkable
class Model(Protocol):
    """A dipole model: LLP properties, production channels, widths and LLP kinematics."""

    def llp_mass_GeV(self, mass_GeV: float) -> float:
        """Mass of the long-lived (decaying) state."""
        ...

    def llp_width_per_d2(self, mass_GeV: float) -> float:
        """Gamma(LLP -> lighter state + photon) / d^2 in GeV^3 (A.1)."""
        ...

    def photon_energy_rest_GeV(self, mass_GeV: float) -> float:
        """Photon energy E* in the LLP rest frame."""
        ...

    def channels(self, mass_GeV: float) -> list[Channel]:
        """Kinematically open production channels at this mass."""
        ...

    def channel_width_per_d2(self, channel: Channel, mass_GeV: float) -> float:
        """Gamma(parent -> channel) / d^2 in GeV^3."""
        ...

    def branching_ratio(self, channel: Channel, mass_GeV: float, coupling_GeVinv):
        """Gamma_new / (Gamma_total(parent) + Gamma_new), vectorised over the coupling."""
        ...

    def sample_llp(
        self,
        channel: Channel,
        mass_GeV: float,
        parent_p_GeV: np.ndarray,
        parent_theta_rad: np.ndarray,
        rng: np.random.Generator,
        cut: LabCut = NO_CUT,
    ) -> LabLLPs:
        """One LLP per parent, lab frame, beam along +z: (p_GeV, theta_rad, phi_rad, row) of those
        `cut` keeps, `row` being the index of each among the parents (dipscan.physics.decays.chains)."""
        ...


class MesonDecayModel:
    """What every model of meson-decay production shares: the open-channel check and the BR.

    Subclasses define `channels`, `channel_width_per_d2`, `_describe()` (the model and its
    parameters, for messages) and `MASS_SYMBOL` (the scan mass in messages); a registered model
    also declares (dipscan.physics.models.registry) KIND, PARAMS, MASS_LABEL, DESCRIPTION and plot_title.
    """

    MASS_SYMBOL = "M"
    KIND = "model"
    PARAMS: tuple[Param, ...] = ()

    def __post_init__(self):
        for p in self.PARAMS:
            p.check(self.KIND, getattr(self, p.name))

    def _describe(self) -> str:  # pragma: no cover - overridden
        return type(self).__name__

    def sample_params(self, channel: Channel) -> dict[str, object]:
        """The parameters the LLP samples of `channel` depend on: all of them unless a model
        says otherwise (sampling units that agree on these share their samples)."""
        return {p.name: getattr(self, p.name) for p in self.PARAMS}

    def _check_open(self, channel: Channel, mass_GeV: float) -> None:
        if channel not in self.channels(mass_GeV):
            raise DipscanError(
                f"{self._describe()}: channel {channel.name!r} is not open "
                f"at {self.MASS_SYMBOL} = {mass_GeV} GeV"
            )

    def branching_ratio(self, channel: Channel, mass_GeV: float, coupling_GeVinv):
        width = self.channel_width_per_d2(channel, mass_GeV)
        new = np.asarray(coupling_GeVinv, float) ** 2 * width
        return branching_ratio_from_widths(new, meson(channel.parent_pdgid).width_GeV)
