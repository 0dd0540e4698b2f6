"""Experiment presets: scenarios/experiments/<name>.toml -> ExperimentSpec.

Also home of the small reader that every TOML file of dipscan goes through: it checks
keys and types and raises ScenarioError(file, key path, found, allowed) on the first mistake.
Nothing here writes a file.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import NormalDist

import numpy as np

from dipscan.errors import MISSING_VALUE, ScenarioError, Shown  # noqa: F401 (re-exported)
from dipscan.io.paths import beams_dir, project_root
from dipscan.production.beams import list_beams
from dipscan.scan.geometry import SHAPES, Shape, shape_keys

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python < 3.11 (pyproject pins tomli there)
    import tomli as tomllib

# 1 mb * 1 fb^-1 = 1e-27 cm^2 * 1e39 cm^-2 = 1e12 collisions.
MB_TIMES_INVFB = 1e12

EXPOSURE_KINDS = ("pot", "collider")
GEOMETRY_MODES = ("paper", "photon", "volume")
SHAPE_KEYS: dict[str, tuple[str, ...]] = {name: shape_keys(name) for name in SHAPES}
LINESTYLES = ("solid", "dashed", "dotted", "dashdot")
# Keys a [[experiment]] entry of a scenario may set on top of its preset.
OVERRIDE_KEYS = (
    "label",
    "pot",
    "luminosity_invfb",
    "photon_threshold_GeV",
    "geometry_mode",
    "color",
    "linestyle",
)
_NAME_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


# --------------------------------------------------------------------------- locations
# One lookup of the dipscan home (DIPSCAN_HOME, `~` expanded) for every file kind: production.paths.
def scenarios_dir() -> Path:
    """The scenarios folder: $DIPSCAN_HOME/scenarios if set, else the one of this checkout."""
    return project_root() / "scenarios"


def experiments_dir() -> Path:
    return scenarios_dir() / "experiments"


def list_presets() -> list[str]:
    """Names of the experiment presets (scenarios/experiments/*.toml), sorted."""
    return sorted(p.stem for p in experiments_dir().glob("*.toml"))


# --------------------------------------------------------------------------- reading TOML

_REQUIRED = object()
_LINE_COL = re.compile(r"\(at line (\d+), column (\d+)\)")


def read_toml(path: Path) -> tuple[bytes, dict]:
    """Read a TOML file once; return its bytes (for the digest) and the parsed table."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(path, "", Shown("no such file"), "an existing .toml file") from None
    except OSError as exc:
        raise ScenarioError(path, "", Shown(f"unreadable file ({exc.strerror})"), "a readable .toml file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, f"byte {exc.start}", Shown("a byte that is not UTF-8"), "UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _LINE_COL.search(message)
        key = f"line {where.group(1)}, column {where.group(2)}" if where else "TOML syntax"
        reason = _LINE_COL.sub("", message).strip()
        raise ScenarioError(path, key, Shown(f"a TOML syntax error ({reason})"), "valid TOML 1.0 (https://toml.io)") from None
    return raw, data


def _describe(value: object) -> object:
    """What to print as `found`: short text for tables and lists, the value otherwise."""
    if isinstance(value, dict):
        return Shown("a table {" + ", ".join(value) + "}")
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return Shown(f"an array of {len(value)} tables")
    return value


def _bounds_text(kind: str, gt=None, ge=None, lt=None, le=None) -> str:
    parts = []
    if gt is not None:
        parts.append(f"> {gt:g}")
    if ge is not None:
        parts.append(f">= {ge:g}")
    if lt is not None:
        parts.append(f"< {lt:g}")
    if le is not None:
        parts.append(f"<= {le:g}")
    return f"{kind} " + " and ".join(parts) if parts else kind


class Table:
    """One TOML table at a key path of a file; every accessor validates what it returns."""

    def __init__(self, data: Mapping, file: Path | str, path: str, allowed: Iterable[str] | None):
        """`allowed=None` defers the unknown-key check to the caller (keys that depend on a value)."""
        self.data, self.file, self.path = data, file, path
        self.allowed = tuple(data if allowed is None else allowed)
        for key in data:
            if key not in self.allowed:
                self.unknown(key)

    # -- errors
    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, found: object, allowed: str) -> ScenarioError:
        return ScenarioError(self.file, self.key(name), found, allowed)

    def unknown(self, name: str, allowed: Iterable[str] | None = None, context: str = "") -> None:
        allowed = tuple(self.allowed if allowed is None else allowed)
        hint = difflib.get_close_matches(name, allowed, n=1)
        text = f"keys {context}" if context else "keys "
        text += ", ".join(allowed) if allowed else "none"
        if hint:
            text += f" (did you mean {hint[0]!r}?)"
        raise self.error(name, Shown(f"unknown key {name!r}"), text)

    # -- accessors
    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default=_REQUIRED, allowed: str = "a value"):
        if name in self.data:
            return self.data[name]
        if default is _REQUIRED:
            raise self.error(name, MISSING_VALUE, allowed)
        return default

    def float(self, name: str, default=_REQUIRED, *, gt=None, ge=None, lt=None, le=None,
              allow_inf: bool = False) -> float:
        kind = "a number" if allow_inf else "a finite number"
        allowed = _bounds_text(kind, gt, ge, lt, le)
        value = self.raw(name, default, allowed)
        if value is None:
            return None
        return check_float(value, allowed, lambda found: self.error(name, found, allowed),
                           gt=gt, ge=ge, lt=lt, le=le, allow_inf=allow_inf)

    def int(self, name: str, default=_REQUIRED, *, ge=None, le=None) -> int:
        allowed = _bounds_text("an integer", ge=ge, le=le)
        value = self.raw(name, default, allowed)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, _describe(value), allowed)
        if (ge is not None and value < ge) or (le is not None and value > le):
            raise self.error(name, value, allowed)
        return value

    def bool(self, name: str, default=_REQUIRED) -> bool:
        value = self.raw(name, default, "true or false")
        if not isinstance(value, bool):
            raise self.error(name, _describe(value), "true or false")
        return value

    def str(self, name: str, default=_REQUIRED, *, choices: Iterable[str] | None = None) -> str:
        choices = tuple(choices) if choices is not None else None
        allowed = "one of: " + ", ".join(repr(c) for c in choices) if choices else "a non-empty string"
        value = self.raw(name, default, allowed)
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, _describe(value), allowed)
        if choices is not None and value not in choices:
            raise self.error(name, value, allowed)
        return value

    def table(self, name: str, allowed: Iterable[str] | None, *, required: bool = True) -> Table | None:
        text = f"a table [{self.key(name)}]"
        if allowed is not None:
            allowed = tuple(allowed)
            text += " with keys " + ", ".join(allowed)
        if name not in self.data:
            if required:
                raise self.error(name, MISSING_VALUE, text)
            return None
        value = self.data[name]
        if not isinstance(value, dict):
            raise self.error(name, _describe(value), text)
        return Table(value, self.file, self.key(name), allowed)


def check_float(value, allowed: str, make_error, *, gt=None, ge=None, lt=None, le=None,
                allow_inf: bool = False) -> float:
    """A TOML integer or float (never a bool, never NaN) inside the given bounds."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise make_error(_describe(value))
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise make_error(value)
    if ((gt is not None and not value > gt) or (ge is not None and not value >= ge)
            or (lt is not None and not value < lt) or (le is not None and not value <= le)):
        raise make_error(value)
    return value


def check_color(value: str, make_error) -> str:
    """A matplotlib colour specification (name, 'tab:blue', '#1f77b4', 'C0')."""
    from dipscan.config.colours import is_color_like  # matplotlib only for unusual values

    if not is_color_like(value):
        raise make_error(value)
    return value


COLOR_ALLOWED = "a matplotlib colour: a name ('black', 'tab:blue'), 'C0'..'C9' or '#rrggbb'"


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


# --------------------------------------------------------------------------- preset parsing
_PRESET_KEYS = ("name", "description", "beam", "target", "target_mass_number", "color", "linestyle",
                "exposure", "selection", "geometry", "statistics", "approximations")
_EXPOSURE_KEYS = {"pot": ("kind", "pot", "pot_per_year", "years"),
                  "collider": ("kind", "sigma_inel_mb", "luminosity_invfb")}
_SELECTION_KEYS = ("photon_threshold_GeV", "photon_max_GeV", "efficiency")
_CALO_KEYS = ("calorimeter_z_m", "calorimeter_radius_m")
_GEOMETRY_KEYS = ("mode", "shape", "l_start_m", "l_end_m",
                  *dict.fromkeys(k for keys in SHAPE_KEYS.values() for k in keys), *_CALO_KEYS)
_STATISTICS_KEYS = ("observed", "background", "background_uncertainty", "confidence_level", "method",
                    "signal_uncertainty", "background_relative_uncertainty", "observed_uncertainty")
FELDMAN_COUSINS_MAX_OBSERVED = 200  # as dipscan.limits.feldman_cousins.MAX_OBSERVED


def preset_path(name: str) -> Path:
    return experiments_dir() / f"{name}.toml"


def beam_path(name: str) -> Path:
    return beams_dir() / f"{name}.toml"


def _names_text(names: list[str], what: str) -> str:
    return ", ".join(names) if names else f"none: {what} is empty"


def _read_exposure(t: Table) -> Exposure:
    kind = t.str("kind", choices=EXPOSURE_KINDS)
    for key in t.data:
        if key not in _EXPOSURE_KEYS[kind]:
            t.unknown(key, _EXPOSURE_KEYS[kind], context=f"for kind {kind!r}: ")
    if kind == "pot":
        return Exposure(kind, pot=_read_pot(t))
    return Exposure(kind, sigma_inel_mb=t.float("sigma_inel_mb", gt=0),
                    luminosity_invfb=t.float("luminosity_invfb", gt=0))


def _read_pot(t: Table) -> float:
    """Protons on target: `pot`, or `pot_per_year` x `years` (the form design reports quote)."""
    per_year = [k for k in ("pot_per_year", "years") if k in t.data]
    if not per_year:
        return t.float("pot", gt=0)
    if "pot" in t.data:
        raise t.error(per_year[0], t.data[per_year[0]], "either pot, or pot_per_year and years, not both")
    if len(per_year) == 1:
        missing = "years" if per_year[0] == "pot_per_year" else "pot_per_year"
        raise t.error(missing, MISSING_VALUE, "pot_per_year and years together (or pot alone)")
    return t.float("pot_per_year", gt=0) * t.float("years", gt=0)


def _read_geometry(t: Table) -> Geometry:
    mode = t.str("mode", choices=GEOMETRY_MODES)
    shape = t.str("shape", choices=tuple(SHAPE_KEYS))
    l_start = t.float("l_start_m", gt=0)
    l_end = t.float("l_end_m", gt=l_start)
    # theta_max_rad is the cone's half-angle and, with any other shape, the angular cut of mode
    # "paper" (without it, mode "paper" asks the direction to cross the downstream face).
    own = set(SHAPE_KEYS[shape]) | {"theta_max_rad"}
    for other, keys in SHAPE_KEYS.items():
        for key in keys:
            if key in t.data and key not in own:
                raise t.error(key, Shown(f"key {key!r} of shape {other!r}"),
                              f"for shape {shape!r} the keys " + ", ".join(SHAPE_KEYS[shape])
                              + " (theta_max_rad is allowed with every shape, for mode 'paper')")
    values: dict[str, float | None] = {}
    for key in SHAPE_KEYS[shape]:
        values[key] = t.float(key, gt=0, lt=math.pi / 2) if key == "theta_max_rad" else t.float(key, gt=0)
    if shape != "cone":
        values["theta_max_rad"] = t.float("theta_max_rad", None, gt=0, lt=math.pi / 2)
    present = [k for k in _CALO_KEYS if k in t.data]
    if len(present) == 1:
        missing = next(k for k in _CALO_KEYS if k not in t.data)
        raise t.error(missing, MISSING_VALUE, f"{_CALO_KEYS[0]} and {_CALO_KEYS[1]} together, or neither")
    if present:
        values["calorimeter_z_m"] = t.float("calorimeter_z_m", ge=l_end)
        values["calorimeter_radius_m"] = t.float("calorimeter_radius_m", gt=0)
    volume = SHAPES[shape](**{key: values[key] for key in SHAPE_KEYS[shape]})
    values = {k: v for k, v in values.items() if k not in SHAPE_KEYS[shape] or k == "theta_max_rad"}
    return Geometry(mode=mode, volume=volume, l_start_m=l_start, l_end_m=l_end, **values)


def stat_methods() -> tuple[str, ...]:
    """The upper-limit methods of dipscan.limits.statistics, so that a preset names only real ones."""
    from dipscan.limits.statistics import METHODS  # lazy: loading a preset needs no scipy

    return tuple(METHODS)


def _read_statistics(t: Table) -> Statistics:
    method = t.str("method", "poisson", choices=stat_methods())
    cl = t.float("confidence_level", 0.95, gt=0, lt=1)
    observed = (t.int("observed", ge=0, le=FELDMAN_COUSINS_MAX_OBSERVED) if method == "feldman_cousins"
                else t.int("observed", ge=0))
    # the Gaussian limit exists only while z_CL * sigma_s < 1
    z = NormalDist().inv_cdf(cl)
    signal = t.float("signal_uncertainty", 0.0, ge=0, lt=1.0 / z if method == "gaussian" and z > 0 else None)
    observed_uncertainty = None
    if t.has("observed_uncertainty"):
        allowed = "a positive number or a list of them (errors of sub-samples, added in quadrature)"
        if method != "gaussian":
            raise t.error("observed_uncertainty", t.data["observed_uncertainty"],
                          "no observed_uncertainty: it is used by method 'gaussian' only")
        raw = t.data["observed_uncertainty"]
        values = raw if isinstance(raw, list) and raw else [raw]
        observed_uncertainty = tuple(check_float(v, allowed, lambda found: t.error("observed_uncertainty", raw, allowed),
                                                 gt=0) for v in values)
    return Statistics(
        observed=observed,
        background=t.float("background", ge=0),
        background_uncertainty=t.float("background_uncertainty", 0.0, ge=0),
        confidence_level=cl,
        method=method,
        signal_uncertainty=signal,
        background_relative_uncertainty=t.float("background_relative_uncertainty", 0.0, ge=0),
        observed_uncertainty=observed_uncertainty,
    )


def _read_preset(name: str, scenario_file, key: str) -> tuple[Path, bytes, dict]:
    names = list_presets()
    path = preset_path(name)
    if not _NAME_RE.match(name) or not path.is_file():
        hint = difflib.get_close_matches(name, names, n=1)
        raise ScenarioError(scenario_file if scenario_file is not None else path, key, name,
                            "a preset of scenarios/experiments/: " + _names_text(names, str(experiments_dir()))
                            + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    raw, data = read_toml(path)
    return path, raw, data


def _parse_preset(name: str, path: Path, data: dict, overrides: Mapping, key_prefix: str,
                  scenario_file) -> tuple[ExperimentSpec, Path]:
    top = Table(data, path, "", _PRESET_KEYS)
    display = top.str("name")
    description = top.str("description", "")
    beam = top.str("beam")
    beams = list_beams()
    beam_file = beam_path(beam)
    if not _NAME_RE.match(beam) or not beam_file.is_file():
        raise top.error("beam", beam, "a beam preset of scenarios/beams/: " + _names_text(beams, str(beams_dir())))
    target = top.str("target")
    approximations = top.raw("approximations", [])
    if not isinstance(approximations, list) or not all(isinstance(a, str) and a.strip() for a in approximations):
        raise top.error("approximations", approximations, "an array of non-empty strings")
    mass_number = top.float("target_mass_number", ge=1)
    color = top.str("color", "black")
    check_color(color, lambda found: top.error("color", found, COLOR_ALLOWED))
    linestyle = top.str("linestyle", "solid", choices=LINESTYLES)

    exposure = _read_exposure(top.table("exposure", tuple(dict.fromkeys(k for keys in _EXPOSURE_KEYS.values() for k in keys))))
    sel = top.table("selection", _SELECTION_KEYS)
    threshold = sel.float("photon_threshold_GeV", ge=0)
    photon_max = sel.float("photon_max_GeV", math.inf, gt=threshold, allow_inf=True)
    efficiency = sel.float("efficiency", 1.0, gt=0, le=1)
    geometry = _read_geometry(top.table("geometry", _GEOMETRY_KEYS))
    stats_table = top.table("statistics", _STATISTICS_KEYS, required=False)
    statistics = _read_statistics(stats_table) if stats_table is not None else None

    # ---- overrides from the scenario: errors name the scenario file and experiment[i].KEY
    o = Table(dict(overrides), scenario_file if scenario_file is not None else "<overrides>",
              key_prefix.rstrip("."), OVERRIDE_KEYS)
    if o.has("pot"):
        if exposure.kind != "pot":
            raise o.error("pot", o.data["pot"], f"no 'pot' for the collider preset {name!r}: use luminosity_invfb")
        exposure = Exposure("pot", pot=o.float("pot", gt=0))
    if o.has("luminosity_invfb"):
        if exposure.kind != "collider":
            raise o.error("luminosity_invfb", o.data["luminosity_invfb"],
                          f"no 'luminosity_invfb' for the fixed-target preset {name!r}: use pot")
        exposure = Exposure("collider", sigma_inel_mb=exposure.sigma_inel_mb,
                            luminosity_invfb=o.float("luminosity_invfb", gt=0))
    if o.has("photon_threshold_GeV"):
        limit = {"lt": photon_max} if math.isfinite(photon_max) else {}
        threshold = o.float("photon_threshold_GeV", ge=0, **limit)
    if o.has("geometry_mode"):
        geometry = replace(geometry, mode=o.str("geometry_mode", choices=GEOMETRY_MODES))
    if o.has("color"):
        color = o.str("color")
        check_color(color, lambda found: o.error("color", found, COLOR_ALLOWED))
    linestyle = o.str("linestyle", linestyle, choices=LINESTYLES)
    label = o.str("label", f"{display} {exposure.describe()}")

    spec = ExperimentSpec(
        preset=name, name=display, label=label, beam=beam, target=target,
        target_mass_number=mass_number, exposure=exposure, photon_threshold_GeV=threshold,
        photon_max_GeV=photon_max, efficiency=efficiency, geometry=geometry, color=color,
        linestyle=linestyle, statistics=statistics, preset_path=path, description=description,
        approximations=tuple(approximations),
    )
    return spec, beam_file


def load_experiment_preset_with_files(name: str, overrides: Mapping | None = None, key_prefix: str = "",
                                      scenario_file=None) -> tuple[ExperimentSpec, dict[str, bytes]]:
    """As load_experiment_preset, and the bytes of every file it read, keyed by a stable name."""
    key = f"{key_prefix.rstrip('.')}.preset" if key_prefix else "preset"
    path, raw, data = _read_preset(name, scenario_file, key)
    spec, beam_file = _parse_preset(name, path, data, overrides or {}, key_prefix, scenario_file)
    files = {f"experiments/{name}.toml": raw, f"beams/{spec.beam}.toml": beam_file.read_bytes()}
    return spec, files


def load_experiment_preset(name: str, overrides: Mapping | None = None, key_prefix: str = "",
                           scenario_file=None) -> ExperimentSpec:
    """Read and validate scenarios/experiments/<name>.toml, then apply a scenario's overrides.

    `overrides` holds the keys of a [[experiment]] entry other than `preset` (OVERRIDE_KEYS);
    errors in them name `scenario_file` and `key_prefix` + key (e.g. "experiment[1].pot").
    """
    return load_experiment_preset_with_files(name, overrides, key_prefix, scenario_file)[0]


def files_digest(files: Mapping[str, bytes]) -> str:
    """sha256 over (name, length, bytes) of each file, in a fixed order."""
    h = hashlib.sha256()
    for name in files:
        blob = files[name]
        h.update(f"{name}\0{len(blob)}\0".encode())
        h.update(blob)
    return h.hexdigest()
