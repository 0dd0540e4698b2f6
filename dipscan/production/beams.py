"""Beam presets (``scenarios/beams/*.toml``): what PYTHIA8 runs and how the tables are normalised.

A preset is data.  It names the beam kinematics, one or more *productions* (a PYTHIA8 process
selection with its number of events) and, inside each production, the mesons to record with

* their normalisation: the multiplicity per p-p collision the weights are scaled to (Table 1 of
  arXiv:2406.17599 where it applies), or ``"pythia"`` to keep PYTHIA8's own multiplicity;
* a polar-angle prescale: in each bin of the lab polar angle only one meson in ``factor`` is kept
  and the kept rows carry ``factor`` times the weight, so wide-angle mesons, which cannot send a
  long-lived daughter into a forward detector, do not fill the table.

Feed-down convention (``feed_down = "inclusive"``, the only one implemented): every instance of a
species in the PYTHIA8 event record is counted, including those from decays of heavier hadrons
(eta -> 3 pi0, omega -> pi0 gamma, psi(2S) -> J/psi pi pi, D*s -> Ds gamma, ...).  Carbon copies
that PYTHIA8 makes while recoiling a particle are one meson: only the last copy is counted.

A "collision" is what ``[normalisation] per`` says: every p-p event, elastic ones included (the
fixed-target beams; with it PYTHIA8 reproduces Table 1), or inelastic events only (the LHC beam,
whose eq. 4.2 multiplies by sigma_inel).

The A^0.29 scaling of charm and beauty for a nuclear target is NOT applied here: tables are per
p-p collision, and the experiment applies its target's factor.

Normalisation to measurements (``[[normalisation.measured]]``) is applied when the tables are
*read*, not when they are generated, so it never changes a table's configuration hash: a species
measured in a rapidity window (e.g. LHCb's 2 < y < 4.5) is scaled so that the weight of its rows
inside that window, per inelastic collision, equals the measured cross section (times an energy
factor when the measurement was made at another sqrt(s)) over the measured inelastic cross
section; outside the window PYTHIA8's shape carries it.  ``reason`` says why species without a
measurement keep PYTHIA8's own multiplicity.

A symmetric collider may set ``symmetrise = true``: each meson is also recorded at its mirror
angle pi - theta, the two rows sharing its weight, which doubles the statistics on one side.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from dipscan.errors import MISSING_VALUE, ScenarioError, Shown
from dipscan.io.digest import config_digest
from dipscan.io.paths import beams_dir
from dipscan.io.toml_loader import (
    Rule,
    Strict,
    choice,
    fail,
    flag,
    integer,
    load,
    number,
    parse_toml,
    shown,
    text,
    toml_bytes,
)
from dipscan.physics.constants import PROTON_MASS_GeV
from dipscan.physics.pdg import PdgEntry, UnknownParticle, pdg_entry

#: Bumped whenever the table layout or the way shards are produced changes: part of every hash.
FORMAT_VERSION = 1
#: PYTHIA8 version the presets are generated with (pyproject pins pythia8mc 8.317.2).
PYTHIA_VERSION = "8.317"
#: PYTHIA8 accepts Random:seed in [0, 900000000]; 0 would mean "seed from the clock".
PYTHIA_SEED_MAX = 900_000_000

FRAMES = ("fixed-target", "collider")
RAW_MULTIPLICITY_MODES = ("per-event", "cross-section")
FEED_DOWN_CONVENTIONS = ("inclusive",)
#: What "one collision" is: every PYTHIA8 p-p event, elastic ones included (sigma_tot; with this
#: PYTHIA8 reproduces Table 1 of arXiv:2406.17599), or inelastic events only (sigma_inel; what
#: eq. 4.2 multiplies by for a collider).
COLLISION_DEFINITIONS = ("p-p collision", "inelastic p-p collision")
# PYTHIA settings that dipscan sets itself from [kinematics] and [generation].
_RESERVED_PREFIXES = ("beams:", "random:", "print:", "next:", "main:")
_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


def _edge(x: float) -> float | str:
    """An angle for JSON: the open last prescale edge is written "inf" (JSON has no infinity)."""
    return "inf" if math.isinf(x) else x


@dataclass(frozen=True)
class PrescaleBin:
    """Mesons with ``theta_rad`` below ``theta_max_rad`` (and above the previous bin) are kept
    with probability ``1 / factor``."""

    theta_max_rad: float
    factor: float


@dataclass(frozen=True)
class MesonSpec:
    """One species recorded by a production.

    ``pdgid`` is positive.  ``signed`` species (not self-conjugate, e.g. K+-) keep the sign of the
    PDG id in the table's ``pdg_id`` column; self-conjugate ones are stored with the positive id.
    ``multiplicity`` is the number per p-p collision of both charge states together (``None``:
    keep PYTHIA8's own); ``split`` gives (particle, antiparticle) multiplicities when each sign is
    normalised on its own (charged kaons that decay in flight).
    """

    pdgid: int
    name: str
    signed: bool
    multiplicity: float | None
    split: tuple[float, float] | None
    source: str
    prescale: tuple[PrescaleBin, ...]

    @property
    def file_name(self) -> str:
        return f"{self.pdgid}_{self.name}.parquet"

    def config(self) -> dict[str, Any]:
        return {
            "pdgid": self.pdgid,
            "name": self.name,
            "signed": self.signed,
            "multiplicity": self.multiplicity,
            "split": list(self.split) if self.split else None,
            "prescale": [[_edge(b.theta_max_rad), b.factor] for b in self.prescale],
        }

    def shard_config(self) -> dict[str, Any]:
        """What a shard depends on (normalisation is applied at merge time)."""
        return {
            "pdgid": self.pdgid,
            "signed": self.signed,
            "prescale": [[_edge(b.theta_max_rad), b.factor] for b in self.prescale],
        }


@dataclass(frozen=True)
class MeasuredNormalisation:
    """A species tied to a measured cross section in a rapidity / pT window (one hemisphere).

    Multiplicity per inelastic collision in the window = sigma_ub x energy_factor / sigma_inel.
    """

    name: str
    sigma_ub: float
    energy_factor: float
    y_min: float
    y_max: float
    pt_max_GeV: float
    relative_uncertainty: float
    source: str

    def window_multiplicity(self, sigma_inel_mb: float) -> float:
        return self.sigma_ub * 1e-3 * self.energy_factor / sigma_inel_mb


@dataclass(frozen=True)
class Production:
    """A PYTHIA8 process selection, its number of events and the mesons taken from it.

    ``raw_multiplicity`` says how PYTHIA8's own multiplicity per collision is measured:
    ``"per-event"`` (minimum bias: mesons / events, each event one collision) or
    ``"cross-section"`` (hard processes: sigma_gen x mesons per event / sigma_ref, with sigma_ref
    PYTHIA8's total p-p cross section at this energy, or its inelastic part when the beam counts
    inelastic collisions only).
    """

    name: str
    pythia: tuple[str, ...]
    n_events: int
    raw_multiplicity: str
    mesons: tuple[MesonSpec, ...]

    def shard_config(self, beam: Beam) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION,
            "pythia_version": PYTHIA_VERSION,
            "kinematics": beam.kinematics_config(),
            "seed": beam.seed,
            "shard_events": beam.shard_events,
            "symmetrise": beam.symmetrise,
            "production": self.name,
            "pythia": list(self.pythia),
            "mesons": [m.shard_config() for m in self.mesons],
        }

    def shard_key(self, beam: Beam) -> str:
        """Hash of everything a shard's content depends on (not n_events, not normalisation)."""
        return config_digest(self.shard_config(beam))


@dataclass(frozen=True)
class SamplingPrecuts:
    """A beam's own pre-cuts for LLP sampling (dipscan.scan.plan): every scenario on the beam
    draws its samples in the same shells of reachable photon energy, whatever its experiments."""

    photon_floors_GeV: tuple[float, ...]  # from the highest to the lowest
    theta_accept_rad: float
    reason: str = ""


@dataclass(frozen=True)
class Beam:
    name: str
    description: str
    path: Path = field(compare=False)
    frame: str
    beam_pdgid: int
    target_pdgid: int
    beam_energy_GeV: float | None
    ecm_GeV: float | None
    seed: int
    shard_events: int
    symmetrise: bool
    per: str
    feed_down: str
    note: str
    productions: tuple[Production, ...]
    approximations: tuple[str, ...] = ()  # stated in each run's provenance; not in the config hash
    # Load-time normalisation to data (not part of the generation hash).
    measured: tuple[MeasuredNormalisation, ...] = ()
    sigma_inel_mb: float | None = None
    sigma_inel_source: str = ""
    reason: str = ""
    sampling: SamplingPrecuts | None = None  # not in the config hash: tables do not depend on it

    def measured_for(self, pdgid: int) -> MeasuredNormalisation | None:
        _, spec = self.meson(pdgid)
        return next((m for m in self.measured if m.name == spec.name), None)

    @property
    def sqrt_s_GeV(self) -> float:
        if self.frame == "collider":
            return float(self.ecm_GeV)
        m = PROTON_MASS_GeV  # the presets use p beams and p targets
        return math.sqrt(2.0 * m * m + 2.0 * m * float(self.beam_energy_GeV))

    @property
    def species(self) -> tuple[int, ...]:
        return tuple(m.pdgid for p in self.productions for m in p.mesons)

    def meson(self, pdgid: int) -> tuple[Production, MesonSpec]:
        """The production and spec of species ``|pdgid|``; KeyError if the beam has none."""
        for p in self.productions:
            for m in p.mesons:
                if m.pdgid == abs(int(pdgid)):
                    return p, m
        raise KeyError(pdgid)

    def kinematics_config(self) -> dict[str, Any]:
        return {
            "frame": self.frame,
            "beam_pdgid": self.beam_pdgid,
            "target_pdgid": self.target_pdgid,
            "beam_energy_GeV": self.beam_energy_GeV,
            "ecm_GeV": self.ecm_GeV,
        }

    def beam_settings(self) -> tuple[str, ...]:
        """PYTHIA8 Beams:* settings for this beam."""
        ids = (f"Beams:idA = {self.beam_pdgid}", f"Beams:idB = {self.target_pdgid}")
        if self.frame == "fixed-target":
            # frameType 2: beam A with energy eA along +z, beam B at rest; event record in the lab.
            return ids + (
                "Beams:frameType = 2",
                f"Beams:eA = {self.beam_energy_GeV!r}",
                "Beams:eB = 0.",
            )
        return ids + ("Beams:frameType = 1", f"Beams:eCM = {self.ecm_GeV!r}")

    def generation_config(self, n_events: dict[str, int] | None = None) -> dict[str, Any]:
        """Everything the tables depend on; ``n_events`` overrides the events per production."""
        n_events = n_events or {}
        return {
            "format_version": FORMAT_VERSION,
            "pythia_version": PYTHIA_VERSION,
            "beam": self.name,
            "kinematics": self.kinematics_config(),
            "seed": self.seed,
            "shard_events": self.shard_events,
            "symmetrise": self.symmetrise,
            "per": self.per,
            "feed_down": self.feed_down,
            "productions": [
                {
                    "name": p.name,
                    "pythia": list(p.pythia),
                    "n_events": int(n_events.get(p.name, p.n_events)),
                    "raw_multiplicity": p.raw_multiplicity,
                    "mesons": [m.config() for m in p.mesons],
                }
                for p in self.productions
            ],
        }

    def config_hash(self, n_events: dict[str, int] | None = None) -> str:
        return config_digest(self.generation_config(n_events))


# ----------------------------------------------------------------------------------------------
# The file's model: it reads and validates (dipscan.io.toml_loader words the mistakes)


def list_beams() -> list[str]:
    """Names of the beam presets in ``scenarios/beams``."""
    d = beams_dir()
    return sorted(p.stem for p in d.glob("*.toml")) if d.is_dir() else []


def load_beam(name: str) -> Beam:
    """Read and validate ``scenarios/beams/<name>.toml``.

    A run asks for its beams in several places (the scenario's checks, uncertainties, the
    tables); the file is read every time but parsed and validated once per content."""
    path = beams_dir() / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(
            path, "", name, f"a beam preset in {beams_dir()}: {', '.join(list_beams()) or 'none'}"
        )
    return _parsed_beam(path, toml_bytes(path))


@functools.lru_cache(maxsize=32)
def _parsed_beam(path: Path, raw: bytes) -> Beam:
    """A beam preset from the bytes of its file (a Beam is frozen: safe to share)."""
    return parse_beam(parse_toml(path, raw), path)


def _words(values) -> str:
    return " or ".join(f'"{v}"' for v in values)


class _Particles(Strict):
    beam_pdgid: int = 2212
    """PDG id of the beam particle"""
    target_pdgid: int = 2212
    """PDG id of the target particle"""


class FixedTarget(_Particles):
    """[kinematics] frame = "fixed-target": a beam on a target at rest."""

    KEYS_CONTEXT = "for frame 'fixed-target': "
    frame: Literal["fixed-target"]
    """a beam on a target at rest; the event record is in the lab"""
    beam_energy_GeV: number(gt=0, wording="a positive beam energy in GeV") = shown(
        type_="number, GeV", default_text="required for `fixed-target`")
    """beam energy in the lab"""


class Collider(_Particles):
    """[kinematics] frame = "collider": two beams in their centre-of-mass frame."""

    KEYS_CONTEXT = "for frame 'collider': "
    frame: Literal["collider"]
    """two beams in their centre-of-mass frame"""
    ecm_GeV: number(gt=0, wording="a positive centre-of-mass energy in GeV") = shown(
        type_="number, GeV", default_text="required for `collider`")
    """centre-of-mass energy"""


class Generation(Strict):
    """[generation]"""

    seed: integer(ge=0, le=2**63 - 1)
    """root of PYTHIA8's seeds"""
    shard_events: integer(ge=1)
    """events per shard (a unit of work and of the cache)"""
    symmetrise: flag = False
    """also record each meson at pi - theta (symmetric colliders only)"""


class Inelastic(Strict):
    """[normalisation.inelastic]: the inelastic cross section measured yields are divided by."""

    sigma_mb: number(gt=0) = shown(type_="number, mb")
    """measured inelastic cross section the measured species are divided by"""
    source: str
    """reference and value"""


class Measured(Strict):
    """[[normalisation.measured]]: a species tied to a measured cross section in a window."""

    species: str = shown(allowed="a meson name of this beam, measured once")
    """the species scaled, when its table is read, so that its weight in the window per inelastic
    collision equals sigma_ub x energy_factor / sigma_inel; the table and its hash are unchanged"""
    sigma_ub: number(gt=0) = shown(type_="number, ub")
    """measured cross section in the window"""
    energy_factor: number(gt=0) = 1.0
    """factor to this beam's sqrt(s) when the measurement was made at another"""
    y_min: number(ge=0)
    """lower rapidity of the window (one side, along +z)"""
    y_max: number(ge=0, above="y_min") = shown(allowed="`> y_min`")
    """upper rapidity of the window"""
    pt_max_GeV: number(gt=0, inf=True) | None = shown(None, type_="number, GeV", default_text="`inf`")
    """upper pT of the window"""
    relative_uncertainty: number(ge=0)
    """relative uncertainty of the measurement"""
    source: str
    """reference and value"""


class Normalisation(Strict):
    """[normalisation]"""

    per: choice(COLLISION_DEFINITIONS, _words(COLLISION_DEFINITIONS)) = COLLISION_DEFINITIONS[0]
    """what one collision is: every p-p event, elastic ones included, or inelastic events only"""
    feed_down: choice(FEED_DOWN_CONVENTIONS, _words(FEED_DOWN_CONVENTIONS))
    """every instance of a species counts, also from decays of heavier hadrons"""
    note: str = ""
    """free text, for the record"""
    approximations: list[text()] = shown([], allowed="non-empty strings")
    """what the beam approximates, one sentence each; copied into every run's `provenance.json`"""
    reason: str = ""
    """why species without a measurement or Table 1 value keep PYTHIA8's own multiplicity (shown by
    `dipscan tables report`)"""
    inelastic: Inelastic | None = shown(None, default_text="required with `measured`")
    """[normalisation.inelastic] (below)"""
    measured: list[Measured] | None = None
    """[[normalisation.measured]] (below)"""

    @model_validator(mode="after")
    def _inelastic_with_measured(self):
        if self.measured is None and self.inelastic is not None:
            raise fail("inelastic", Shown("a table"), "no [normalisation.inelastic] without a "
                       "[[normalisation.measured]] species that uses it")
        if self.measured is not None and self.inelastic is None:
            raise fail("inelastic", MISSING_VALUE, "a table [normalisation.inelastic] with keys sigma_mb, source")
        return self


def _is_setting(value: str) -> str:
    if "=" not in value:
        raise fail("", value, 'a PYTHIA8 setting "Key:name = value"')
    if value.strip().lower().startswith(_RESERVED_PREFIXES):
        raise fail("", value, "no Beams:, Random:, Print:, Next: or Main: settings "
                   "(dipscan sets them from [kinematics] and [generation])")
    return value


@functools.cache
def _particle(pdgid: int) -> PdgEntry:
    return pdg_entry(pdgid)


class Bin(Strict):
    """One polar-angle bin of a prescale."""

    theta_max_rad: number(gt=0, inf=True) = shown(type_="number, rad", allowed="above the previous bin's; the last `inf` (or >= pi)")
    """upper edge of the bin in the lab polar angle"""
    factor: number(ge=1, wording="a finite prescale factor >= 1")
    """one meson in `factor` is kept, with `factor` times the weight"""


class Split(Strict):
    """Multiplicities per charge state."""

    particle: number(gt=0)
    """multiplicity of the particle"""
    antiparticle: number(gt=0)
    """multiplicity of the antiparticle"""


class MesonTable(Strict):
    """[[production.meson]]"""

    pdgid: Annotated[int, Field(ge=1), Rule("", wording="a positive PDG id (antiparticles are recorded with their particle)")]
    """PDG id of the species (a known meson); charged species keep the sign in the table"""
    name: text("lower-case letters, digits and _ (it names the table file)", _SLUG.pattern)
    """short name: the table file and the species' name in `[uncertainties]`"""
    multiplicity: Annotated[number(gt=0) | Split | Literal["pythia"],
                            Rule("", wording='a positive finite number per collision, {particle = x, antiparticle = y} or "pythia"')]
    """per collision; "pythia" keeps PYTHIA8's own"""
    source: str | None = None
    """where the multiplicity comes from (required unless "pythia")"""
    prescale: Annotated[list[Bin], Field(min_length=1)] | None = shown(None, default_text="keep every meson")
    """polar-angle bins `{ theta_max_rad, factor }`: wide-angle mesons, which cannot send a daughter
    into a forward detector, are thinned out"""

    @model_validator(mode="after")
    def _meson(self):
        try:
            part = _particle(self.pdgid)
        except UnknownParticle:
            raise fail("pdgid", self.pdgid, "the PDG id of a known meson") from None
        if isinstance(self.multiplicity, Split) and part.is_self_conjugate:
            raise fail("multiplicity", self.multiplicity.model_dump(),
                       f"a single number: {part.name} is its own antiparticle")
        if self.source is None and self.multiplicity != "pythia":
            raise fail("source", MISSING_VALUE, "a string")
        last = 0.0
        for k, b in enumerate(self.bins()):
            if not b.theta_max_rad > last:
                raise fail(f"prescale[{k}].theta_max_rad", b.theta_max_rad, f"an angle above the previous edge {last}")
            last = b.theta_max_rad
        if not last >= math.pi:
            raise fail(f"prescale[{len(self.bins()) - 1}].theta_max_rad", last,
                       "the last bin must reach pi (write inf)")
        return self

    def bins(self) -> list[Bin]:
        return self.prescale if self.prescale is not None else [Bin(theta_max_rad=math.inf, factor=1)]

    def build(self) -> MesonSpec:
        split = None
        if isinstance(self.multiplicity, Split):
            split = (self.multiplicity.particle, self.multiplicity.antiparticle)
        multiplicity = None if self.multiplicity == "pythia" else sum(split) if split else self.multiplicity
        return MesonSpec(
            pdgid=self.pdgid, name=self.name, signed=not _particle(self.pdgid).is_self_conjugate,
            multiplicity=multiplicity, split=split, source=self.source if self.source is not None else "PYTHIA8",
            prescale=tuple(PrescaleBin(b.theta_max_rad, b.factor) for b in self.bins()))


class ProductionTable(Strict):
    """[[production]]: a PYTHIA8 process selection and the mesons taken from it."""

    name: text("lower-case letters, digits and _ (it names cache folders)", _SLUG.pattern)
    """distinct within the beam; names the cache folders"""
    pythia: list[Annotated[str, AfterValidator(_is_setting)]] = shown(
        allowed="settings \"Key:name = value\", not Beams:, Random:, Print:, Next: or Main:")
    """PYTHIA8 process selection"""
    n_events: integer(ge=1)
    """events generated"""
    raw_multiplicity: choice(RAW_MULTIPLICITY_MODES, _words(RAW_MULTIPLICITY_MODES))
    """how PYTHIA8's own multiplicity is measured: mesons per event (minimum bias) or from the
    cross section (hard processes)"""
    meson: Annotated[list[MesonTable], Field(min_length=1)]
    """[[production.meson]]: the species recorded (each species in one production only)"""
    note: str = ""
    """free text, for the record"""

    def build(self) -> Production:
        return Production(name=self.name, pythia=tuple(s.strip() for s in self.pythia), n_events=self.n_events,
                          raw_multiplicity=self.raw_multiplicity, mesons=tuple(m.build() for m in self.meson))


class Sourced(Strict):
    """A value and its source."""

    sigma: number(ge=0)
    """one standard deviation"""
    source: text()
    """reference and value"""


class RelativeSourced(Strict):
    """A relative uncertainty and its source."""

    relative: number(ge=0)
    """relative uncertainty r: a factor 1 + r"""
    source: text()
    """reference and value"""


class BeamUncertainties(Strict):
    """[uncertainties]: defaults of every scenario on the beam."""

    mc_statistics: flag = False
    """whether Monte Carlo statistics count"""
    a_exponent: Sourced | None = shown(None, type_="`{ sigma, source }`")
    """uncertainty of the heavy-flavour exponent"""
    normalisation: dict[str, RelativeSourced] | None = shown(None, type_="`NAME = { relative, source }`",
                                                             allowed="`NAME` a meson name of this beam")
    """normalisation uncertainty of each species"""


def _highest_first(floors: list[float]) -> list[float]:
    if sorted(floors, reverse=True) != floors or len(set(floors)) != len(floors):
        raise fail("", floors, "distinct energies from the highest to the lowest")
    return floors


class BeamSampling(Strict):
    """[sampling]: the pre-cut shells LLP samples of this beam are drawn in (dipscan.scan.plan)."""

    photon_floors_GeV: Annotated[list[number(gt=0)], Field(min_length=1),
                                 AfterValidator(_highest_first),
                                 Rule("", wording="a non-empty array of photon energies > 0 in GeV, "
                                      "distinct, from the highest to the lowest")]
    """photon floors in GeV, highest first: the samples are drawn in shells of the largest photon
    energy they can give (above the first floor, between the first and the second, ...; below
    the last only down to the lowest threshold of a scenario that asks for it), the same for
    every scenario on the beam"""
    theta_accept_rad: number(gt=0, le=math.pi / 2)
    """widest LLP angle sampled (an experiment accepting wider angles widens it for its own
    scenario)"""
    reason: str = ""
    """why these values (the presets' thresholds and widest angles)"""

    def build(self) -> SamplingPrecuts:
        return SamplingPrecuts(tuple(self.photon_floors_GeV), self.theta_accept_rad, self.reason)


class BeamFile(Strict):
    """A beam preset, scenarios/beams/NAME.toml."""

    name: str = shown(allowed="the file name without extension")
    """the beam's name"""
    description: str = ""
    """one line on what it is"""
    kinematics: Annotated[FixedTarget | Collider, Field(discriminator="frame")]
    """beams and energies (below)"""
    generation: Generation
    """seeds and shards (below)"""
    normalisation: Normalisation
    """what one collision is, and the ties to data (below)"""
    production: Annotated[list[ProductionTable], Field(min_length=1)]
    """[[production]]: PYTHIA8 runs (below)"""
    uncertainties: BeamUncertainties | None = None
    """defaults of the uncertainty bands of every scenario on the beam (below)"""
    sampling: BeamSampling | None = None
    """LLP sampling pre-cuts shared by every scenario on the beam (below)"""

    @model_validator(mode="after")
    def _across_tables(self):
        kin = self.kinematics
        if self.generation.symmetrise and not (kin.frame == "collider" and kin.beam_pdgid == kin.target_pdgid):
            raise fail("generation.symmetrise", True, "true only for a collider with identical beams "
                       "(the event is symmetric under z -> -z)")
        seen_prod: set[str] = set()
        seen_species: dict[int, str] = {}
        for i, prod in enumerate(self.production):
            if prod.name in seen_prod:
                raise fail(f"production[{i}].name", prod.name, "a name not used by another production")
            seen_prod.add(prod.name)
            for j, m in enumerate(prod.meson):
                if m.pdgid in seen_species:
                    raise fail(f"production[{i}].meson[{j}].pdgid", m.pdgid,
                               f"a species not already taken from production {seen_species[m.pdgid]!r}")
                seen_species[m.pdgid] = prod.name
        names = sorted(m.name for p in self.production for m in p.meson)
        measured: set[str] = set()
        for j, m in enumerate(self.normalisation.measured or []):
            if m.species not in names:
                raise fail(f"normalisation.measured[{j}].species", m.species,
                           f"a meson name of this beam: {', '.join(names)}")
            if m.species in measured:
                raise fail(f"normalisation.measured[{j}].species", m.species, "a species not already measured above")
            measured.add(m.species)
        for name in (self.uncertainties.normalisation or {}) if self.uncertainties else ():
            if name not in names:
                hint = difflib.get_close_matches(name, names, n=1)
                raise fail(f"uncertainties.normalisation.{name}", Shown(f"unknown key {name!r}"),
                           "keys " + ", ".join(names) + (f" (did you mean {hint[0]!r}?)" if hint else ""))
        return self


def parse_beam(data: dict[str, Any], path: Path) -> Beam:
    """A parsed beam preset file, validated."""
    b = load(BeamFile, data, path)
    if b.name != path.stem:
        raise ScenarioError(path, "name", b.name, f'the file name without extension, "{path.stem}"')
    kin, norm = b.kinematics, b.normalisation
    measured = {}
    if norm.measured is not None:
        measured = {"measured": tuple(MeasuredNormalisation(
            name=m.species, sigma_ub=m.sigma_ub, energy_factor=m.energy_factor, y_min=m.y_min, y_max=m.y_max,
            pt_max_GeV=math.inf if m.pt_max_GeV is None else m.pt_max_GeV,
            relative_uncertainty=m.relative_uncertainty, source=m.source) for m in norm.measured),
            "sigma_inel_mb": norm.inelastic.sigma_mb, "sigma_inel_source": norm.inelastic.source}
    return Beam(
        name=b.name, description=b.description, path=path, frame=kin.frame, beam_pdgid=kin.beam_pdgid,
        target_pdgid=kin.target_pdgid, beam_energy_GeV=getattr(kin, "beam_energy_GeV", None),
        ecm_GeV=getattr(kin, "ecm_GeV", None), seed=b.generation.seed, shard_events=b.generation.shard_events,
        symmetrise=b.generation.symmetrise, per=norm.per, feed_down=norm.feed_down, note=norm.note,
        approximations=tuple(norm.approximations), productions=tuple(p.build() for p in b.production),
        **measured, reason=norm.reason, sampling=b.sampling.build() if b.sampling else None,
    )
