"""JSON Schemas of dipscan's TOML files, from typed (pydantic) models of each file kind.

`dipscan schema` writes one schema per kind (scenario, experiment preset, beam preset, figure
file, BaBar recast file) into scenarios/schema/. A TOML file names its schema on its first line
(`#:schema ./schema/scenario.json`), so that editors with TOML language support (taplo, Even
Better TOML) complete and check keys as the user types.

The models mirror the readers (dipscan.config.scenario, dipscan.config.presets,
dipscan.production.beams, dipscan.cli.figures, dipscan.config.babar_recast), which still do the
validation and word the messages; a test checks that every committed file passes both. Checks across keys (max > min,
a preset's override allowed for its exposure kind, labels distinct) stay with the readers only.
Model kinds, detector shapes and limit methods come from their registries, so a new entry there
appears in the schema without an edit here.
"""

from __future__ import annotations

import functools
import json
import math
import operator
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.json_schema import GenerateJsonSchema

__all__ = ["FILE_KINDS", "json_schemas", "schema_text", "validate", "write_schemas"]

# The folder of the committed schemas, under scenarios/.
SCHEMA_DIR = "schema"


class _Strict(BaseModel):
    # Unknown keys are mistakes (additionalProperties: false); building the validators waits
    # for the first use, so importing this module stays cheap.
    model_config = ConfigDict(extra="forbid", defer_build=True)


Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
# Where `inf` is allowed: taplo reads a TOML inf as null, so the schema lets null through too.
PositiveOrInf = Annotated[float, Field(gt=0, json_schema_extra={"type": ["number", "null"]})]


def _choice(values) -> Any:
    return Literal[tuple(values)]


def _one_of(models: list[type[BaseModel]]) -> Any:
    """The union of the models (one per registered kind or shape)."""
    return functools.reduce(operator.or_, models)


def _doc(default: Any, meaning: str, *, type_: str | None = None, default_text: str | None = None,
         allowed: str | None = None, **bounds) -> Any:
    """A field with its meaning (editor hover, README key tables) and, where the schema's own
    words would not say it, how the README shows its type, default and allowed values."""
    extra = {f"x-{k}": v for k, v in (("type", type_), ("default", default_text), ("allowed", allowed)) if v}
    return Field(default, description=meaning, json_schema_extra=extra or None, **bounds)


def _strict(model_name: str, doc: str, /, **fields) -> type[BaseModel]:
    return create_model(model_name, __base__=_Strict, __doc__=doc, **fields)


# --------------------------------------------------------------------------- scenario
def _scenario_model() -> type[BaseModel]:
    from dipscan.config.plotspec import LEGEND_PLACES
    from dipscan.config.presets import GEOMETRY_MODES, LINESTYLES
    from dipscan.config.scenario import (
        DEFAULT_LLP_SAMPLES_MAX,
        DEFAULT_N_EVENTS,
        DEFAULT_SEED,
        MAX_GRID_POINTS,
        MAX_LLP_SAMPLES,
        OUTPUT_FORMATS,
        SPACINGS,
    )
    from dipscan.config.user_curves import COUPLING_UNITS, MASS_UNITS
    from dipscan.physics.models import MODEL_KINDS, model_class

    linestyle = _choice(LINESTYLES)
    meta = _strict(
        "ScenarioMeta", "[scenario]: title, seed and size confirmation.",
        title=(str | None, _doc(None, "title of the plot and summary", default_text="the file stem",
                                allowed="non-empty", min_length=1)),
        seed=(int, _doc(DEFAULT_SEED, "root of every random draw; the same seed gives the same bytes", ge=0)),
        confirm_large=(bool, _doc(False, "run even above the size limits (see [Large grids](#large-grids))")))
    kinds = []
    for kind in MODEL_KINDS:
        params = {p.name: ((_choice(p.choices) if p.choices else Annotated[float, Field(gt=p.gt)]),
                           Field(description=p.doc)) for p in model_class(kind).PARAMS}
        kinds.append(_strict(f"Model_{kind}", f"[model] kind = {kind!r}",
                             kind=(Literal[kind], Field(description="the operator")), **params))
    model = Annotated[_one_of(kinds), Field(discriminator="kind")]
    grid = _strict(
        "Grid", "A scan axis: `points` values from min to max, ends included.",
        min=(Positive, _doc(..., "first grid value", type_="number (GeV or GeV^-1)")),
        max=(Positive, _doc(..., "last grid value (included)", allowed="`> min`")),
        points=(int, _doc(..., "number of grid values", ge=2, le=MAX_GRID_POINTS)),
        spacing=(_choice(SPACINGS), _doc("log", "even steps in log10 or in the value")))
    grids = _strict("Grids", "[grid.mass] in GeV and [grid.coupling] in GeV^-1.", mass=(grid, ...),
                    coupling=(grid, ...))
    sampling = _strict(
        "Sampling", "[sampling]",
        llp_samples_max=(int, _doc(DEFAULT_LLP_SAMPLES_MAX, "cap on LLP samples per (beam, mass, production channel)",
                                   ge=1000, le=MAX_LLP_SAMPLES)))
    experiment = _strict(
        "ExperimentEntry", "[[experiment]]: a preset of scenarios/experiments/ and its overrides.",
        preset=(str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
                           description="file name of scenarios/experiments/ without .toml")),
        label=(str | None, Field(None, description="legend label and output key")),
        pot=(Positive | None, Field(None, description="protons on target (pot exposure)")),
        luminosity_invfb=(Positive | None, Field(None, description="integrated luminosity in fb^-1")),
        photon_threshold_GeV=(NonNegative | None, Field(None, description="photon energy threshold")),
        geometry_mode=(_choice(GEOMETRY_MODES) | None, Field(None, description="acceptance model")),
        color=(str | None, Field(None, description="matplotlib colour")),
        linestyle=(linestyle | None, Field(None, description="line style")))
    formats = ", ".join(f'`"{f}"`' for f in OUTPUT_FORMATS)
    output = _strict(
        "Output", "[output]",
        n_events=(Positive, _doc(DEFAULT_N_EVENTS, "contour level N_evts of the sensitivity curves",
                                 default_text=f"`{DEFAULT_N_EVENTS}` (the paper's choice, sec. 4.3)")),
        formats=(list[_choice(OUTPUT_FORMATS)],
                 _doc(list(OUTPUT_FORMATS), "what to write: event grids and contours as `parquet`/`csv`, "
                      "the plot as `png`/`pdf`", type_="array of strings", default_text="all four",
                      allowed=f"a non-empty subset of {formats}, no repeats", min_length=1)))
    user_curve = _strict(
        "UserCurve", "[[overlays.curve]]: a curve of the user's own, from a CSV file.",
        file=(str, Field(description="CSV file, relative to the scenario file")),
        label=(str | None, Field(None, description="legend label")),
        mass_column=(str, Field("mass", description="column of masses")),
        coupling_column=(str, Field("coupling", description="column of couplings")),
        mass_unit=(_choice(MASS_UNITS), Field("GeV", description="unit of the mass column")),
        coupling_unit=(_choice(COUPLING_UNITS), Field("GeV^-1", description="unit of the coupling column")),
        region=(bool, Field(False, description="shade the region (an excluded area)")),
        color=(str, Field("tab:brown", description="matplotlib colour")),
        linestyle=(linestyle, Field("dashdot", description="line style")),
        source=(str | None, Field(None, description="where the curve comes from")))
    overlays = _strict(
        "Overlays", "[overlays]: existing limits drawn beside the experiments.",
        babar=(bool | str | list[str], Field(False, description="BaBar mono-photon recasts (dark_dipole)")),
        relic=(bool, Field(False, description="thermal-relic line (dark_dipole)")),
        literature=(bool, Field(False, description="published limits (neutrino_dipole)")),
        curve=(list[user_curve] | None, Field(None, description="the user's own curves")))
    plot_curve = _strict("PlotCurve", "[plot.curve.LABEL]: the style of one curve.",
                         color=(str | None, Field(None)), linestyle=(linestyle | None, Field(None)),
                         visible=(bool | None, Field(None)), label=(str | None, Field(None)))
    pair = Annotated[list[Positive], Field(min_length=2, max_length=2)]
    plot = _strict(
        "Plot", "[plot]: the figure.",
        title=(str | None, Field(None, description="figure title")),
        mass_range_GeV=(pair | None, Field(None, description="[min, max] of the mass axis")),
        coupling_range_GeVinv=(pair | None, Field(None, description="[min, max] of the coupling axis")),
        legend=(_choice(LEGEND_PLACES), Field("outside", description="legend placement")),
        overlays=(list[str] | None, Field(None, description="overlay kinds drawn")),
        curve=(dict[str, plot_curve] | None, Field(None, description="style per curve label")))
    uncertainties = _strict(
        "Uncertainties", "[uncertainties]: bands, on top of the beams' defaults.",
        enabled=(bool, Field(True, description="draw uncertainty bands")),
        mc_statistics=(bool | None, Field(None, description="Monte Carlo statistics band")),
        a_exponent_sigma=(NonNegative | None, Field(None, description="sigma of the A^0.29 exponent")),
        normalisation=(dict[str, NonNegative] | None, Field(None, description="relative uncertainty per meson")))
    return _strict(
        "ScenarioFile", "A scenario file, scenarios/NAME.toml.",
        scenario=(meta | None, Field(None)), model=(model, ...), grid=(grids, ...),
        sampling=(sampling | None, Field(None)),
        experiment=(list[experiment], Field(min_length=1)),
        output=(output | None, Field(None)), overlays=(overlays | None, Field(None)),
        plot=(plot | None, Field(None)), uncertainties=(uncertainties | None, Field(None)))


# --------------------------------------------------------------------------- experiment preset
def _experiment_model() -> type[BaseModel]:
    import math

    from dipscan.config.presets import GEOMETRY_MODES, LINESTYLES, SHAPE_KEYS, stat_methods

    pot = _strict("PotExposure", "exposure kind = 'pot': pot, or pot_per_year and years.",
                  kind=(Literal["pot"], ...), pot=(Positive | None, Field(None)),
                  pot_per_year=(Positive | None, Field(None)), years=(Positive | None, Field(None)))
    collider = _strict("ColliderExposure", "exposure kind = 'collider'.",
                       kind=(Literal["collider"], ...), sigma_inel_mb=(Positive, ...),
                       luminosity_invfb=(Positive, ...))
    selection = _strict("Selection", "[selection]",
                        photon_threshold_GeV=(NonNegative, ...),
                        photon_max_GeV=(PositiveOrInf | None, Field(None)),
                        efficiency=(Annotated[float, Field(gt=0, le=1)] | None, Field(None)))
    angle = Annotated[float, Field(gt=0, lt=math.pi / 2)]
    shapes = []
    for shape, keys in SHAPE_KEYS.items():
        own = {key: ((angle if key == "theta_max_rad" else Positive), ...) for key in keys}
        common = {"mode": (_choice(GEOMETRY_MODES), ...), "l_start_m": (Positive, ...),
                  "l_end_m": (Positive, ...), "theta_max_rad": (angle | None, Field(None)),
                  "calorimeter_z_m": (Positive | None, Field(None)),
                  "calorimeter_radius_m": (Positive | None, Field(None))}
        shapes.append(_strict(f"Geometry_{shape}", f"[geometry] shape = {shape!r}",
                              shape=(Literal[shape], ...), **{**common, **own}))
    statistics = _strict(
        "Statistics", "[statistics]: the experiment's own limit setting.",
        observed=(int, Field(ge=0)), background=(NonNegative, ...),
        background_uncertainty=(NonNegative | None, Field(None)),
        confidence_level=(Annotated[float, Field(gt=0, lt=1)] | None, Field(None)),
        method=(_choice(stat_methods()) | None, Field(None)),
        signal_uncertainty=(NonNegative | None, Field(None)),
        background_relative_uncertainty=(NonNegative | None, Field(None)),
        observed_uncertainty=(Positive | Annotated[list[Positive], Field(min_length=1)] | None,
                              Field(None, description="errors of the count (sub-samples add in quadrature)")))
    return _strict(
        "ExperimentPreset", "An experiment preset, scenarios/experiments/NAME.toml.",
        name=(str, ...), description=(str | None, Field(None)), beam=(str, ...), target=(str, ...),
        target_mass_number=(Positive, ...), color=(str | None, Field(None)),
        linestyle=(_choice(LINESTYLES) | None, Field(None)),
        exposure=(Annotated[pot | collider, Field(discriminator="kind")], ...),
        selection=(selection, ...),
        geometry=(Annotated[_one_of(shapes), Field(discriminator="shape")], ...),
        statistics=(statistics | None, Field(None)), approximations=(list[str] | None, Field(None)))


# --------------------------------------------------------------------------- beam preset
def _beam_model() -> type[BaseModel]:
    from dipscan.production.beams import (
        COLLISION_DEFINITIONS,
        FEED_DOWN_CONVENTIONS,
        FRAMES,
        RAW_MULTIPLICITY_MODES,
    )

    kinematics = _strict("Kinematics", "[kinematics]", frame=(_choice(FRAMES), ...),
                         beam_pdgid=(int, ...), target_pdgid=(int, ...),
                         beam_energy_GeV=(Positive | None, Field(None)), ecm_GeV=(Positive | None, Field(None)))
    generation = _strict("Generation", "[generation]", seed=(int, Field(ge=0)),
                         shard_events=(int, Field(ge=1)), symmetrise=(bool | None, Field(None)))
    inelastic = _strict("Inelastic", "[normalisation.inelastic]", sigma_mb=(Positive, ...),
                        source=(str, ...))
    measured = _strict("Measured", "[[normalisation.measured]]", species=(str, ...),
                       sigma_ub=(Positive, ...), energy_factor=(Positive | None, Field(None)),
                       y_min=(float | None, Field(None)), y_max=(float | None, Field(None)),
                       pt_max_GeV=(Positive | None, Field(None)),
                       relative_uncertainty=(NonNegative | None, Field(None)), source=(str, ...))
    normalisation = _strict(
        "Normalisation", "[normalisation]", per=(_choice(COLLISION_DEFINITIONS) | None, Field(None)),
        feed_down=(_choice(FEED_DOWN_CONVENTIONS) | None, Field(None)), note=(str | None, Field(None)),
        approximations=(list[str] | None, Field(None)), reason=(str | None, Field(None)),
        inelastic=(inelastic | None, Field(None)), measured=(list[measured] | None, Field(None)))
    prescale = _strict("Prescale", "one polar-angle bin of a prescale", theta_max_rad=(PositiveOrInf, ...),
                       factor=(Annotated[float, Field(ge=1)], ...))
    charges = _strict("ChargedMultiplicity", "per charge state", particle=(NonNegative, ...),
                      antiparticle=(NonNegative, ...))
    meson = _strict("Meson", "[[production.meson]]", pdgid=(int, ...), name=(str, ...),
                    multiplicity=(Positive | charges | Literal["pythia"],
                                  Field(description='per collision; "pythia" takes PYTHIA8\'s own')),
                    source=(str | None, Field(None)),
                    prescale=(list[prescale] | None, Field(None)))
    production = _strict("Production", "[[production]]", name=(str, ...), pythia=(list[str], ...),
                         n_events=(int, Field(ge=1)), raw_multiplicity=(_choice(RAW_MULTIPLICITY_MODES), ...),
                         meson=(list[meson], Field(min_length=1)), note=(str | None, Field(None)))
    sourced = _strict("Sourced", "a value and its source", sigma=(NonNegative, ...), source=(str, ...))
    relative = _strict("RelativeSourced", "a relative uncertainty and its source",
                       relative=(NonNegative, ...), source=(str, ...))
    uncertainties = _strict("BeamUncertainties", "[uncertainties]: defaults of every scenario on the beam",
                            mc_statistics=(bool | None, Field(None)), a_exponent=(sourced | None, Field(None)),
                            normalisation=(dict[str, relative] | None, Field(None)))
    sampling = _strict("BeamSampling", "[sampling]: the pre-cut shells LLP samples of this beam are drawn in",
                       photon_floors_GeV=(list[Positive], Field(min_length=1)),
                       theta_accept_rad=(Annotated[float, Field(gt=0, le=math.pi / 2)], ...),
                       reason=(str | None, Field(None)))
    return _strict(
        "BeamPreset", "A beam preset, scenarios/beams/NAME.toml.", name=(str, ...),
        description=(str | None, Field(None)), kinematics=(kinematics, ...),
        generation=(generation, ...), normalisation=(normalisation | None, Field(None)),
        production=(list[production], Field(min_length=1)),
        uncertainties=(uncertainties | None, Field(None)), sampling=(sampling | None, Field(None)))


# --------------------------------------------------------------------------- figure file
def _figure_model() -> type[BaseModel]:
    figure = _strict("Figure", "[figure]", title=(str | None, Field(None)),
                     columns=(int | None, Field(None, ge=1)), share_mass=(bool | None, Field(None)),
                     share_coupling=(bool | None, Field(None)))
    panel = _strict("Panel", "[[panel]]: one scenario", scenario=(str, ...), title=(str | None, Field(None)))
    return _strict("FigureFile", "A figure file, scenarios/figures/NAME.toml.",
                   figure=(figure | None, Field(None)), panel=(list[panel], Field(min_length=1)))


# --------------------------------------------------------------------------- BaBar recast file
def _recast_model() -> type[BaseModel]:
    from dipscan.config.babar_recast import CHOICES, ORIGINS
    from dipscan.config.presets import LINESTYLES

    def choice(name: str, is_range: bool) -> type[BaseModel]:
        strictly = name in ("sqrt_s_GeV", "luminosity_invfb", "required_events", "decay_radius_m")
        number = Positive if strictly else NonNegative
        inside = Annotated[float, Field(gt=-1, lt=1)]
        value = Annotated[list[inside], Field(min_length=2, max_length=2)] if is_range else number
        return _strict(f"Choice_{name}", f"[choice.{name}]: its value, where it comes from and why",
                       value=(value, Field(description="[low, high]" if is_range else "the value")),
                       origin=(_choice(ORIGINS), Field(description="stated in the paper, or added")),
                       source=(str, Field(description="reference and value")),
                       reason=(str, Field(description="why this value")))

    choices = _strict("Choices", "[choice.NAME]: every choice behind the curve (all of them without `base`).",
                      **{name: (choice(name, is_range) | None, Field(None)) for name, is_range in CHOICES.items()})
    return _strict(
        "RecastFile", "A BaBar recast file, scenarios/limits/NAME.toml.",
        label=(str, Field(description="legend label")), color=(str | None, Field(None)),
        linestyle=(_choice(LINESTYLES) | None, Field(None)),
        base=(str | None, Field(None, description="recast file whose choices this one starts from")),
        choice=(choices | None, Field(None)))


# file kind -> (model builder, folder of scenarios/ holding such files, glob)
FILE_KINDS = {
    "scenario": (_scenario_model, ("", "examples")),
    "experiment": (_experiment_model, ("experiments",)),
    "beam": (_beam_model, ("beams",)),
    "figure": (_figure_model, ("figures",)),
    "recast": (_recast_model, ("limits",)),
}


class _TomlJsonSchema(GenerateJsonSchema):
    """JSON Schema for TOML: no null (an optional key is left out), so no anyOf [..., null]."""

    def nullable_schema(self, schema):
        return self.generate_inner(schema["schema"])


def _clean(node: Any) -> Any:
    # Titles repeat the key names; editors show the descriptions instead.
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items()
                if not (k == "title" and isinstance(v, str)) and not (k == "default" and v is None)}
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


def model(kind: str) -> type[BaseModel]:
    return FILE_KINDS[kind][0]()


# Marks a schema file as dipscan's own: `dipscan schema` overwrites no other file.
MARK = "written by `dipscan schema` from dipscan.config.schema; regenerate, do not edit"


def json_schemas() -> dict[str, dict]:
    """File kind -> JSON Schema (draft 2020-12)."""
    return {kind: {"$comment": MARK,
                   **_clean(model(kind).model_json_schema(schema_generator=_TomlJsonSchema))}
            for kind in FILE_KINDS}


def schema_text(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=False, allow_nan=False) + "\n"


def write_schemas(out_dir: Path) -> list[Path]:
    """Write <kind>.json into out_dir (created if needed); return the files written.

    A file of that name that dipscan did not write is left alone (DipscanError instead).
    """
    from dipscan.errors import DipscanError
    from dipscan.io.outputs import atomic_write_text

    schemas = json_schemas()
    if out_dir.exists() and not out_dir.is_dir():
        raise DipscanError(f"{out_dir}: not a folder; give --out a folder for the schema files")
    for kind in schemas:
        path = out_dir / f"{kind}.json"
        if path.exists() and (not path.is_file() or MARK not in path.read_text(errors="replace")):
            raise DipscanError(f"{path}: exists and was not written by dipscan; it is left alone: "
                               "give --out another folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DipscanError(f"{out_dir}: cannot create the folder ({err.strerror}); "
                           "give --out a folder you can write") from None
    written = []
    for kind, schema in schemas.items():
        path = out_dir / f"{kind}.json"
        atomic_write_text(path, schema_text(schema))
        written.append(path)
    return written


# --------------------------------------------------------------------------- README key tables
_HEADER = "| key | meaning | type, unit | default | allowed |\n|---|---|---|---|---|"
_BLOCK = re.compile(r"(<!-- keys:(\w+)\.(\w+) [^>]*-->\n)(.*?)(\n<!-- /keys:\2\.\3 -->)", re.S)


def _toml(value: Any) -> str:
    return "`" + (json.dumps(value) if not isinstance(value, bool) else str(value).lower()) + "`"


def _cell_type(p: dict) -> str:
    if "x-type" in p:
        return p["x-type"]
    return {"integer": "integer", "number": "number", "string": "string", "boolean": "boolean"}.get(
        p.get("type", ""), "table")


def _cell_allowed(p: dict) -> str:
    if "x-allowed" in p:
        return p["x-allowed"]
    if "enum" in p:
        return ", ".join(_toml(v) for v in p["enum"])
    if "const" in p:
        return _toml(p["const"])
    if "minimum" in p and "maximum" in p:
        return f"`{p['minimum']}` to `{p['maximum']}`"
    for word, sign in (("exclusiveMinimum", ">"), ("minimum", ">="), ("exclusiveMaximum", "<"), ("maximum", "<=")):
        if word in p:
            return f"`{sign} {p[word]}`"
    return "`true`, `false`" if p.get("type") == "boolean" else ""


def markdown_keys(kind: str, name: str) -> str:
    """The key table of one TOML table (a definition of a kind's schema), as in scenarios/README.md."""
    definition = json_schemas()[kind]["$defs"][name]
    rows = [_HEADER]
    for key, p in definition["properties"].items():
        default = (p.get("x-default") or (_toml(p["default"]) if "default" in p else None)
                   or ("required" if key in definition.get("required", ()) else ""))
        rows.append(f"| `{key}` | {p.get('description', '')} | {_cell_type(p)} | {default} | {_cell_allowed(p)} |")
    return "\n".join(rows)


def fill_key_tables(text: str) -> str:
    """`text` with every `<!-- keys:KIND.TABLE ... -->` block replaced by markdown_keys(KIND, TABLE)."""
    return _BLOCK.sub(lambda m: m.group(1) + markdown_keys(m.group(2), m.group(3)) + m.group(5), text)


def validate(kind: str, data: dict) -> None:
    """Raise pydantic.ValidationError unless `data` (a parsed TOML file) fits its kind's schema."""
    model(kind).model_validate(data)
