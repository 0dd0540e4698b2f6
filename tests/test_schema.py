"""JSON Schemas of the TOML files: committed, current, named by every committed file, and true.

The schemas (scenarios/schema/*.json, written by `dipscan schema`) are what editors with TOML
language support check a file against. The schemas are generated from the very models that read
the files, so every committed file must pass both the schema and dipscan's reader, and the
committed schemas must be what those models generate today.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import jsonschema
import pytest

from dipscan.cli.commands import main
from dipscan.cli.figures import load_figure
from dipscan.config.babar_recast import load_babar_recast
from dipscan.config.presets import load_experiment_preset, scenarios_dir
from dipscan.config.scenario import load_scenario
from dipscan.config.schema import FILE_KINDS, SCHEMA_DIR, json_schemas, schema_text
from dipscan.production.beams import load_beam

SCHEMAS = scenarios_dir() / SCHEMA_DIR
READERS = {
    "scenario": load_scenario,
    "experiment": lambda path: load_experiment_preset(path.stem),
    "beam": lambda path: load_beam(path.stem),
    "figure": load_figure,
    "recast": lambda path: load_babar_recast(path.stem),
}


def _committed() -> list[tuple[str, Path]]:
    return [(kind, path) for kind, (_, folders) in FILE_KINDS.items() for folder in folders
            for path in sorted((scenarios_dir() / folder).glob("*.toml"))]


COMMITTED = _committed()
IDS = [str(path.relative_to(scenarios_dir())) for _, path in COMMITTED]


def test_every_file_kind_has_committed_files():
    assert sorted({kind for kind, _ in COMMITTED}) == sorted(FILE_KINDS)
    assert len(COMMITTED) >= 30


@pytest.mark.parametrize("kind", sorted(FILE_KINDS))
def test_committed_schema_is_current(kind):
    committed = (SCHEMAS / f"{kind}.json").read_text()
    assert committed == schema_text(json_schemas()[kind]), (
        f"scenarios/schema/{kind}.json differs from the models: run `dipscan schema`")


@pytest.mark.parametrize(("kind", "path"), COMMITTED, ids=IDS)
def test_committed_file_names_its_schema_and_passes_schema_and_reader(kind, path):
    first = path.read_text().splitlines()[0]
    assert first.startswith("#:schema "), f"{path.name}: first line must be `#:schema ...`"
    named = (path.parent / first.removeprefix("#:schema ").strip()).resolve()
    assert named == (SCHEMAS / f"{kind}.json").resolve()
    data = tomllib.loads(path.read_text())
    jsonschema.validate(data, json.loads(named.read_text()))  # what an editor checks
    READERS[kind](path)  # dipscan's reader: the models the schema comes from


def _scenario() -> dict:
    return tomllib.loads((scenarios_dir() / "examples" / "tiny.toml").read_text())


# Mistakes the schema itself catches (so that an editor marks them as the user types).
MISTAKES = [
    ("unknown top-level key", lambda d: d.update(grids=d["grid"])),
    ("typo in a model parameter", lambda d: d["model"].update(delat=d["model"].pop("delta"))),
    ("unknown model kind", lambda d: d["model"].update(kind="dark_dipol")),
    ("negative threshold", lambda d: d["experiment"][0].update(photon_threshold_GeV=-1.0)),
    ("unknown line style", lambda d: d["experiment"][0].update(linestyle="dash")),
    ("too many grid points", lambda d: d["grid"]["mass"].update(points=10_001)),
    ("single [experiment] table", lambda d: d.update(experiment=d["experiment"][0])),
]


@pytest.mark.parametrize("plant", [m[1] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_schema_rejects_planted_mistakes(plant):
    data = _scenario()
    plant(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json.loads((SCHEMAS / "scenario.json").read_text()))


def test_schema_has_no_null_and_no_titles():
    # TOML has no null: an optional key is left out, so editors report the real bound.
    text = "".join(schema_text(s) for s in json_schemas().values())
    # null only where `inf` is allowed (taplo reads a TOML inf as null): photon_max_GeV of a
    # preset, theta_max_rad of a beam's prescale bin and pt_max_GeV of a measured species
    assert text.count('"null"') == 3 and '"title": "' not in text
    threshold = json.loads((SCHEMAS / "scenario.json").read_text())["$defs"]["ExperimentEntry"][
        "properties"]["photon_threshold_GeV"]
    assert {k: threshold[k] for k in ("minimum", "type")} == {"minimum": 0, "type": "number"}
    assert "anyOf" not in threshold


def test_schema_command_writes_the_committed_schemas(tmp_path, capsys):
    assert main(["schema", "--out", str(tmp_path / "s")]) == 0
    for kind in FILE_KINDS:
        assert (tmp_path / "s" / f"{kind}.json").read_text() == (SCHEMAS / f"{kind}.json").read_text()
    # running again overwrites its own files
    assert main(["schema", "--out", str(tmp_path / "s")]) == 0


def test_schema_command_leaves_other_files_alone(tmp_path, capsys):
    mine = tmp_path / "beam.json"
    mine.write_text("{}\n")
    assert main(["schema", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "beam.json" in err and "not written by dipscan" in err and len(err.strip().splitlines()) == 1
    assert mine.read_text() == "{}\n"
    assert not (tmp_path / "scenario.json").exists()


def test_schema_command_refuses_a_file_as_folder(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["schema", "--out", str(target)]) == 2
    assert "not a folder" in capsys.readouterr().err
    assert target.read_text() == "x"


def _keys(schema: dict, name: str) -> list[str]:
    return list(schema["$defs"][name]["properties"]) if name else list(schema["properties"])


def test_every_registered_shape_reaches_the_schema():
    from dipscan.config import presets

    s = json_schemas()
    for shape, keys in presets.SHAPE_KEYS.items():
        geometry = set(_keys(s["experiment"], f"Geometry_{shape}"))
        assert geometry == {"shape", "mode", "l_start_m", "l_end_m", "theta_max_rad", *keys,
                            "calorimeter_z_m", "calorimeter_radius_m"}


def test_the_schemas_come_from_the_readers_models():
    from dipscan.config.babar_recast import RecastFile
    from dipscan.config.figure import FigureFile
    from dipscan.config.presets import preset_model
    from dipscan.config.scenario import scenario_model
    from dipscan.production.beams import BeamFile

    readers = {"scenario": scenario_model(), "experiment": preset_model(), "beam": BeamFile,
               "figure": FigureFile, "recast": RecastFile}
    assert {kind: build() for kind, (build, _) in FILE_KINDS.items()} == readers


def test_readme_key_tables_are_generated_from_the_schema():
    from dipscan.config.schema import fill_key_tables

    text = (scenarios_dir() / "README.md").read_text()
    # every key table of a TOML table in the README is generated (the [model] one from the registry)
    expected = {
        "scenario": ["ScenarioTable", "GridTable", "SamplingTable", "ExperimentEntry", "OutputTable",
                     "OverlaysTable", "CurveEntry", "PlotTable", "CurveTable", "UncertaintiesTable"],
        "beam": ["top", "FixedTarget+Collider", "Generation", "Normalisation", "Inelastic", "Measured",
                 "ProductionTable", "MesonTable", "Bin", "BeamUncertainties", "BeamSampling"],
        "experiment": ["top", "PotExposure+ColliderExposure", "Selection",
                       "Geometry_cylinder+Geometry_box+Geometry_frustum+Geometry_cone", "StatisticsTable"],
        "figure": ["FigureTable", "PanelTable"],
        "recast": ["top"],
    }
    for kind, names in expected.items():
        for name in names:
            assert f"<!-- keys:{kind}.{name} " in text, (kind, name)
    assert text.count("| key |") == sum(map(len, expected.values())) + 1  # + the [model] table
    assert fill_key_tables(text) == text, "scenarios/README.md key tables differ: run python tools/readme_keys.py"


def test_fill_key_tables_rewrites_a_stale_table():
    from dipscan.config.schema import fill_key_tables, markdown_keys

    stale = "<!-- keys:scenario.GridTable x -->\n| key |\n| `min` | old |\n<!-- /keys:scenario.GridTable -->"
    filled = fill_key_tables(stale)
    assert markdown_keys("scenario", "GridTable") in filled and "old" not in filled


# The docstring under a field is its description in the schema, read from the source only when a
# schema is made (not when the class is made: that would cost every `dipscan run` start-up).
def _documented_tables():
    from typing import ClassVar

    from pydantic import Field, create_model

    from dipscan.io.toml_loader import Strict

    class Base(Strict):
        inherited: int = 0
        """from the base,
           on two lines"""

    class Table(Base):
        """A table."""

        width_m: float
        """width of the box, with a string that continues
below the class's indentation"""
        height_m: float = Field(1.0, description="given with Field")
        """not used: Field's description wins"""
        plain: bool = False
        NOTE: ClassVar[str] = "a class attribute"
        """not a field"""

    made = create_model("Made", __base__=Base, own=(int, Field(description="own words")))
    return Table, made


def test_field_docstrings_become_schema_descriptions_only():
    table, made = _documented_tables()
    assert table.model_fields["width_m"].description is None  # nothing read at class creation
    properties = table.model_json_schema()["properties"]
    assert properties["width_m"]["description"] == (
        "width of the box, with a string that continues\nbelow the class's indentation")
    assert properties["height_m"]["description"] == "given with Field"
    assert properties["inherited"]["description"] == "from the base,\non two lines"
    assert "description" not in properties["plain"]
    assert set(properties) == {"inherited", "width_m", "height_m", "plain"}
    made_properties = made.model_json_schema()["properties"]
    assert made_properties["own"]["description"] == "own words"
    assert made_properties["inherited"]["description"] == "from the base,\non two lines"
