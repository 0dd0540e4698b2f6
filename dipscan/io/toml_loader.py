"""The one loader of dipscan's TOML files: read, validate against the file kind's typed model,
and turn the first mistake into one ScenarioError line.

Every file kind (scenario, experiment preset, beam preset, figure file, BaBar recast file) is a
tree of `Strict` pydantic models; those models are the readers and the JSON Schemas at once.
`load` reports the mistake pydantic finds (its structured errors: type, loc, input, ctx) the way
the user reads it: the file, the key path (`experiment[1].photon_threshold_GeV`), the value found
and what is allowed, with "did you mean" for a mistyped key. Checks across keys (max > min, keys
that go together) raise `fail(key, found, allowed)` from a model validator. Reading never writes.
"""

from __future__ import annotations

import ast
import difflib
import functools
import inspect
import itertools
import math
import re
import textwrap
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from dipscan.errors import MISSING_VALUE, ScenarioError, Shown

__all__ = ["Rule", "Strict", "choice", "fail", "flag", "integer", "load", "number", "read_toml", "shown", "text"]

_LINE_COL = re.compile(r"\(at line (\d+), column (\d+)\)")
# The error type of every dipscan check raised from a validator (see `fail`).
CUSTOM = "dipscan"
# A mistyped value (`"dark_dipol"`) gets "did you mean" only when it is this close: values are
# short, and a loose match ('svg' for 'csv') would mislead.
_VALUE_CUTOFF = 0.75


def read_toml(path: Path) -> tuple[bytes, dict]:
    """Read a TOML file once; return its bytes (for the digest) and the parsed table."""
    raw = toml_bytes(path)
    return raw, parse_toml(path, raw)


def toml_bytes(path: Path) -> bytes:
    """The bytes of a TOML file; ScenarioError if it cannot be read."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(path, "", Shown("no such file"), "an existing .toml file") from None
    except OSError as exc:
        raise ScenarioError(path, "", Shown(f"unreadable file ({exc.strerror})"), "a readable .toml file") from None


def parse_toml(path: Path, raw: bytes) -> dict:
    """The table in `raw`, the bytes of the TOML file `path` (named in any error)."""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(path, f"byte {exc.start}", Shown("a byte that is not UTF-8"), "UTF-8 text") from None
    try:
        data = tomllib.loads(decoded)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        where = _LINE_COL.search(message)
        key = f"line {where.group(1)}, column {where.group(2)}" if where else "TOML syntax"
        reason = _LINE_COL.sub("", message).strip()
        raise ScenarioError(path, key, Shown(f"a TOML syntax error ({reason})"), "valid TOML 1.0 (https://toml.io)") from None
    return data


# --------------------------------------------------------------------------- field rules
@dataclass(frozen=True)
class Rule:
    """How a field's allowed values are worded, and bounds that name a sibling key.

    `above`/`at_least` name a sibling whose value is a lower bound (max > min); the bound is
    checked by `Strict` once the fields are valid, and shown in the message in place of the
    fixed one.
    """

    kind: str
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    above: str | None = None
    at_least: str | None = None
    wording: str | typing.Callable[[], str] | None = None  # the whole text, when bounds do not say it

    def allowed(self, siblings: dict | None = None) -> str:
        if self.wording is not None:
            return self.wording() if callable(self.wording) else self.wording
        gt, ge = self.gt, self.ge
        for name, is_strict in ((self.above, True), (self.at_least, False)):
            value = (siblings or {}).get(name) if name else None
            if _is_number(value) and math.isfinite(value):
                gt, ge = (value, None) if is_strict else (None, value)
        parts = [f"{sign} {bound:g}" for sign, bound in ((">", gt), (">=", ge), ("<", self.lt), ("<=", self.le))
                 if bound is not None]
        return f"{self.kind} " + " and ".join(parts) if parts else self.kind


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(*, gt=None, ge=None, lt=None, le=None, inf: bool = False, above: str | None = None,
           at_least: str | None = None, wording: str | None = None) -> Any:
    """A TOML integer or float (never a bool, never NaN; inf only if `inf`) inside the bounds."""
    extra = {"type": ["number", "null"]} if inf else None  # taplo reads a TOML inf as null
    return Annotated[float, Field(gt=gt, ge=ge, lt=lt, le=le, allow_inf_nan=inf, json_schema_extra=extra),
                     Rule("a number" if inf else "a finite number", gt, ge, lt, le, above, at_least, wording)]


def integer(*, ge=None, le=None) -> Any:
    return Annotated[int, Field(ge=ge, le=le), Rule("an integer", ge=ge, le=le)]


def text(wording: str = "a non-empty string", pattern: str = r"\S") -> Any:
    return Annotated[str, Field(pattern=pattern), Rule("", wording=wording)]


def choice(values, wording: str | None = None) -> Any:
    values = tuple(values)
    return Annotated[Literal[values], Rule("", wording=wording or "one of: " + ", ".join(map(repr, values)))]


flag = Annotated[bool, Rule("", wording="true or false")]


def shown(default: Any = ..., *, type_: str | None = None, default_text: str | None = None,
          allowed: str | None = None) -> Any:
    """A field's default, and how the README key tables show its type, default and allowed values
    where the schema's own words would not say it (the field's docstring is its meaning)."""
    extra = {f"x-{k}": v for k, v in (("type", type_), ("default", default_text), ("allowed", allowed)) if v}
    return Field(default, json_schema_extra=extra or None)


def fail(key: str, found: object, allowed: str) -> PydanticCustomError:
    """The error a validator raises: `key` relative to the table it checks ("" for the table)."""
    return PydanticCustomError(CUSTOM, "{allowed}", {"key": key, "found": found, "allowed": allowed})


# --------------------------------------------------------------------------- field docstrings
def attribute_docstrings(cls: type) -> dict[str, str]:
    """Field name -> the string written under it in the class body (`key: type` then a string),
    read from the source of `cls` and of its bases (the nearest class wins); {} without source."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        docs.update(_own_attribute_docstrings(klass))
    return docs


@functools.cache
def _own_attribute_docstrings(cls: type) -> dict[str, str]:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError):  # built-in, or made with create_model: no source
        return {}
    # A string continued below the class's indentation leaves the class indented: parse it as the
    # body of a function.
    tree = ast.parse(f"def _():\n{source}" if source[:1].isspace() else source)
    node = tree.body[0]
    node = node.body[0] if isinstance(node, ast.FunctionDef) else node
    docs = {}
    for stmt, after in itertools.pairwise(node.body):
        if (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)):
            docs[stmt.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _describe_fields(schema: dict[str, Any], cls: type[BaseModel]) -> None:
    # Only a JSON Schema needs the docstrings (editors, `dipscan schema`, the README key tables):
    # read here, not when the class is made, they cost nothing on the path of `dipscan run`.
    properties = schema.get("properties", {})
    for name, doc in attribute_docstrings(cls).items():
        if name in cls.model_fields and name in properties:
            properties[name].setdefault("description", doc)  # Field(description=...) wins


class Strict(BaseModel):
    """A TOML table: unknown keys are mistakes, no type coercion (8.0 is not an integer, "5" not a
    number); validators are built on first use, so importing a model module stays cheap. The
    docstring under a field is its description in the JSON Schema (see `_describe_fields`)."""

    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True, allow_inf_nan=False,
                              json_schema_extra=_describe_fields)
    # Said before the key list of an unknown-key error, e.g. "for kind 'pot': ".
    KEYS_CONTEXT: ClassVar[str] = ""

    @model_validator(mode="after")
    def _sibling_bounds(self):
        for name, rule in _sibling_rules(type(self)):
            value = getattr(self, name)
            bound = getattr(self, rule.above or rule.at_least)
            if value is None or bound is None:
                continue
            if (rule.above and not value > bound) or (rule.at_least and not value >= bound):
                raise fail(name, value, rule.allowed(self.__dict__))
        return self


# --------------------------------------------------------------------------- the loader
M = typing.TypeVar("M", bound=BaseModel)


def load(model: type[M], data: Any, file: Path | str, prefix: str = "") -> M:
    """`data` validated by `model`; ScenarioError naming `file` and the key path (after
    `prefix`, e.g. "experiment[1]") of the first mistake."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise error_line(model, data, file, err.errors(include_url=False), prefix) from None


def _rule(metadata) -> Rule | None:
    return next((m for m in metadata if isinstance(m, Rule)), None)


@functools.cache
def _sibling_rules(model: type[BaseModel]) -> tuple[tuple[str, Rule], ...]:
    """The fields of a table whose bound names a sibling key (found once per table kind)."""
    rules = ((name, _field_rule(field)) for name, field in model.model_fields.items())
    return tuple((name, rule) for name, rule in rules if rule is not None and (rule.above or rule.at_least))


def _field_rule(field) -> Rule | None:
    """The Rule of a field, also when the field is optional (`number(...) | None`)."""
    return _rule(field.metadata) or _rule(_strip(field.annotation)[1])


def _pick(errors: list[dict]) -> dict:
    """The most useful error: pydantic's first, except that a mistyped key is reported rather
    than the missing key it was meant to be (`pionts` rather than `points`)."""
    extras = [e["loc"] for e in errors if e["type"] == "extra_forbidden"]

    def typo_of(e: dict) -> bool:
        return e["type"] == "missing" and any(
            loc[:-1] == e["loc"][:-1] and difflib.get_close_matches(str(loc[-1]), [str(e["loc"][-1])], n=1)
            for loc in extras)

    return next(e for e in errors if not typo_of(e))


def _strip(tp: Any) -> tuple[Any, list]:
    """(type, metadata) without Annotated and without `| None`."""
    metadata = []
    while True:
        if typing.get_origin(tp) is Annotated:
            args = typing.get_args(tp)
            tp, metadata = args[0], metadata + list(args[1:])
            continue
        if _is_union(tp):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(members) == 1:
                tp = members[0]
                continue
        return tp, metadata


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tag(model: type[BaseModel]) -> tuple[str, str] | None:
    """(field, value) of a union member's single-valued Literal field (its discriminator)."""
    for name, field in model.model_fields.items():
        tp, _ = _strip(field.annotation)
        if typing.get_origin(tp) is Literal and len(typing.get_args(tp)) == 1:
            return name, typing.get_args(tp)[0]
    return None


@dataclass
class _Place:
    key: str = ""
    owner: type[BaseModel] | None = None  # the table holding the last key
    siblings: dict | None = None  # its data
    tp: Any = None  # the type expected at the place
    rule: Rule | None = None


def _walk(model: type[BaseModel], data: Any, loc: tuple, prefix: str) -> _Place:
    place = _Place(key=prefix, tp=model)
    node = data

    def step(part: str) -> None:
        place.key = f"{place.key}.{part}" if place.key else part

    for el in loc:
        tp, metadata = _strip(place.tp)
        if _is_model(tp) and isinstance(el, str):
            field = tp.model_fields.get(el)
            place.owner, place.siblings = tp, node if isinstance(node, dict) else {}
            step(el)
            node = node.get(el) if isinstance(node, dict) else None
            place.tp = field.annotation if field else None
            place.rule = _field_rule(field) if field else None
            continue
        origin = typing.get_origin(tp)
        if origin is list and isinstance(el, int):
            place.key += f"[{el}]"
            node = node[el] if isinstance(node, list) and el < len(node) else None
            place.tp = typing.get_args(tp)[0]
            place.rule = _rule(_strip(place.tp)[1]) or place.rule
            continue
        if origin is dict and isinstance(el, str):
            place.owner, place.siblings = None, node if isinstance(node, dict) else {}
            step(el)
            node = node.get(el) if isinstance(node, dict) else None
            place.tp = typing.get_args(tp)[1]
            place.rule = _rule(_strip(place.tp)[1]) or place.rule
            continue
        if _is_union(tp):
            member = next((m for m in typing.get_args(tp) if _is_model(m) and _tag(m)
                           and _tag(m)[1] == el), None)
            if member is not None:  # a discriminator value in the loc: not a key of the file
                place.tp = member
                continue
        break  # a union member's name (float, int, ...): the place is the field itself
    return place


def _describe(value: object) -> object:
    """What to print as `found`: short text for tables and lists, the value otherwise."""
    if isinstance(value, dict):
        return Shown("a table {" + ", ".join(value) + "}")
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return Shown(f"an array of {len(value)} tables")
    return value


def _keys(owner: type[BaseModel]) -> list[str]:
    return list(owner.model_fields)


def _type_text(tp: Any, key: str) -> str:
    """What a field takes, from its type, when it has no Rule."""
    tp, metadata = _strip(tp)
    rule = _rule(metadata)
    if rule is not None:
        return rule.allowed()
    if _is_model(tp):
        return f"a table [{key}] with keys " + ", ".join(_keys(tp))
    if _is_union(tp):
        members = typing.get_args(tp)
        if all(_is_model(m) and _tag(m) for m in members):
            return f"a table [{key}]"
        return " or ".join(_type_text(m, key) for m in members)
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of: " + ", ".join(map(repr, typing.get_args(tp)))
    if origin is list:
        item, _ = _strip(typing.get_args(tp)[0])
        if _is_model(item):
            return f"one or more [[{key}]] tables (double brackets)"
        return "an array of " + _type_text(item, key).removeprefix("a ").removeprefix("an ")
    if origin is dict:
        return f"a table [{key}]"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(tp, "a value")


def _hint(found: object, choices: list[str], cutoff: float = 0.6) -> str:
    """" (did you mean 'x'?)" when `found` is a string close to one of `choices`."""
    close = difflib.get_close_matches(found, choices, n=1, cutoff=cutoff) if isinstance(found, str) else []
    return f" (did you mean {close[0]!r}?)" if close else ""


def error_line(model: type[BaseModel], data: Any, file: Path | str, errors: list[dict],
               prefix: str = "") -> ScenarioError:
    """The one-line message of the most useful of pydantic's structured errors."""
    e = _pick(errors)
    place = _walk(model, data, e["loc"], prefix)
    kind, ctx = e["type"], e.get("ctx") or {}
    if kind == CUSTOM:
        key = ctx["key"]
        full = place.key if not key else (place.key + key if key.startswith("[") or not place.key
                                         else f"{place.key}.{key}")
        return ScenarioError(file, full, ctx["found"], ctx["allowed"])
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tp, _ = _strip(place.tp)
        members = [tp] if _is_model(tp) else [m for m in typing.get_args(tp) if _is_model(m) and _tag(m)]
        tag_key = _tag(members[0])[0] if members else ctx.get("discriminator", "").strip("'")
        found = ctx["tag"] if kind == "union_tag_invalid" else MISSING_VALUE
        tags = [_tag(m)[1] for m in members]
        return ScenarioError(file, f"{place.key}.{tag_key}", found,
                             "one of: " + ", ".join(map(repr, tags)) + _hint(found, tags, _VALUE_CUTOFF))
    if kind == "extra_forbidden":
        name = str(e["loc"][-1])
        allowed = _keys(place.owner) if place.owner is not None else []
        context = place.owner.KEYS_CONTEXT if place.owner is not None and issubclass(place.owner, Strict) else ""
        text_ = f"keys {context}" + (", ".join(allowed) or "none") + _hint(name, allowed)
        return ScenarioError(file, place.key, Shown(f"unknown key {name!r}"), text_)
    allowed = place.rule.allowed(place.siblings) if place.rule else _type_text(place.tp, place.key)
    if kind == "missing":
        return ScenarioError(file, place.key, MISSING_VALUE, allowed)
    found = e["input"]
    tp, _ = _strip(place.tp)
    if kind == "literal_error" and typing.get_origin(tp) is Literal:
        allowed += _hint(found, [str(v) for v in typing.get_args(tp)], _VALUE_CUTOFF)
    if tp is float and _is_number(found):
        found = float(found)
    elif isinstance(found, dict) and typing.get_origin(tp) is list and _is_model(_strip(typing.get_args(tp)[0])[0]):
        found = Shown(f"a single table [{place.key}]")
    return ScenarioError(file, place.key, _describe(found), allowed)
