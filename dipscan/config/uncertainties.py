"""The inputs of the uncertainty bands: beam-preset defaults and a scenario's overrides.

A beam preset's ``[uncertainties]`` declares, each with its source, the normalisation uncertainty
of its species (``[uncertainties.normalisation] NAME = { relative, source }``), the uncertainty of
the heavy-flavour A-exponent (``a_exponent = { sigma, source }``) and whether the Monte Carlo
statistics of the samples count (``mc_statistics``).  A scenario's ``[uncertainties]`` may switch
the bands off (``enabled = false``) or override ``mc_statistics``, ``a_exponent_sigma`` and
``[uncertainties.normalisation] NAME = relative`` for every beam it uses.  How the inputs combine:
``dipscan.scan.bands``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from dipscan.config.presets import beam_path
from dipscan.errors import ScenarioError, Shown
from dipscan.io.toml_loader import Strict, flag, load, number, read_toml, shown
from dipscan.production.beams import BeamUncertainties

SHAPE_NOTE = ("alternative production table (shape variation): not included, no beam preset "
              "ships a second table")
COMBINATION = ("per grid cell on the log scale: s_i = (N_i/N) ln(1+r_i) per species, "
               "(N_HF/N) sigma ln A for the A-exponent, ln(1+sqrt(var)/N) for MC statistics; "
               "s = quadrature sum; pessimistic N exp(-s), optimistic N exp(+s)")


@dataclass(frozen=True)
class NormalisationInput:
    beam: str
    pdgid: int
    species: str
    relative: float
    source: str

    @property
    def name(self) -> str:
        return f"normalisation:{self.species}"


@dataclass(frozen=True)
class ExponentInput:
    beam: str
    sigma: float
    source: str


@dataclass(frozen=True)
class UncertaintySpec:
    """The resolved inputs of a scenario's bands (beam defaults with the scenario's overrides)."""

    enabled: bool = False
    mc_statistics: bool = False
    normalisation: tuple[NormalisationInput, ...] = ()
    a_exponent: tuple[ExponentInput, ...] = ()

    def describe(self) -> dict:
        """Every variation and its source, for provenance."""
        return {
            "enabled": self.enabled,
            "combination": COMBINATION,
            "mc_statistics": self.mc_statistics,
            "normalisation": [{"beam": n.beam, "species": n.species, "pdgid": n.pdgid,
                               "relative": n.relative, "source": n.source}
                              for n in self.normalisation],
            "a_exponent": [{"beam": a.beam, "sigma": a.sigma, "source": a.source}
                           for a in self.a_exponent],
            "shape_variation": SHAPE_NOTE,
            "approximations": [
                "species normalisations are varied independently (correlated mis-modelling of "
                "several species would widen the band)",
                "the Monte Carlo variance treats channels and decay slices as independent samples",
                "the band is first order on the log scale: N exp(+-s)"],
        }


# ----------------------------------------------------------------------------- reading
class UncertaintiesTable(Strict):
    """[uncertainties]: bands, on top of the beams' defaults."""

    enabled: flag = True
    """draw bands (pessimistic and optimistic curves, shading, band columns)"""
    mc_statistics: flag | None = shown(None, default_text="the beam presets'")
    """count the Monte Carlo statistics of the LLP samples (sum of w^2 per grid cell)"""
    a_exponent_sigma: number(ge=0) | None = shown(None, default_text="the beam presets'")
    """uncertainty of the heavy-flavour exponent 0.29 (factor A^sigma on J/psi, Upsilon, D, Ds, B
    channels; nothing for p-p)"""
    normalisation: dict[str, number(ge=0)] | None = shown(None, type_="`NAME = r`, numbers", default_text="the beam presets'",
                                                          allowed="`>= 0`; `NAME` a meson name of the scenario's beams")
    """relative normalisation uncertainty of species `NAME` (a meson name of a beam preset: `pi0`, `eta`,
    `etaprime`, `rho0`, `omega`, `phi`, `kpm`, `jpsi`, `upsilon`, `dpm`, `dspm`, `bpm`): a factor 1 + r"""


def _beam_defaults(beam: str) -> tuple[bool, dict[str, tuple[float, str]], ExponentInput | None]:
    """(mc_statistics, {species: (relative, source)}, A-exponent) of a beam preset."""
    path = beam_path(beam)
    _, data = read_toml(path)
    if data.get("uncertainties") is None:
        return False, {}, None
    t = load(BeamUncertainties, data["uncertainties"], path, "uncertainties")
    exponent = ExponentInput(beam, t.a_exponent.sigma, t.a_exponent.source) if t.a_exponent else None
    if t.normalisation:
        _unknown_species(path, "uncertainties.normalisation", t.normalisation, sorted(_species(beam)), "")
    norms = {name: (entry.relative, entry.source) for name, entry in (t.normalisation or {}).items()}
    return t.mc_statistics, norms, exponent


def _unknown_species(file, key: str, names, known: list[str], context: str) -> None:
    for name in names:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            raise ScenarioError(file, f"{key}.{name}", Shown(f"unknown key {name!r}"),
                                f"keys {context}" + ", ".join(known) + (f" (did you mean {hint[0]!r}?)" if hint else ""))


def _species(beam: str) -> dict[str, int]:
    """Meson name -> PDG id of a beam preset."""
    from dipscan.production.beams import load_beam

    return {m.name: m.pdgid for p in load_beam(beam).productions for m in p.mesons}


def read_uncertainties(t: UncertaintiesTable | None, beams: list[str], scenario_file: Path) -> UncertaintySpec:
    """Beam defaults, overridden by a scenario's [uncertainties] table (``t``, may be None)."""
    if t is not None and not t.enabled:
        return UncertaintySpec()
    override_source = f"scenario {scenario_file.name}"
    overrides = dict(t.normalisation or {}) if t else {}
    if overrides:
        known = sorted({name for b in beams for name in _species(b)})
        _unknown_species(scenario_file, "uncertainties.normalisation", overrides, known,
                         "a meson of the scenario's beams: ")
    a_override = t.a_exponent_sigma if t else None
    mc_any = False
    normalisation: list[NormalisationInput] = []
    exponents: list[ExponentInput] = []
    for beam in beams:
        mc, norms, exponent = _beam_defaults(beam)
        mc_any |= mc
        if norms or overrides:
            for name, pdgid in _species(beam).items():
                if name in overrides:
                    normalisation.append(NormalisationInput(beam, pdgid, name, overrides[name],
                                                            override_source))
                elif name in norms:
                    normalisation.append(NormalisationInput(beam, pdgid, name, *norms[name]))
        if a_override is not None:
            exponents.append(ExponentInput(beam, a_override, override_source))
        elif exponent is not None:
            exponents.append(exponent)
    mc_statistics = t.mc_statistics if t is not None and t.mc_statistics is not None else mc_any
    return UncertaintySpec(True, mc_statistics, tuple(normalisation), tuple(exponents))
