"""JSON Schemas of dipscan's TOML files, from the typed models that read them.

`dipscan schema` writes one schema per kind (scenario, experiment preset, beam preset, figure
file, BaBar recast file) into scenarios/schema/. A TOML file names its schema on its first line
(`#:schema ./schema/scenario.json`), so that editors with TOML language support (taplo, Even
Better TOML) complete and check keys as the user types.

The models are the readers themselves (dipscan.config.scenario, dipscan.config.presets,
dipscan.production.beams, dipscan.config.figure, dipscan.config.babar_recast): what a schema
accepts, the reader accepts. Checks across keys or files (max > min, a preset that exists, labels
distinct) are the readers' only. Model kinds, detector shapes and limit methods come from their
registries, so a new entry there appears in the schema without an edit here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

__all__ = ["FILE_KINDS", "json_schemas", "schema_text", "write_schemas"]

# The folder of the committed schemas, under scenarios/.
SCHEMA_DIR = "schema"


def _scenario() -> type[BaseModel]:
    from dipscan.config.scenario import scenario_model

    return scenario_model()


def _experiment() -> type[BaseModel]:
    from dipscan.config.presets import preset_model

    return preset_model()


def _beam() -> type[BaseModel]:
    from dipscan.production.beams import BeamFile

    return BeamFile


def _figure() -> type[BaseModel]:
    from dipscan.config.figure import FigureFile

    return FigureFile


def _recast() -> type[BaseModel]:
    from dipscan.config.babar_recast import RecastFile

    return RecastFile


# file kind -> (the model that reads the file, folders of scenarios/ holding such files)
FILE_KINDS = {
    "scenario": (_scenario, ("", "examples")),
    "experiment": (_experiment, ("experiments",)),
    "beam": (_beam, ("beams",)),
    "figure": (_figure, ("figures",)),
    "recast": (_recast, ("limits",)),
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
_BLOCK = re.compile(r"(<!-- keys:(\w+)\.([\w+]+) [^>]*-->\n)(.*?)(\n<!-- /keys:\2\.\3 -->)", re.S)


def _toml(value: Any) -> str:
    return "`" + (json.dumps(value) if not isinstance(value, bool) else str(value).lower()) + "`"


def _cell_type(p: dict) -> str:
    if "x-type" in p:
        return p["x-type"]
    kind = p.get("type", "")
    if kind == "array":
        item = p.get("items", {})
        return "array of tables" if "$ref" in item or "oneOf" in item else f"array of {_cell_type(item)}s"
    if "anyOf" in p:
        return " or ".join(dict.fromkeys(_cell_type(a) for a in p["anyOf"]))
    return {"integer": "integer", "number": "number", "string": "string", "boolean": "boolean"}.get(kind, "table")


def _cell_allowed(p: dict) -> str:
    if "x-allowed" in p:
        return p["x-allowed"]
    if "enum" in p:
        return ", ".join(_toml(v) for v in p["enum"])
    if "const" in p:
        return _toml(p["const"])
    if "minimum" in p and "maximum" in p:
        return f"`{p['minimum']}` to `{p['maximum']}`"
    bounds = [f"`{sign} {p[word]:g}`" for word, sign in (("exclusiveMinimum", ">"), ("minimum", ">="),
                                                         ("exclusiveMaximum", "<"), ("maximum", "<="))
              if word in p]
    if bounds:
        return " and ".join(bounds)
    if "pattern" in p:
        return "non-empty" if p["pattern"] == "\\S" else f"matches `{p['pattern']}`"
    return "`true`, `false`" if p.get("type") == "boolean" else ""


def _definition(schema: dict, name: str) -> dict:
    """A table of a kind's schema: a definition, or `top` for the file's top level."""
    return schema if name == "top" else schema["$defs"][name]


def markdown_keys(kind: str, names: str) -> str:
    """The key table of one TOML table (a definition of a kind's schema, `top` for the file's top
    level), as in scenarios/README.md. `A+B` merges the tables of a union (one per shape): a key
    takes its row from the first table that has it; values of the union's tag are listed together."""
    schema = json_schemas()[kind]
    definitions = [_definition(schema, name) for name in names.split("+")]
    rows = [_HEADER]
    seen: dict[str, dict] = {}
    for definition in definitions:
        tag = next((p["const"] for p in definition["properties"].values() if "const" in p), None)
        for key, p in definition["properties"].items():
            row = seen.setdefault(key, {**p, "x-in": [], "x-required": [], "x-tags": []})
            row["x-in"].append(tag)
            if key in definition.get("required", ()):
                row["x-required"].append(tag)
            if "const" in p:
                row["x-tags"].append((p["const"], " ".join(p.get("description", "").split())))
    for key, p in seen.items():
        required = p["x-required"] == p["x-in"] and len(p["x-in"]) == len(definitions)
        for_some = ", ".join(f"`{t}`" for t in p["x-required"])
        default = (p.get("x-default") or (_toml(p["default"]) if "default" in p else None)
                   or ("required" if required else f"required for {for_some}" if for_some else ""))
        meaning = " ".join(p.get("description", "").split())
        allowed = _cell_allowed(p)
        if len(p["x-tags"]) > 1:
            allowed = ", ".join(_toml(t) for t, _ in p["x-tags"])
            if len({d for _, d in p["x-tags"]}) > 1:
                meaning = "; ".join(f"{_toml(t)}: {d}" for t, d in p["x-tags"])
        rows.append(f"| `{key}` | {meaning} | {_cell_type(p)} | {default} | {allowed} |")
    return "\n".join(rows)


def fill_key_tables(text: str) -> str:
    """`text` with every `<!-- keys:KIND.TABLE ... -->` block replaced by markdown_keys(KIND, TABLE)."""
    return _BLOCK.sub(lambda m: m.group(1) + markdown_keys(m.group(2), m.group(3)) + m.group(5), text)

