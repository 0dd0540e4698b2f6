"""Experiment presets: scenarios/experiments/<name>.toml -> ExperimentSpec.

The typed model of the file (`preset_model`) is its reader and its JSON Schema; the one loader
of dipscan.io.toml_loader words its mistakes. Nothing here writes a file.
"""


import difflib
import functools
import hashlib
import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import AfterValidator, Field, create_model, model_validator

from dipscan.errors import MISSING_VALUE, ScenarioError, Shown
from dipscan.io.paths import beams_dir, scenarios_dir, toml_names
from dipscan.io.toml_loader import (
    Rule,
    Strict,
    choice,
    fail,
    integer,
    load,
    number,
    read_toml,
    shown,
    text,
)
from dipscan.production.beams import list_beams
from dipscan.scan.geometry import SHAPES, Shape, shape_key_doc, shape_keys

# 1 mb * 1 fb^-1 = 1e-27 cm^2 * 1e39 cm^-2 = 1e12 collisions.
MB_TIMES_INVFB = 1e12

GEOMETRY_MODES = ("paper", "photon", "volume")
SHAPE_KEYS: dict[str, tuple[str, ...]] = {name: shape_keys(name) for name in SHAPES}
LINESTYLES = ("solid", "dashed", "dotted", "dashdot")
NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


# --------------------------------------------------------------------------- locations
# One lookup of the dipscan home (DIPSCAN_HOME, `~` expanded) for every file kind: production.paths.
def experiments_dir() -> Path:
    return scenarios_dir() / "experiments"


def list_presets() -> list[str]:
    """Names of the experiment presets (scenarios/experiments/*.toml), sorted."""
    return toml_names("experiments")


# --------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class Exposure:
    """How many collisions the experiment sees: protons on target, or sigma_inel * luminosity."""

    kind: str  # "pot" | "collider"
    pot: float | None = None
    sigma_inel_mb: float | None = None
    luminosity_invfb: float | None = None

    def n_collisions(self) -> float:
        """N_POT for fixed target, sigma_inel * L for a collider (eq. 4.2 without f_M)."""
        if self.kind == "pot":
            return float(self.pot)
        return float(self.sigma_inel_mb) * float(self.luminosity_invfb) * MB_TIMES_INVFB

    def describe(self) -> str:
        """Short human form for labels: '1e18 POT', '2.72e18 POT', '3 ab^-1', '150 fb^-1'."""
        if self.kind == "pot":
            return f"{_compact(self.pot)} POT"
        lumi = float(self.luminosity_invfb)
        if lumi >= 1000.0:
            return f"{_compact(lumi / 1000.0)} ab^-1"
        return f"{_compact(lumi)} fb^-1"


def _compact(x: float) -> str:
    """1e18 -> '1e18', 2.72e18 -> '2.72e18', 3.0 -> '3', 0.5 -> '0.5'."""
    text = f"{x:.6g}"
    mantissa, _, exponent = text.partition("e")
    return mantissa + (f"e{int(exponent)}" if exponent else "")


@dataclass(frozen=True)
class Geometry:
    """Where the LLP must decay and what must be seen. Lengths from the target (IP) in metres.

    mode "paper":  the paper's approximation (footnote 2 of arXiv:2406.17599): the LLP direction
                   is within theta_max_rad (or, without theta_max_rad, points through the
                   downstream face of `shape` at l_end_m); decay anywhere between l_start_m and l_end_m.
    mode "volume": the LLP decay point lies inside the decay volume `shape` between l_start_m
                   and l_end_m (cone with apex at the IP, cylinder or box along the beam axis,
                   frustum growing linearly from the upstream to the downstream face).
    mode "photon": as "volume", and the photon, tracked in a straight line, reaches the
                   calorimeter face at calorimeter_z_m within calorimeter_radius_m (without
                   calorimeter keys: the downstream face of `shape` at l_end_m).
    """

    mode: str
    volume: Shape  # one of dipscan.scan.geometry.SHAPES, with its own dimensions
    l_start_m: float
    l_end_m: float
    theta_max_rad: float | None = None  # the cone's half-angle, or the angular cut of mode "paper"
    calorimeter_z_m: float | None = None
    calorimeter_radius_m: float | None = None

    @property
    def shape(self) -> str:
        return self.volume.NAME

    def contains(self, x_m, y_m, z_m) -> np.ndarray:
        """True where (x, y) at depth z lies inside the decay volume's cross-section."""
        x, y, z = np.asarray(x_m, float), np.asarray(y_m, float), np.asarray(z_m, float)
        return self.volume.contains(x, y, z, self.l_start_m, self.l_end_m)

    def widest_angle_rad(self, ends_m) -> float:
        """Widest polar angle, seen from the target, of the volume's cross-section at these depths."""
        return self.volume.widest_angle_rad(ends_m, self.l_start_m, self.l_end_m)


@dataclass(frozen=True)
class Statistics:
    """Inputs of a recast upper limit on the number of signal events (see scenarios/README.md)."""

    observed: int
    background: float
    background_uncertainty: float
    confidence_level: float
    method: str  # one of dipscan.limits.statistics.METHODS: "poisson", "poisson_no_subtraction", "gaussian"
    signal_uncertainty: float = 0.0  # relative, on the signal normalisation
    background_relative_uncertainty: float = 0.0  # relative, e.g. a flux normalisation
    observed_uncertainty: tuple[float, ...] | None = None  # published errors of the count (gaussian)


@dataclass(frozen=True)
class ExperimentSpec:
    """One curve of a study: a preset with the scenario's overrides applied."""

    preset: str
    name: str
    label: str
    beam: str
    target: str
    target_mass_number: float
    exposure: Exposure
    photon_threshold_GeV: float
    photon_max_GeV: float
    efficiency: float
    geometry: Geometry
    color: str
    linestyle: str
    statistics: Statistics | None
    preset_path: Path
    description: str = ""
    approximations: tuple[str, ...] = ()  # stated in each run's provenance


# --------------------------------------------------------------------------- the preset file
COLOR_ALLOWED = "a matplotlib colour: a name ('black', 'tab:blue'), 'C0'..'C9' or '#rrggbb'"
FELDMAN_COUSINS_MAX_OBSERVED = 200  # as dipscan.limits.feldman_cousins.MAX_OBSERVED
_ANGLE = {"gt": 0, "lt": math.pi / 2}


def _is_colour(value: str) -> str:
    from dipscan.config.colours import is_color_like  # matplotlib only for unusual values

    if not is_color_like(value):
        raise fail("", value, COLOR_ALLOWED)
    return value


# A matplotlib colour specification (name, 'tab:blue', '#1f77b4', 'C0').
Colour = Annotated[str, Rule("", wording=COLOR_ALLOWED), AfterValidator(_is_colour)]
Linestyle = choice(LINESTYLES)


def stat_methods() -> tuple[str, ...]:
    """The upper-limit methods of dipscan.limits.statistics, so that a preset names only real ones."""
    from dipscan.limits.statistics import METHODS  # lazy: loading a preset needs no scipy

    return tuple(METHODS)


def preset_path(name: str) -> Path:
    return experiments_dir() / f"{name}.toml"


def beam_path(name: str) -> Path:
    return beams_dir() / f"{name}.toml"


def _names_text(names: list[str], what: str) -> str:
    return ", ".join(names) if names else f"none: {what} is empty"


def _presets_text() -> str:
    return "a preset of scenarios/experiments/: " + _names_text(list_presets(), str(experiments_dir()))


@functools.cache
def preset_model() -> type[Strict]:
    """The typed model of an experiment preset (built on first use: it names the limit methods)."""

    class PotExposure(Strict):
        """exposure kind = 'pot': pot, or pot_per_year and years."""

        KEYS_CONTEXT = "for kind 'pot': "
        kind: Literal["pot"]
        """fixed target, N_M = pot * f_M"""
        pot: number(gt=0) | None = shown(None, default_text="required (or the two keys below)")
        """protons on target"""
        pot_per_year: number(gt=0) | None = shown(None, default_text="instead of `pot`", allowed="`> 0`, with `years`")
        """protons on target per year, as design reports quote it: pot = pot_per_year x years"""
        years: number(gt=0) | None = shown(None, default_text="instead of `pot`", allowed="`> 0`, with `pot_per_year`")
        """years of running"""

        @model_validator(mode="after")
        def _one_form(self):
            per_year = [k for k in ("pot_per_year", "years") if getattr(self, k) is not None]
            if not per_year and self.pot is None:
                raise fail("pot", MISSING_VALUE, "a finite number > 0")
            if per_year and self.pot is not None:
                raise fail(per_year[0], getattr(self, per_year[0]), "either pot, or pot_per_year and years, not both")
            if len(per_year) == 1:
                missing = "years" if per_year[0] == "pot_per_year" else "pot_per_year"
                raise fail(missing, MISSING_VALUE, "pot_per_year and years together (or pot alone)")
            return self

        def build(self) -> Exposure:
            return Exposure("pot", pot=self.pot if self.pot is not None else self.pot_per_year * self.years)

    class ColliderExposure(Strict):
        """exposure kind = 'collider'."""

        KEYS_CONTEXT = "for kind 'collider': "
        kind: Literal["collider"]
        """N_M = sigma_inel * L * f_M (eq. 4.2)"""
        sigma_inel_mb: number(gt=0)
        """inelastic cross section in mb (1 mb x 1 fb^-1 = 10^12 collisions)"""
        luminosity_invfb: number(gt=0)
        """integrated luminosity in fb^-1 (3 ab^-1 = 3000)"""

        def build(self) -> Exposure:
            return Exposure("collider", sigma_inel_mb=self.sigma_inel_mb, luminosity_invfb=self.luminosity_invfb)

    class Selection(Strict):
        """[selection]"""

        photon_threshold_GeV: number(ge=0) = shown(type_="number, GeV")
        """minimum lab photon energy"""
        photon_max_GeV: number(gt=0, inf=True, above="photon_threshold_GeV") | None = shown(
            None, type_="number, GeV", default_text="`inf`", allowed="`> photon_threshold_GeV`")
        """maximum lab photon energy (CHARM-II window [3, 24] GeV)"""
        efficiency: number(gt=0, le=1) = shown(1.0, allowed="`0 < efficiency <= 1`")
        """flat reconstruction efficiency epsilon multiplying every event"""

    class GeometryBase(Strict):
        mode: choice(GEOMETRY_MODES)
        """how acceptance is computed (below)"""
        l_start_m: number(gt=0) = shown(type_="number, m")
        """L_i: start of the region where the LLP must decay"""
        l_end_m: number(gt=0, above="l_start_m") = shown(type_="number, m", allowed="`> l_start_m`")
        """L_f: its end"""
        theta_max_rad: number(**_ANGLE) | None = shown(
            None, type_="number, rad", default_text="required for `cone`, optional otherwise",
            allowed="`0 < theta < pi/2`")
        """`cone`: its half-angle (apex at the target). Any other shape: the angular acceptance of mode `paper`"""
        calorimeter_z_m: number(gt=0, at_least="l_end_m") | None = shown(
            None, type_="number, m", default_text="none", allowed="`>= l_end_m`; together with `calorimeter_radius_m`")
        """face of the calorimeter, for mode `photon`"""
        calorimeter_radius_m: number(gt=0) | None = shown(
            None, type_="number, m", default_text="none", allowed="`> 0`; together with `calorimeter_z_m`")
        """its radius"""

        @model_validator(mode="before")
        @classmethod
        def _keys_of_other_shapes(cls, data):
            shape = cls.model_fields["shape"].annotation.__args__[0]
            if isinstance(data, dict):
                own = set(SHAPE_KEYS[shape]) | {"theta_max_rad"}
                for other, keys in SHAPE_KEYS.items():
                    for key in (k for k in keys if k in data and k not in own):
                        raise fail(key, Shown(f"key {key!r} of shape {other!r}"),
                                   f"for shape {shape!r} the keys " + ", ".join(SHAPE_KEYS[shape])
                                   + " (theta_max_rad is allowed with every shape, for mode 'paper')")
            return data

        @model_validator(mode="after")
        def _calorimeter_keys_together(self):
            calo = ("calorimeter_z_m", "calorimeter_radius_m")
            present = [k for k in calo if getattr(self, k) is not None]
            if len(present) == 1:
                missing = next(k for k in calo if k not in present)
                raise fail(missing, MISSING_VALUE, f"{calo[0]} and {calo[1]} together, or neither")
            return self

        def build(self) -> Geometry:
            keys = SHAPE_KEYS[self.shape]
            volume = SHAPES[self.shape](**{key: getattr(self, key) for key in keys})
            return Geometry(mode=self.mode, volume=volume, l_start_m=self.l_start_m, l_end_m=self.l_end_m,
                            theta_max_rad=self.theta_max_rad, calorimeter_z_m=self.calorimeter_z_m,
                            calorimeter_radius_m=self.calorimeter_radius_m)

    shapes = []
    for shape, keys in SHAPE_KEYS.items():
        own = {key: (number(**_ANGLE) if key == "theta_max_rad" else number(gt=0), Field(
            description=f"`{shape}`: {shape_key_doc(shape, key)}",
            json_schema_extra={"x-type": "number, m", "x-default": f"required for `{shape}`"}))
            for key in keys if key != "theta_max_rad"}
        if "theta_max_rad" in keys:
            own["theta_max_rad"] = (number(**_ANGLE), Field(description=shape_key_doc(shape, "theta_max_rad")))
        shapes.append(create_model(f"Geometry_{shape}", __base__=GeometryBase, __doc__=f"[geometry] shape = {shape!r}",
                                   shape=(Literal[shape], Field(description=(
                                       "the real decay volume between `l_start_m` and `l_end_m`"))), **own))
    methods = stat_methods()

    class StatisticsTable(Strict):
        """[statistics]: the experiment's own limit setting."""

        observed: integer(ge=0)
        """events observed in the search that is recast"""
        background: number(ge=0)
        """expected background events"""
        background_uncertainty: number(ge=0) = 0.0
        """its absolute uncertainty (1 sigma)"""
        background_relative_uncertainty: number(ge=0) = 0.0
        """relative uncertainty of the background normalisation (e.g. the neutrino flux); adds in
        quadrature to the absolute one"""
        signal_uncertainty: number(ge=0) = shown(0.0, allowed="`>= 0`; `< 1/z_CL` with `gaussian`")
        """relative uncertainty of the signal normalisation (efficiency, parent flux)"""
        confidence_level: number(gt=0, lt=1) = shown(0.95, allowed="`0 < CL < 1`")
        """of the upper limit"""
        method: choice(methods) = shown("poisson", allowed=", ".join(f'`"{m}"`' for m in methods) + (
            f" (`observed <= {FELDMAN_COUSINS_MAX_OBSERVED}`)" if "feldman_cousins" in methods else ""))
        """how the upper limit s_up on signal events is computed (`dipscan.limits.statistics`)"""
        observed_uncertainty: Annotated[
            number(gt=0) | Annotated[list[Annotated[float, Field(gt=0, allow_inf_nan=False)]], Field(min_length=1)],
            Rule("", wording="a positive number or a list of them (errors of sub-samples, added in quadrature)"),
        ] | None = shown(None, type_="number or array of numbers", default_text="none",
                         allowed="`> 0`; `gaussian` only")
        """published error of the measured count, used instead of sqrt(observed); a list of errors
        of independent sub-samples adds in quadrature"""

        @model_validator(mode="after")
        def _method_limits(self):
            if self.method == "feldman_cousins" and self.observed > FELDMAN_COUSINS_MAX_OBSERVED:
                raise fail("observed", self.observed, f"an integer >= 0 and <= {FELDMAN_COUSINS_MAX_OBSERVED}")
            from statistics import NormalDist  # here: only a recast with statistics needs it

            # the Gaussian limit exists only while z_CL * sigma_s < 1
            z = NormalDist().inv_cdf(self.confidence_level)
            if self.method == "gaussian" and z > 0 and not self.signal_uncertainty < 1.0 / z:
                raise fail("signal_uncertainty", self.signal_uncertainty, f"a finite number >= 0 and < {1.0 / z:g}")
            if self.observed_uncertainty is not None and self.method != "gaussian":
                raise fail("observed_uncertainty", self.observed_uncertainty,
                           "no observed_uncertainty: it is used by method 'gaussian' only")
            return self

        def build(self) -> Statistics:
            errors = self.observed_uncertainty
            return Statistics(
                observed=self.observed, background=self.background,
                background_uncertainty=self.background_uncertainty, confidence_level=self.confidence_level,
                method=self.method, signal_uncertainty=self.signal_uncertainty,
                background_relative_uncertainty=self.background_relative_uncertainty,
                observed_uncertainty=None if errors is None else tuple(errors if isinstance(errors, list) else [errors]))

    class ExperimentPreset(Strict):
        """An experiment preset, scenarios/experiments/NAME.toml."""

        name: text() = shown(allowed="non-empty")
        """display name (used in default labels)"""
        description: str = ""
        """one line on what it is, with its source"""
        beam: text() = shown(allowed="an existing beam file")
        """the beam preset `beams/<beam>.toml`; fixes the beam energy and the meson tables"""
        target: text() = shown(allowed="free text")
        """target material, for the record"""
        target_mass_number: number(ge=1) = shown(allowed="`>= 1` (1 for p-p)")
        """A of the target: charm and beauty multiplicities (J/psi, Upsilon, D+-, Ds, B+-) are scaled
        by A^0.29 (sec. 4.1)"""
        color: Colour = shown("black", allowed="a matplotlib colour")
        """default line colour"""
        linestyle: Linestyle = "solid"
        """default line style"""
        exposure: Annotated[PotExposure | ColliderExposure, Field(discriminator="kind")]
        """how many collisions the experiment sees (below)"""
        selection: Selection
        """photon energy window and efficiency (below)"""
        geometry: Annotated[functools.reduce(operator.or_, shapes), Field(discriminator="shape")]
        """decay region and acceptance (below)"""
        statistics: StatisticsTable | None = None
        """the experiment's own limit setting (below)"""
        approximations: list[text()] = shown([], allowed="non-empty strings")
        """what the preset approximates, one sentence each; copied into every run's `provenance.json`"""

    return ExperimentPreset


def _read_preset(name: str, scenario_file, key: str) -> tuple[Path, bytes, dict]:
    names = list_presets()
    path = preset_path(name)
    if not NAME_RE.match(name) or not path.is_file():
        hint = difflib.get_close_matches(name, names, n=1)
        raise ScenarioError(scenario_file if scenario_file is not None else path, key, name,
                            _presets_text() + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    raw, data = read_toml(path)
    return path, raw, data


def _parse_preset(name: str, path: Path, data: dict) -> tuple[ExperimentSpec, Path]:
    """The preset as written (no overrides), and its beam file."""
    p = load(preset_model(), data, path)
    beam_file = beam_path(p.beam)
    if not NAME_RE.match(p.beam) or not beam_file.is_file():
        raise ScenarioError(path, "beam", p.beam,
                            "a beam preset of scenarios/beams/: " + _names_text(list_beams(), str(beams_dir())))
    exposure = p.exposure.build()
    spec = ExperimentSpec(
        preset=name, name=p.name, label=f"{p.name} {exposure.describe()}", beam=p.beam, target=p.target,
        target_mass_number=p.target_mass_number, exposure=exposure,
        photon_threshold_GeV=p.selection.photon_threshold_GeV,
        photon_max_GeV=math.inf if p.selection.photon_max_GeV is None else p.selection.photon_max_GeV,
        efficiency=p.selection.efficiency, geometry=p.geometry.build(), color=p.color, linestyle=p.linestyle,
        statistics=p.statistics.build() if p.statistics else None, preset_path=path,
        description=p.description, approximations=tuple(p.approximations))
    return spec, beam_file


def apply_overrides(spec: ExperimentSpec, entry, file, prefix: str) -> ExperimentSpec:
    """The preset with a scenario's [[experiment]] keys (`entry`, validated) on top; errors name
    `file` and `prefix`.KEY. The checks here need the preset: they cannot live in the entry's model."""
    def error(key: str, found, allowed: str) -> ScenarioError:
        return ScenarioError(file, f"{prefix}.{key}", found, allowed)

    exposure, changes = spec.exposure, {}
    if entry.pot is not None:
        if exposure.kind != "pot":
            raise error("pot", entry.pot, f"no 'pot' for the collider preset {spec.preset!r}: use luminosity_invfb")
        exposure = Exposure("pot", pot=entry.pot)
    if entry.luminosity_invfb is not None:
        if exposure.kind != "collider":
            raise error("luminosity_invfb", entry.luminosity_invfb,
                        f"no 'luminosity_invfb' for the fixed-target preset {spec.preset!r}: use pot")
        exposure = Exposure("collider", sigma_inel_mb=exposure.sigma_inel_mb, luminosity_invfb=entry.luminosity_invfb)
    if entry.photon_threshold_GeV is not None:
        if not entry.photon_threshold_GeV < spec.photon_max_GeV:
            raise error("photon_threshold_GeV", entry.photon_threshold_GeV,
                        f"a finite number >= 0 and < {spec.photon_max_GeV:g}")
        changes["photon_threshold_GeV"] = entry.photon_threshold_GeV
    if entry.geometry_mode is not None:
        changes["geometry"] = replace(spec.geometry, mode=entry.geometry_mode)
    for key in ("color", "linestyle"):
        if getattr(entry, key) is not None:
            changes[key] = getattr(entry, key)
    label = entry.label if entry.label is not None else f"{spec.name} {exposure.describe()}"
    return replace(spec, exposure=exposure, label=label, **changes)


def load_experiment_preset_with_files(name: str, scenario_file=None, key: str = "preset"
                                      ) -> tuple[ExperimentSpec, dict[str, bytes]]:
    """As load_experiment_preset, and the bytes of every file it read, keyed by a stable name."""
    path, raw, data = _read_preset(name, scenario_file, key)
    spec, beam_file = _parse_preset(name, path, data)
    files = {f"experiments/{name}.toml": raw, f"beams/{spec.beam}.toml": beam_file.read_bytes()}
    return spec, files


def load_experiment_preset(name: str) -> ExperimentSpec:
    """Read and validate scenarios/experiments/<name>.toml."""
    return load_experiment_preset_with_files(name)[0]

def files_digest(files: Mapping[str, bytes]) -> str:
    """sha256 over (name, length, bytes) of each file, in a fixed order."""
    h = hashlib.sha256()
    for name in files:
        blob = files[name]
        h.update(f"{name}\0{len(blob)}\0".encode())
        h.update(blob)
    return h.hexdigest()
