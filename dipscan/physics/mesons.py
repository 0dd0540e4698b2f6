"""Parent mesons and the leptons of their decays: masses, widths and decay constants.

Masses and total widths come from the `particle` package (PDG tables, MeV) and are converted to
GeV here, at the edge. The decay constants use three different conventions and live in three
differently named fields so that they cannot be mixed up (docs/physics.md, "Production channels"):

- `f_V_GeV` (vector mesons): defined through Gamma(V -> e+e-) = 4 pi alpha^2 Q^2 f_V^2 / (3 M_V)
  with the effective quark charge `q_eff`, and derived from the measured leptonic width, so that
  f_V and Q are consistent by construction (A.2 only depends on Q^2 f_V^2).
- `F_P_GeV` (neutral pseudoscalars, "92 MeV" normalisation of the anomaly vertex in A.4): the
  effective value that reproduces the measured Gamma(P -> gamma gamma) = alpha^2 M^3/(64 pi^3 F^2).
- `f_flag_GeV` (charged pseudoscalars, "130 MeV" normalisation of A.7): FLAG averages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dipscan.physics.constants import ALPHA_EM
from dipscan.physics.pdg import pdg_entry

_keV = 1.0e-6
_MeV_PER_GeV = 1000.0


@dataclass(frozen=True)
class Meson:
    """One parent meson. Optional fields are None where they do not apply to the meson's kind."""

    pdgid: int
    name: str
    mass_GeV: float
    width_GeV: float  # total width
    kind: str  # "vector", "neutral_pseudoscalar" or "charged_pseudoscalar"
    charge: int = 0  # of the species with the positive id (K+, D+); its conjugate has -charge
    heavy_flavour: bool = False  # holds a c or b quark (nuclear A^0.29 scaling applies)
    # vector mesons (A.2)
    q_eff: float | None = None  # effective quark charge in units of e
    gamma_ee_GeV: float | None = None  # Gamma(V -> e+ e-)
    f_V_GeV: float | None = None  # from gamma_ee_GeV and q_eff
    # neutral pseudoscalars (A.4), "92 MeV" normalisation
    gamma_gg_GeV: float | None = None  # Gamma(P -> gamma gamma) = total width x BR
    F_P_GeV: float | None = None  # reproduces gamma_gg_GeV
    # charged pseudoscalars (A.7), FLAG "130 MeV" normalisation
    f_flag_GeV: float | None = None
    v_ckm: float | None = None  # |V_CKM| of the leptonic transition


def f_vector_from_gamma_ee(mass_GeV: float, gamma_ee_GeV: float, q_eff: float) -> float:
    """f_V from Gamma(V -> e+e-) = 4 pi alpha^2 Q^2 f_V^2 / (3 M_V)."""
    return math.sqrt(3.0 * mass_GeV * gamma_ee_GeV / (4.0 * math.pi * ALPHA_EM**2 * q_eff**2))


def gamma_ee_from_f_vector(mass_GeV: float, f_V_GeV: float, q_eff: float) -> float:
    """Inverse of f_vector_from_gamma_ee."""
    return 4.0 * math.pi * ALPHA_EM**2 * q_eff**2 * f_V_GeV**2 / (3.0 * mass_GeV)


def F_anomaly_from_gamma_gg(mass_GeV: float, gamma_gg_GeV: float) -> float:
    """F_P ("92 MeV" normalisation) from Gamma(P -> gamma gamma) = alpha^2 M^3 / (64 pi^3 F^2)."""
    return math.sqrt(ALPHA_EM**2 * mass_GeV**3 / (64.0 * math.pi**3 * gamma_gg_GeV))


def gamma_gg_from_F_anomaly(mass_GeV: float, F_P_GeV: float) -> float:
    """Inverse of F_anomaly_from_gamma_gg."""
    return ALPHA_EM**2 * mass_GeV**3 / (64.0 * math.pi**3 * F_P_GeV**2)


def _heavy(pdgid: int) -> bool:
    return pdg_entry(pdgid).has_charm_or_bottom


def _pdg(pdgid: int) -> tuple[float, float]:
    """(mass, total width) in GeV from the particle package (which stores MeV)."""
    # Division (correctly rounded) keeps 775.26 MeV -> 0.77526 GeV exact to the last digit.
    p = pdg_entry(pdgid)
    return p.mass_MeV / _MeV_PER_GeV, p.width_MeV / _MeV_PER_GeV


# Effective charges of the quark content (only Q^2 enters; docs/physics.md, "Production channels").
_Q_EFF = {
    113: 1.0 / math.sqrt(2.0),  # rho0: (u ubar - d dbar)/sqrt2
    223: 1.0 / (3.0 * math.sqrt(2.0)),  # omega: (u ubar + d dbar)/sqrt2
    333: -1.0 / 3.0,  # phi: s sbar
    443: 2.0 / 3.0,  # J/psi: c cbar
    553: -1.0 / 3.0,  # Upsilon(1S): b bbar
}

# Gamma(V -> e+ e-), PDG 2024 (Review of Particle Physics, Phys. Rev. D 110, 030001).
# rho0, J/psi and Upsilon(1S): the quoted partial widths. omega and phi: total width x
# B(V -> e+e-) (omega: 8.68 MeV x 7.39e-5; phi: 4.249 MeV x 2.979e-4).
_GAMMA_EE_keV = {
    113: 7.04,
    223: 8.68e3 * 7.39e-5,
    333: 4.249e3 * 2.979e-4,
    443: 5.53,
    553: 1.340,
}

# B(P -> gamma gamma), PDG 2024; Gamma(P -> gamma gamma) = total width (particle) x B.
_BR_GAMMA_GAMMA = {
    111: 0.98823,
    221: 0.3936,
    331: 0.02307,
}

# FLAG 2021 (N_f = 2+1+1) decay constants [GeV], "130 MeV" normalisation, and PDG |V_CKM|
# (docs/physics.md, "Production channels").
_FLAG_AND_CKM = {
    321: (0.1557, 0.2243),  # K+: f_K, |V_us|
    411: (0.2120, 0.221),  # D+: f_D, |V_cd|
    431: (0.2499, 0.975),  # Ds+: f_Ds, |V_cs|
    521: (0.1900, 3.82e-3),  # B+: f_B, |V_ub|
}

_NAMES = {
    111: "pi0",
    221: "eta",
    331: "eta'",
    113: "rho0",
    223: "omega",
    333: "phi",
    443: "J/psi",
    553: "Upsilon(1S)",
    321: "K+",
    411: "D+",
    431: "Ds+",
    521: "B+",
}


def _build() -> dict[int, Meson]:
    mesons: dict[int, Meson] = {}
    for pdgid, q in _Q_EFF.items():
        m, w = _pdg(pdgid)
        gee = _GAMMA_EE_keV[pdgid] * _keV
        mesons[pdgid] = Meson(
            pdgid, _NAMES[pdgid], m, w, "vector", heavy_flavour=_heavy(pdgid),
            q_eff=q, gamma_ee_GeV=gee, f_V_GeV=f_vector_from_gamma_ee(m, gee, q),
        )  # fmt: skip
    for pdgid, br in _BR_GAMMA_GAMMA.items():
        m, w = _pdg(pdgid)
        ggg = w * br
        mesons[pdgid] = Meson(
            pdgid, _NAMES[pdgid], m, w, "neutral_pseudoscalar", heavy_flavour=_heavy(pdgid),
            gamma_gg_GeV=ggg, F_P_GeV=F_anomaly_from_gamma_gg(m, ggg),
        )  # fmt: skip
    for pdgid, (f, v) in _FLAG_AND_CKM.items():
        m, w = _pdg(pdgid)
        mesons[pdgid] = Meson(
            pdgid, _NAMES[pdgid], m, w, "charged_pseudoscalar", charge=1,
            heavy_flavour=_heavy(pdgid), f_flag_GeV=f, v_ckm=v,
        )  # fmt: skip
    return mesons


MESONS: dict[int, Meson] = _build()

# Charged-lepton masses [GeV] by flavour, from the particle package (PDG).
LEPTON_MASS_GeV: dict[str, float] = {
    "e": pdg_entry(11).mass_MeV / _MeV_PER_GeV,
    "mu": pdg_entry(13).mass_MeV / _MeV_PER_GeV,
    "tau": pdg_entry(15).mass_MeV / _MeV_PER_GeV,
}


def pdgids(kind: str) -> tuple[int, ...]:
    """The (positive) PDG ids of one kind of parent, in the order of the table: the channel order."""
    return tuple(pdgid for pdgid, m in MESONS.items() if m.kind == kind)


def meson(pdgid: int) -> Meson:
    """The meson of a PDG id; a negative id (charge conjugate) gives the same masses and widths."""
    return MESONS[abs(int(pdgid))]


def charge_conjugate_name(name: str) -> str:
    """'K+' -> 'K-', 'Ds+' -> 'Ds-' (names in MESONS end with their charge sign)."""
    if name.endswith("+"):
        return name[:-1] + "-"
    if name.endswith("-"):
        return name[:-1] + "+"
    return name
