"""Scenario files: scenarios/<name>.toml -> Scenario (frozen dataclasses), validated up front.

Every mistake raises dipscan.errors.ScenarioError naming the file where the bad value lives,
the key path (`experiment[1].photon_threshold_GeV`, `grid.mass.min`), the value found and what
is allowed. Loading reads files only; it never writes. The schema is documented key by key in
scenarios/README.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from dipscan.config.plotspec import PLOT_KEYS, PlotSpec, read_plot
from dipscan.config.presets import (
    MISSING_VALUE,
    OVERRIDE_KEYS,
    ExperimentSpec,
    Exposure,
    Geometry,
    Shown,
    Statistics,
    Table,
    files_digest,
    list_presets,
    load_experiment_preset,
    load_experiment_preset_with_files,
    read_toml,
    scenarios_dir,
)
from dipscan.config.uncertainties import UncertaintySpec, read_uncertainties
from dipscan.config.user_curves import UserCurve, read_user_curves
from dipscan.errors import ScenarioError

__all__ = [
    "Exposure", "ExperimentSpec", "Geometry", "Grid", "ModelSpec", "OutputSpec", "OverlaySpec",
    "Scenario",
    "Statistics", "list_presets", "list_scenarios", "load_experiment_preset", "load_scenario",
    "scenarios_dir",
]

SPACINGS = ("log", "linear")
OUTPUT_FORMATS = ("parquet", "csv", "png", "pdf")
DEFAULT_SEED = 1
DEFAULT_LLP_SAMPLES_MAX = 200_000
DEFAULT_N_EVENTS = 3.0  # the paper's N_evts = 3 contour (sec. 4.3)
MAX_GRID_POINTS = 10_000
MAX_LLP_SAMPLES = 100_000_000

_TOP_KEYS = ("scenario", "model", "grid", "sampling", "experiment", "output", "overlays",
             "uncertainties", "plot")
_UNCERTAINTY_KEYS = ("enabled", "mc_statistics", "a_exponent_sigma", "normalisation")
# Curves drawn beside the experiments, and the model each belongs to.
OVERLAY_MODELS = {"babar": "dark_dipole", "relic": "dark_dipole", "literature": "neutrino_dipole"}
_GRID_KEYS = ("min", "max", "points", "spacing")


@dataclass(frozen=True)
class Grid:
    """A 1-D scan axis: `points` values from min to max, log or linear spacing, ends included."""

    min: float
    max: float
    points: int
    spacing: str = "log"

    def values(self) -> np.ndarray:
        if self.spacing == "log":
            return np.geomspace(self.min, self.max, self.points)
        return np.linspace(self.min, self.max, self.points)


@dataclass(frozen=True)
class ModelSpec:
    """Which operator, and its fixed parameters: {"delta": 0.01} or {"flavour": "mu"}."""

    kind: str
    params: Mapping[str, object]

    def __reduce__(self):
        # A read-only mapping does not pickle; sweeps send scenarios to other processes.
        return (_model_spec, (self.kind, dict(self.params)))


def _model_spec(kind: str, params: dict) -> ModelSpec:
    return ModelSpec(kind, MappingProxyType(params))


@dataclass(frozen=True)
class OutputSpec:
    n_events: float = DEFAULT_N_EVENTS
    formats: tuple[str, ...] = OUTPUT_FORMATS


@dataclass(frozen=True)
class OverlaySpec:
    """Existing limits and targets drawn (and exported) beside the experiments' curves."""

    babar: tuple = ()  # BaBar mono-photon recasts (dark_dipole): BabarRecast per curve
    relic: bool = False  # thermal-relic line (dark_dipole)
    literature: bool = False  # published limits shipped by hnlimits (neutrino_dipole)
    curves: tuple[UserCurve, ...] = ()  # the user's own curves, [[overlays.curve]]

    def kinds(self) -> list[str]:
        """The overlay kinds this scenario draws (the names `[plot] overlays` may list)."""
        flags = {"babar": bool(self.babar), "relic": self.relic, "literature": self.literature,
                 "curves": bool(self.curves)}
        return [kind for kind, on in flags.items() if on]

    def count(self) -> int:
        """How many overlays are drawn (one per BaBar recast)."""
        return len(self.babar) + int(self.relic) + int(self.literature) + len(self.curves)


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    title: str
    seed: int
    model: ModelSpec
    mass_grid: Grid
    coupling_grid: Grid
    llp_samples_max: int
    experiments: tuple[ExperimentSpec, ...]
    output: OutputSpec
    digest: str  # sha256 of the scenario file bytes and every preset file it uses
    overlays: OverlaySpec = OverlaySpec()
    plot: PlotSpec = PlotSpec()
    uncertainties: UncertaintySpec = UncertaintySpec()  # bands: beam defaults + [uncertainties]
    confirm_large: bool = False  # run even above the size limits of dipscan.cli.preflight

    def experiment(self, label: str) -> ExperimentSpec:
        for spec in self.experiments:
            if spec.label == label:
                return spec
        raise KeyError(label)


def list_scenarios() -> list[Path]:
    """The studies of scenarios/*.toml, sorted (sub-folders such as examples/ are not listed)."""
    return sorted(scenarios_dir().glob("*.toml"))


def model_kinds() -> tuple[str, ...]:
    """The registered kinds of dipscan.physics.models."""
    from dipscan.physics.models import MODEL_KINDS  # lazy: reading a scenario imports no physics

    return tuple(MODEL_KINDS)


# --------------------------------------------------------------------------- sections
def _read_grid(t: Table) -> Grid:
    lo = t.float("min", gt=0)
    hi = t.float("max", gt=lo)
    points = t.int("points", ge=2, le=MAX_GRID_POINTS)
    spacing = t.str("spacing", "log", choices=SPACINGS)
    return Grid(lo, hi, points, spacing)


def _read_model(t: Table) -> ModelSpec:
    from dipscan.physics.models import model_class  # lazy: the model declares its parameters

    kind = t.str("kind", choices=model_kinds())
    declared = model_class(kind).PARAMS
    allowed = ("kind", *(p.name for p in declared))
    for key in t.data:
        if key not in allowed:
            t.unknown(key, allowed, context=f"for kind {kind!r}: ")
    params: dict[str, object] = {}
    for p in declared:
        params[p.name] = t.str(p.name, choices=p.choices) if p.choices else t.float(p.name, gt=p.gt)
    return ModelSpec(kind, MappingProxyType(params))


def _read_output(t: Table | None) -> OutputSpec:
    if t is None:
        return OutputSpec()
    n_events = t.float("n_events", DEFAULT_N_EVENTS, gt=0)
    allowed = "a non-empty array of distinct values from: " + ", ".join(repr(f) for f in OUTPUT_FORMATS)
    formats = t.raw("formats", list(OUTPUT_FORMATS))
    if not isinstance(formats, list) or not formats:
        raise t.error("formats", formats if not isinstance(formats, dict) else Shown("a table"), allowed)
    for i, fmt in enumerate(formats):
        if fmt not in OUTPUT_FORMATS or formats.index(fmt) != i:
            raise t.error(f"formats[{i}]", fmt, allowed)
    return OutputSpec(n_events, tuple(formats))


def _read_overlays(t: Table | None, model: ModelSpec, files: dict[str, bytes]) -> OverlaySpec:
    if t is None:
        return OverlaySpec()
    flags = {}
    for name, kind in OVERLAY_MODELS.items():
        value = t.data.get(name, False)
        # babar also takes recast names of scenarios/limits/ (true = "babar", the paper's)
        flags[name] = bool(value) if name == "babar" and not isinstance(value, bool) else t.bool(name, False)
        if flags[name] and model.kind != kind:
            raise t.error(name, value, f"false: the {name} overlay belongs to model kind {kind!r}")
    flags["babar"] = _read_babar_recasts(t, files) if flags["babar"] else ()
    curves = read_user_curves(t.raw("curve"), t, model.kind) if t.has("curve") else ()
    return OverlaySpec(**flags, curves=curves)


def _curve_labels(experiments, overlays: OverlaySpec, model: ModelSpec) -> list[str]:
    """Every label the figure can show: experiments, built-in overlays, the user's curves."""
    from dipscan.limits.literature import region_names
    from dipscan.scan.overlays import RELIC_LABEL

    labels = [spec.label for spec in experiments]
    labels += [recast.label for recast in overlays.babar] + [RELIC_LABEL] * overlays.relic
    labels += region_names(str(model.params["flavour"])) if overlays.literature else []
    return labels + [curve.label for curve in overlays.curves]


def _read_babar_recasts(t: Table, files: dict[str, bytes]) -> tuple:
    from dipscan.config.babar_recast import load_babar_recast

    value = t.data["babar"]
    names = ["babar"] if value is True else [value] if isinstance(value, str) else value
    if not isinstance(names, list) or len(set(map(str, names))) != len(names):
        raise t.error("babar", value, "true, false, a recast name or a list of distinct recast names")
    return tuple(load_babar_recast(name, t.file, t.key("babar") + (f"[{i}]" if isinstance(value, list) else ""),
                                   files) for i, name in enumerate(names))


def _read_experiments(top: Table, path: Path) -> tuple[tuple[ExperimentSpec, ...], dict[str, bytes]]:
    allowed = "one or more [[experiment]] tables (double brackets), each with preset = \"NAME\""
    entries = top.raw("experiment", allowed=allowed)
    if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
        found = Shown("a single table [experiment]") if isinstance(entries, dict) else entries
        raise top.error("experiment", found, allowed)
    specs: list[ExperimentSpec] = []
    files: dict[str, bytes] = {}
    for i, entry in enumerate(entries):
        prefix = f"experiment[{i}]"
        t = Table(entry, path, prefix, ("preset", *OVERRIDE_KEYS))
        if not t.has("preset"):
            raise t.error("preset", MISSING_VALUE, "a preset name: " + ", ".join(list_presets()))
        name = t.str("preset")
        overrides = {k: v for k, v in entry.items() if k != "preset"}
        spec, used = load_experiment_preset_with_files(name, overrides, prefix, scenario_file=path)
        files.update(used)
        specs.append(spec)
    first_seen: dict[str, int] = {}
    for i, spec in enumerate(specs):
        if spec.label in first_seen:
            j = first_seen[spec.label]
            raise ScenarioError(path, f"experiment[{i}].label", spec.label,
                                f"a label not used by experiment[{j}]: labels key the outputs; "
                                "set `label` on one of them")
        first_seen[spec.label] = i
    return tuple(specs), files


# --------------------------------------------------------------------------- entry point
def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and resolve a scenario file and every preset it names."""
    path = Path(path)
    raw, data = read_toml(path)
    top = Table(data, path, "", _TOP_KEYS)

    meta = top.table("scenario", ("title", "seed", "confirm_large"), required=False)
    title = meta.str("title", path.stem) if meta else path.stem
    seed = meta.int("seed", DEFAULT_SEED, ge=0) if meta else DEFAULT_SEED
    confirm_large = meta.bool("confirm_large", False) if meta else False

    model = _read_model(top.table("model", None))
    grid = top.table("grid", ("mass", "coupling"))
    mass_grid = _read_grid(grid.table("mass", _GRID_KEYS))
    coupling_grid = _read_grid(grid.table("coupling", _GRID_KEYS))

    sampling = top.table("sampling", ("llp_samples_max",), required=False)
    llp_samples_max = (sampling.int("llp_samples_max", DEFAULT_LLP_SAMPLES_MAX, ge=1000, le=MAX_LLP_SAMPLES)
                       if sampling else DEFAULT_LLP_SAMPLES_MAX)

    experiments, preset_files = _read_experiments(top, path)
    output = _read_output(top.table("output", ("n_events", "formats"), required=False))
    limit_files: dict[str, bytes] = {}
    overlays = _read_overlays(top.table("overlays", (*OVERLAY_MODELS, "curve"), required=False),
                              model, limit_files)
    for i, curve in enumerate(overlays.curves):
        if curve.label in [spec.label for spec in experiments]:
            raise ScenarioError(path, f"overlays.curve[{i}].label", curve.label,
                                "a label no experiment uses: labels key the outputs")
    plot = read_plot(top.table("plot", PLOT_KEYS, required=False),
                     _curve_labels(experiments, overlays, model), overlays.kinds())
    uncertainties = read_uncertainties(
        top.table("uncertainties", _UNCERTAINTY_KEYS, required=False),
        list(dict.fromkeys(spec.beam for spec in experiments)), path)

    files = {"scenario": raw, **dict(sorted({**preset_files, **limit_files}.items())),
             **{f"curve:{c.file}": c.file.read_bytes() for c in overlays.curves}}
    return Scenario(
        path=path, name=path.stem, title=title, seed=seed, model=model, mass_grid=mass_grid,
        coupling_grid=coupling_grid, llp_samples_max=llp_samples_max, experiments=experiments,
        output=output, digest=files_digest(files), overlays=overlays, plot=plot,
        uncertainties=uncertainties,
        confirm_large=confirm_large,
    )
