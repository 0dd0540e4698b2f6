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
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from particle import Particle

from dipscan.errors import MISSING_VALUE, ScenarioError, Shown
from dipscan.io.digest import config_digest
from dipscan.io.paths import beams_dir
from dipscan.physics.constants import PROTON_MASS_GeV

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
# Reading and validation


def list_beams() -> list[str]:
    """Names of the beam presets in ``scenarios/beams``."""
    d = beams_dir()
    return sorted(p.stem for p in d.glob("*.toml")) if d.is_dir() else []


def load_beam(name: str) -> Beam:
    """Read and validate ``scenarios/beams/<name>.toml``."""
    path = beams_dir() / f"{name}.toml"
    if not path.is_file():
        raise ScenarioError(
            path, "", name, f"a beam preset in {beams_dir()}: {', '.join(list_beams()) or 'none'}"
        )
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, "", str(exc), "valid TOML") from exc
    return parse_beam(data, path)


class _Reader:
    """Typed access to a TOML table that reports the file and key path of any problem."""

    def __init__(self, path: Path, table: dict[str, Any], prefix: str):
        self.path, self.table, self.prefix = path, table, prefix

    def key(self, k: str) -> str:
        return f"{self.prefix}.{k}" if self.prefix else k

    def fail(self, k: str, found: object, allowed: str):
        raise ScenarioError(self.path, self.key(k), found, allowed)

    def check_keys(self, allowed: set[str]) -> None:
        for k in self.table:
            if k not in allowed:
                names = sorted(allowed)
                hint = difflib.get_close_matches(k, names, n=1)
                self.fail(k, Shown(f"unknown key {k!r}"), "keys " + ", ".join(names)
                          + (f" (did you mean {hint[0]!r}?)" if hint else ""))

    def get(
        self, k: str, kind: type | tuple[type, ...], default: object = ..., what: str = ""
    ) -> Any:
        if k not in self.table:
            if default is ...:
                self.fail(k, MISSING_VALUE, what or _kind_name(kind))
            return default
        v = self.table[k]
        if (
            isinstance(v, bool)
            and kind is not bool
            and (not isinstance(kind, tuple) or bool not in kind)
        ):
            self.fail(k, v, what or _kind_name(kind))
        if not isinstance(v, kind):
            self.fail(k, v, what or _kind_name(kind))
        return v

    def sub(self, k: str, required: bool = True) -> _Reader:
        v = self.get(k, dict, default=... if required else {}, what="a table")
        return _Reader(self.path, v, self.key(k))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {
        int: "an integer",
        float: "a number",
        str: "a string",
        bool: "true or false",
        list: "an array",
        dict: "a table",
    }
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def parse_beam(data: dict[str, Any], path: Path) -> Beam:
    top = _Reader(path, data, "")
    top.check_keys(
        {"name", "description", "kinematics", "generation", "normalisation", "production",
         "uncertainties", "sampling"}
    )
    name = top.get("name", str)
    if name != path.stem:
        top.fail("name", name, f'the file name without extension, "{path.stem}"')
    description = top.get("description", str, "")

    kin = top.sub("kinematics")
    kin.check_keys({"frame", "beam_pdgid", "target_pdgid", "beam_energy_GeV", "ecm_GeV"})
    frame = kin.get("frame", str)
    if frame not in FRAMES:
        kin.fail("frame", frame, " or ".join(f'"{f}"' for f in FRAMES))
    beam_pdgid = kin.get("beam_pdgid", int, 2212)
    target_pdgid = kin.get("target_pdgid", int, 2212)
    energy = ecm = None
    if frame == "fixed-target":
        energy = float(kin.get("beam_energy_GeV", (int, float)))
        if not energy > 0:
            kin.fail("beam_energy_GeV", energy, "a positive beam energy in GeV")
        if "ecm_GeV" in kin.table:
            kin.fail(
                "ecm_GeV",
                kin.table["ecm_GeV"],
                "no ecm_GeV for a fixed target (give beam_energy_GeV)",
            )
    else:
        ecm = float(kin.get("ecm_GeV", (int, float)))
        if not ecm > 0:
            kin.fail("ecm_GeV", ecm, "a positive centre-of-mass energy in GeV")
        if "beam_energy_GeV" in kin.table:
            kin.fail(
                "beam_energy_GeV",
                kin.table["beam_energy_GeV"],
                "no beam_energy_GeV for a collider (give ecm_GeV)",
            )

    gen = top.sub("generation")
    gen.check_keys({"seed", "shard_events", "symmetrise"})
    seed = gen.get("seed", int)
    if not 0 <= seed < 2**63:
        gen.fail("seed", seed, "an integer in [0, 2^63)")
    shard_events = gen.get("shard_events", int)
    if shard_events < 1:
        gen.fail("shard_events", shard_events, "a positive number of events per shard")
    symmetrise = gen.get("symmetrise", bool, False)
    if symmetrise and not (frame == "collider" and beam_pdgid == target_pdgid):
        gen.fail(
            "symmetrise",
            True,
            "true only for a collider with identical beams (the event is symmetric under z -> -z)",
        )

    norm = top.sub("normalisation")
    norm.check_keys({"per", "feed_down", "note", "approximations", "reason", "inelastic",
                     "measured"})
    per = norm.get("per", str, COLLISION_DEFINITIONS[0])
    if per not in COLLISION_DEFINITIONS:
        norm.fail("per", per, " or ".join(f'"{c}"' for c in COLLISION_DEFINITIONS))
    feed_down = norm.get("feed_down", str)
    if feed_down not in FEED_DOWN_CONVENTIONS:
        norm.fail("feed_down", feed_down, " or ".join(f'"{c}"' for c in FEED_DOWN_CONVENTIONS))
    note = norm.get("note", str, "")
    reason = norm.get("reason", str, "")
    approximations = norm.get("approximations", list, [], what="an array of strings")
    for k, text in enumerate(approximations):
        if not isinstance(text, str) or not text.strip():
            norm.fail(f"approximations[{k}]", text, "a non-empty string")

    prods_raw = top.get("production", list, what="an array of [[production]] tables")
    if not prods_raw:
        top.fail("production", prods_raw, "at least one [[production]]")
    productions = []
    seen_prod: set[str] = set()
    seen_species: dict[int, str] = {}
    for i, pr in enumerate(prods_raw):
        if not isinstance(pr, dict):
            top.fail(f"production[{i}]", pr, "a table")
        r = _Reader(path, pr, f"production[{i}]")
        prod = _parse_production(r)
        if prod.name in seen_prod:
            r.fail("name", prod.name, "a name not used by another production")
        seen_prod.add(prod.name)
        for j, m in enumerate(prod.mesons):
            if m.pdgid in seen_species:
                r.fail(
                    f"meson[{j}].pdgid",
                    m.pdgid,
                    f"a species not already taken from production {seen_species[m.pdgid]!r}",
                )
            seen_species[m.pdgid] = prod.name
        productions.append(prod)

    return Beam(
        name=name,
        description=description,
        path=path,
        frame=frame,
        beam_pdgid=beam_pdgid,
        target_pdgid=target_pdgid,
        beam_energy_GeV=energy,
        ecm_GeV=ecm,
        seed=seed,
        shard_events=shard_events,
        symmetrise=symmetrise,
        per=per,
        feed_down=feed_down,
        note=note,
        approximations=tuple(approximations),
        productions=tuple(productions),
        **_parse_measured(norm, productions),
        reason=reason,
        sampling=_parse_sampling(top.sub("sampling", required=False)),
    )


def _parse_sampling(t: _Reader) -> SamplingPrecuts | None:
    """[sampling]: the photon floors and widest angle LLP samples of this beam are drawn with."""
    if not t.table:
        return None
    t.check_keys({"photon_floors_GeV", "theta_accept_rad", "reason"})
    floors = t.get("photon_floors_GeV", list, what="an array of photon energies in GeV")
    if not floors or not all(isinstance(f, (int, float)) and not isinstance(f, bool)
                             and math.isfinite(f) and f > 0 for f in floors):
        t.fail("photon_floors_GeV", floors, "a non-empty array of photon energies > 0 in GeV")
    if sorted(floors, reverse=True) != floors or len(set(floors)) != len(floors):
        t.fail("photon_floors_GeV", floors, "distinct energies from the highest to the lowest")
    theta = float(t.get("theta_accept_rad", (int, float)))
    if not (math.isfinite(theta) and 0 < theta <= math.pi / 2):
        t.fail("theta_accept_rad", theta, "an angle in (0, pi/2] radians")
    return SamplingPrecuts(tuple(float(f) for f in floors), theta, t.get("reason", str, ""))


def _parse_measured(norm: _Reader, productions: list[Production]) -> dict[str, Any]:
    """[normalisation.inelastic] and [[normalisation.measured]]: species tied to data at load."""
    if "measured" not in norm.table:
        if "inelastic" in norm.table:
            norm.fail("inelastic", norm.table["inelastic"], "no [normalisation.inelastic] "
                      "without a [[normalisation.measured]] species that uses it")
        return {}
    inel = norm.sub("inelastic")
    inel.check_keys({"sigma_mb", "source"})
    sigma_inel = float(inel.get("sigma_mb", (int, float)))
    if not (sigma_inel > 0 and math.isfinite(sigma_inel)):
        inel.fail("sigma_mb", sigma_inel, "a positive inelastic cross section in mb")
    names = {m.name for p in productions for m in p.mesons}
    measured = []
    for j, raw in enumerate(norm.get("measured", list, what="an array of [[normalisation.measured]]")):
        if not isinstance(raw, dict):
            norm.fail(f"measured[{j}]", raw, "a table")
        r = _Reader(norm.path, raw, norm.key(f"measured[{j}]"))
        r.check_keys({"species", "sigma_ub", "energy_factor", "y_min", "y_max", "pt_max_GeV",
                      "relative_uncertainty", "source"})
        name = r.get("species", str)
        if name not in names:
            r.fail("species", name, f"a meson name of this beam: {', '.join(sorted(names))}")
        if name in {m.name for m in measured}:
            r.fail("species", name, "a species not already measured above")
        values = {k: float(r.get(k, (int, float), default))
                  for k, default in (("sigma_ub", ...), ("energy_factor", 1.0), ("y_min", ...),
                                     ("y_max", ...), ("pt_max_GeV", math.inf),
                                     ("relative_uncertainty", ...))}
        for k, v in values.items():
            if not v >= 0 or (k in ("sigma_ub", "energy_factor", "pt_max_GeV") and not v > 0):
                r.fail(k, v, "a positive number")
        if not values["y_max"] > values["y_min"]:
            r.fail("y_max", values["y_max"], f"a rapidity above y_min = {values['y_min']}")
        measured.append(MeasuredNormalisation(name=name, source=r.get("source", str), **values))
    return {"measured": tuple(measured), "sigma_inel_mb": sigma_inel,
            "sigma_inel_source": inel.get("source", str)}


def _parse_production(r: _Reader) -> Production:
    r.check_keys({"name", "pythia", "n_events", "raw_multiplicity", "meson", "note"})
    name = r.get("name", str)
    if not _SLUG.match(name):
        r.fail("name", name, "lower-case letters, digits and _ (it names cache folders)")
    pythia = r.get("pythia", list, what="an array of PYTHIA8 setting strings")
    for k, s in enumerate(pythia):
        if not isinstance(s, str) or "=" not in s:
            r.fail(f"pythia[{k}]", s, 'a PYTHIA8 setting "Key:name = value"')
        if s.strip().lower().startswith(_RESERVED_PREFIXES):
            r.fail(
                f"pythia[{k}]",
                s,
                "no Beams:, Random:, Print:, Next: or Main: settings (dipscan sets them from [kinematics] and [generation])",
            )
    n_events = r.get("n_events", int)
    if n_events < 1:
        r.fail("n_events", n_events, "a positive number of events")
    raw = r.get("raw_multiplicity", str)
    if raw not in RAW_MULTIPLICITY_MODES:
        r.fail("raw_multiplicity", raw, " or ".join(f'"{m}"' for m in RAW_MULTIPLICITY_MODES))
    r.get("note", str, "")
    mesons_raw = r.get("meson", list, what="an array of [[production.meson]] tables")
    if not mesons_raw:
        r.fail("meson", mesons_raw, "at least one [[production.meson]]")
    mesons = []
    for j, mr in enumerate(mesons_raw):
        if not isinstance(mr, dict):
            r.fail(f"meson[{j}]", mr, "a table")
        mesons.append(_parse_meson(_Reader(r.path, mr, r.key(f"meson[{j}]"))))
    return Production(
        name=name,
        pythia=tuple(s.strip() for s in pythia),
        n_events=n_events,
        raw_multiplicity=raw,
        mesons=tuple(mesons),
    )


def _parse_meson(r: _Reader) -> MesonSpec:
    r.check_keys({"pdgid", "name", "multiplicity", "source", "prescale"})
    pdgid = r.get("pdgid", int)
    if pdgid <= 0:
        r.fail("pdgid", pdgid, "a positive PDG id (antiparticles are recorded with their particle)")
    try:
        part = Particle.from_pdgid(pdgid)
    except Exception:  # particle raises several types for unknown or malformed ids
        r.fail("pdgid", pdgid, "the PDG id of a known meson")
    signed = not part.is_self_conjugate
    name = r.get("name", str)
    if not _SLUG.match(name):
        r.fail("name", name, "lower-case letters, digits and _ (it names the table file)")

    mult = r.get("multiplicity", (int, float, str, dict))
    split = None
    if isinstance(mult, str):
        if mult != "pythia":
            r.fail("multiplicity", mult, 'a number, {particle = x, antiparticle = y} or "pythia"')
        multiplicity = None
    elif isinstance(mult, dict):
        sr = r.sub("multiplicity")
        sr.check_keys({"particle", "antiparticle"})
        if not signed:
            r.fail("multiplicity", mult, f"a single number: {part.name} is its own antiparticle")
        split = (
            float(sr.get("particle", (int, float))),
            float(sr.get("antiparticle", (int, float))),
        )
        if not all(x > 0 and math.isfinite(x) for x in split):
            r.fail("multiplicity", mult, "positive finite multiplicities")
        multiplicity = split[0] + split[1]
    else:
        multiplicity = float(mult)
        if not (multiplicity > 0 and math.isfinite(multiplicity)):
            r.fail("multiplicity", mult, "a positive finite multiplicity per p-p collision")
    source = r.get("source", str, "PYTHIA8" if multiplicity is None else ...)

    bins_raw = r.get(
        "prescale",
        list,
        [{"theta_max_rad": math.inf, "factor": 1}],
        what="an array of {theta_max_rad, factor}",
    )
    if not bins_raw:
        r.fail("prescale", bins_raw, "at least one bin")
    bins = []
    last = 0.0
    for k, b in enumerate(bins_raw):
        if not isinstance(b, dict):
            r.fail(f"prescale[{k}]", b, "a table {theta_max_rad = ..., factor = ...}")
        br = _Reader(r.path, b, r.key(f"prescale[{k}]"))
        br.check_keys({"theta_max_rad", "factor"})
        tmax = float(br.get("theta_max_rad", (int, float)))
        factor = float(br.get("factor", (int, float)))
        if not tmax > last:
            br.fail("theta_max_rad", tmax, f"an angle above the previous edge {last}")
        if not (factor >= 1 and math.isfinite(factor)):
            br.fail("factor", factor, "a finite prescale factor >= 1")
        bins.append(PrescaleBin(tmax, factor))
        last = tmax
    if not bins[-1].theta_max_rad >= math.pi:
        r.fail(
            f"prescale[{len(bins) - 1}].theta_max_rad",
            bins[-1].theta_max_rad,
            "the last bin must reach pi (write inf)",
        )
    return MesonSpec(
        pdgid=pdgid,
        name=name,
        signed=signed,
        multiplicity=multiplicity,
        split=split,
        source=source,
        prescale=tuple(bins),
    )
