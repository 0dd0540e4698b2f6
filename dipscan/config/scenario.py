"""Scenario files: scenarios/<name>.toml -> Scenario (frozen dataclasses), validated up front.

Every mistake raises dipscan.errors.ScenarioError naming the file where the bad value lives,
the key path (`experiment[1].photon_threshold_GeV`, `grid.mass.min`), the value found and what
is allowed. Loading reads files only; it never writes. The schema is documented key by key in
scenarios/README.md.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, create_model, model_validator

from dipscan.config.plotspec import PlotSpec, PlotTable, read_plot
from dipscan.config.presets import (
    GEOMETRY_MODES,
    NAME_RE,
    Colour,
    ExperimentSpec,
    Exposure,
    Geometry,
    Linestyle,
    Statistics,
    _presets_text,
    apply_overrides,
    files_digest,
    list_presets,
    load_experiment_preset,
    load_experiment_preset_with_files,
    scenarios_dir,
)
from dipscan.config.uncertainties import UncertaintiesTable, UncertaintySpec, read_uncertainties
from dipscan.config.user_curves import CurveEntry, UserCurve, read_user_curves
from dipscan.errors import ScenarioError
from dipscan.io.toml_loader import (
    Rule,
    Strict,
    choice,
    fail,
    flag,
    integer,
    load,
    number,
    read_toml,
    shown,
    text,
)

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

# Curves drawn beside the experiments, and the model each belongs to.
OVERLAY_MODELS = {"babar": "dark_dipole", "relic": "dark_dipole", "literature": "neutrino_dipole"}


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


# --------------------------------------------------------------------------- the file's model
class ScenarioTable(Strict):
    """[scenario]: title, seed and size confirmation."""

    title: text() | None = Field(None, json_schema_extra={"x-default": "the file stem", "x-allowed": "non-empty"})
    """title of the plot and summary"""
    seed: integer(ge=0) = DEFAULT_SEED
    """root of every random draw; the same seed gives the same bytes"""
    confirm_large: flag = False
    """run even above the size limits (see [Large grids](#large-grids))"""


class GridTable(Strict):
    """A scan axis: `points` values from min to max, ends included."""

    min: number(gt=0) = Field(json_schema_extra={"x-type": "number (GeV or GeV^-1)"})
    """first grid value"""
    max: number(gt=0, above="min") = Field(json_schema_extra={"x-allowed": "`> min`"})
    """last grid value (included)"""
    points: integer(ge=2, le=MAX_GRID_POINTS)
    """number of grid values"""
    spacing: choice(SPACINGS) = "log"
    """even steps in log10 or in the value"""

    def build(self) -> Grid:
        return Grid(self.min, self.max, self.points, self.spacing)


class GridsTable(Strict):
    """[grid.mass] in GeV and [grid.coupling] in GeV^-1."""

    mass: GridTable
    coupling: GridTable


class SamplingTable(Strict):
    """[sampling]"""

    llp_samples_max: integer(ge=1000, le=MAX_LLP_SAMPLES) = DEFAULT_LLP_SAMPLES_MAX
    """cap on LLP samples per (beam, mass, production channel)"""


class ExperimentEntry(Strict):
    """[[experiment]]: a preset of scenarios/experiments/ and its overrides."""

    preset: Annotated[str, Field(pattern=NAME_RE.pattern), Rule("", wording=_presets_text)] = shown(
        allowed="a file stem of `experiments/`")
    """the preset `experiments/<preset>.toml`"""
    label: text() | None = shown(None, default_text='`"<preset name> <exposure>"`, e.g. `"NA62 1e18 POT"`, `"FASER 2 3 ab^-1"`',
                                 allowed="unique within the scenario")
    """legend entry; also the key of the experiment in every output table"""
    pot: number(gt=0) | None = shown(None, default_text="the preset's", allowed="`> 0`; fixed-target presets only")
    """protons on target, replaces `exposure.pot`"""
    luminosity_invfb: number(gt=0) | None = shown(None, default_text="the preset's", allowed="`> 0`; collider presets only")
    """integrated luminosity in fb^-1, replaces `exposure.luminosity_invfb`"""
    photon_threshold_GeV: number(ge=0) | None = shown(None, type_="number, GeV", default_text="the preset's",
                                                      allowed="`>= 0` and below the preset's `photon_max_GeV`")
    """minimum photon energy, replaces `selection.photon_threshold_GeV`"""
    geometry_mode: choice(GEOMETRY_MODES) | None = shown(None, default_text="the preset's")
    """replaces `geometry.mode`"""
    color: Colour | None = shown(None, default_text="the preset's",
                                 allowed='a matplotlib colour (`"tab:blue"`, `"C3"`, `"#1f77b4"`)')
    """line colour"""
    linestyle: Linestyle | None = shown(None, default_text="the preset's")
    """line style"""


_FORMATS_ALLOWED = "a non-empty array of distinct values from: " + ", ".join(repr(f) for f in OUTPUT_FORMATS)


class OutputTable(Strict):
    """[output]"""

    n_events: number(gt=0) = Field(DEFAULT_N_EVENTS, json_schema_extra={
        "x-default": f"`{DEFAULT_N_EVENTS}` (the paper's choice, sec. 4.3)"})
    """contour level N_evts of the sensitivity curves"""
    formats: Annotated[list[Literal[OUTPUT_FORMATS]], Field(min_length=1), Rule("", wording=_FORMATS_ALLOWED)] = Field(
        list(OUTPUT_FORMATS), json_schema_extra={
            "x-type": "array of strings", "x-default": "all four",
            "x-allowed": "a non-empty subset of " + ", ".join(f'`"{f}"`' for f in OUTPUT_FORMATS) + ", no repeats"})
    """what to write: event grids and contours as `parquet`/`csv`, the plot as `png`/`pdf`"""

    @model_validator(mode="after")
    def _distinct(self):
        for i, fmt in enumerate(self.formats):
            if self.formats.index(fmt) != i:
                raise fail(f"formats[{i}]", fmt, _FORMATS_ALLOWED)
        return self


class OverlaysTable(Strict):
    """[overlays]: existing limits drawn beside the experiments."""

    babar: Annotated[bool | text() | list[text()],
                     Rule("", wording="true, false, a recast name or a list of distinct recast names")] = shown(
        False, type_="boolean, string or array of strings",
        allowed='`true`, a name of `limits/` or distinct names; only with `kind = "dark_dipole"`')
    """BaBar mono-photon recast(s), e+e- -> gamma chi1 chi2 at the Upsilon(3S), defined by
    `limits/NAME.toml` (below): `true` is `"babar"` (the paper's 60 fb^-1, 10 signal events; shaded,
    dotted edge); a name or a list of names draws each"""
    relic: flag = shown(False, allowed='`true` only with `kind = "dark_dipole"`')
    """thermal-relic line Omega h^2 = 0.12 (coannihilation, Boltzmann equation); dashed black; masses
    below 10 MeV shaded as disfavoured by CMB/BBN. Solved once per (delta, mass range) and cached in
    `outputs/.cache/`"""
    literature: flag = shown(False, allowed='`true` only with `kind = "neutrino_dipole"`')
    """published neutrino-dipole limits for the chosen flavour from the installed `hnlimits` package
    (LEP, LSND, NOMAD, MiniBooNE, SK, Borexino+SK, DONUT, CHARM-II, BBN, SN1987A as applicable); a
    curve the package lacks gives a warning in the provenance, never a failure"""
    curve: list[CurveEntry] | None = shown(None, default_text="none")
    """the user's own curves, `[[overlays.curve]]` (below)"""


def _model_table(kind: str) -> type[Strict]:
    """[model] kind = KIND: the parameters the model declares."""
    from dipscan.physics.models import model_class

    params = {p.name: (choice(p.choices) if p.choices else number(gt=p.gt), Field(description=p.doc))
              for p in model_class(kind).PARAMS}
    table = create_model(f"Model_{kind}", __base__=Strict, __doc__=f"[model] kind = {kind!r}",
                         kind=(Literal[kind], Field(description="the operator")), **params)
    table.KEYS_CONTEXT = f"for kind {kind!r}: "
    return table


def scenario_model() -> type[Strict]:
    """The typed model of a scenario file; [model] is one table per registered model kind."""
    from dipscan.physics.models import MODEL_KINDS, model_class

    return _scenario_model(tuple((kind, model_class(kind)) for kind in dict.fromkeys(MODEL_KINDS)))


@functools.cache
def _scenario_model(kinds: tuple) -> type[Strict]:
    models = [_model_table(kind) for kind, _ in kinds]
    model = Annotated[functools.reduce(operator.or_, models), Field(discriminator="kind")]
    experiments = Annotated[list[ExperimentEntry], Field(min_length=1), Rule(
        "", wording="one or more [[experiment]] tables (double brackets), each with preset = \"NAME\"")]
    return create_model(
        "ScenarioFile", __base__=Strict, __doc__="A scenario file, scenarios/NAME.toml.",
        scenario=(ScenarioTable | None, None), model=(model, ...), grid=(GridsTable, ...),
        sampling=(SamplingTable | None, None), experiment=(experiments, ...),
        output=(OutputTable | None, None), overlays=(OverlaysTable | None, None),
        uncertainties=(UncertaintiesTable | None, None), plot=(PlotTable | None, None))


# --------------------------------------------------------------------------- resolution
def _read_overlays(t: OverlaysTable | None, model: ModelSpec, path: Path, files: dict[str, bytes]) -> OverlaySpec:
    if t is None:
        return OverlaySpec()
    flags = {}
    for name, kind in OVERLAY_MODELS.items():
        value = getattr(t, name)
        flags[name] = bool(value)
        if flags[name] and model.kind != kind:
            raise ScenarioError(path, f"overlays.{name}", value,
                                f"false: the {name} overlay belongs to model kind {kind!r}")
    flags["babar"] = _read_babar_recasts(t.babar, path, files) if flags["babar"] else ()
    curves = read_user_curves(t.curve, path, model.kind) if t.curve else ()
    return OverlaySpec(**flags, curves=curves)


def _curve_labels(experiments, overlays: OverlaySpec, model: ModelSpec) -> list[str]:
    """Every label the figure can show: experiments, built-in overlays, the user's curves."""
    from dipscan.limits import RELIC_LABEL
    from dipscan.limits.literature import region_names

    labels = [spec.label for spec in experiments]
    labels += [recast.label for recast in overlays.babar] + [RELIC_LABEL] * overlays.relic
    labels += region_names(str(model.params["flavour"])) if overlays.literature else []
    return labels + [curve.label for curve in overlays.curves]


def _read_babar_recasts(value, path: Path, files: dict[str, bytes]) -> tuple:
    from dipscan.config.babar_recast import load_babar_recast

    names = ["babar"] if value is True else [value] if isinstance(value, str) else value
    if len(set(names)) != len(names):
        raise ScenarioError(path, "overlays.babar", value,
                            "true, false, a recast name or a list of distinct recast names")
    return tuple(load_babar_recast(name, path, "overlays.babar" + (f"[{i}]" if isinstance(value, list) else ""),
                                   files) for i, name in enumerate(names))


def _read_experiments(entries: list[ExperimentEntry], path: Path
                      ) -> tuple[tuple[ExperimentSpec, ...], dict[str, bytes]]:
    specs: list[ExperimentSpec] = []
    files: dict[str, bytes] = {}
    for i, entry in enumerate(entries):
        prefix = f"experiment[{i}]"
        spec, used = load_experiment_preset_with_files(entry.preset, path, f"{prefix}.preset")
        files.update(used)
        specs.append(apply_overrides(spec, entry, path, prefix))
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
    s = load(scenario_model(), data, path)
    meta = s.scenario or ScenarioTable()
    params = s.model.model_dump(exclude={"kind"})
    model = ModelSpec(s.model.kind, MappingProxyType({name: params[name] for name in params}))
    experiments, preset_files = _read_experiments(s.experiment, path)
    output = s.output or OutputTable()
    limit_files: dict[str, bytes] = {}
    overlays = _read_overlays(s.overlays, model, path, limit_files)
    for i, curve in enumerate(overlays.curves):
        if curve.label in [spec.label for spec in experiments]:
            raise ScenarioError(path, f"overlays.curve[{i}].label", curve.label,
                                "a label no experiment uses: labels key the outputs")
    plot = read_plot(s.plot, _curve_labels(experiments, overlays, model), overlays.kinds(), path)
    uncertainties = read_uncertainties(s.uncertainties, list(dict.fromkeys(spec.beam for spec in experiments)), path)

    files = {"scenario": raw, **dict(sorted({**preset_files, **limit_files}.items())),
             **{f"curve:{c.file}": c.file.read_bytes() for c in overlays.curves}}
    return Scenario(
        path=path, name=path.stem, title=meta.title if meta.title is not None else path.stem, seed=meta.seed,
        model=model, mass_grid=s.grid.mass.build(), coupling_grid=s.grid.coupling.build(),
        llp_samples_max=(s.sampling or SamplingTable()).llp_samples_max, experiments=experiments,
        output=OutputSpec(output.n_events, tuple(output.formats)), digest=files_digest(files), overlays=overlays,
        plot=plot, uncertainties=uncertainties, confirm_large=meta.confirm_large,
    )
