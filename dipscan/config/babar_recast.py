"""The BaBar recast as its TOML file defines it: every choice with its value, source and reason.

A recast file `scenarios/limits/NAME.toml` holds

    label = "BaBar 60 fb^-1 (recast)"      # legend and export label
    color = "tab:gray"                      # optional
    linestyle = "dotted"                    # optional
    base = "babar"                          # optional: start from another recast file's choices

    [choice.luminosity_invfb]
    value = 60.0
    origin = "paper"                        # "paper": stated in arXiv:2406.17599; "added": not
    source = "arXiv:2406.17599 sec. 4.2"
    reason = "the luminosity the paper quotes for the search"

with one `[choice.NAME]` table per entry of `CHOICES` (a file with a `base` names only the choices
it changes). Range choices take `value = [low, high]`. The loaded recast carries the choices into
the provenance, so every number behind the BaBar curve can be traced to its source.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

from pydantic import BeforeValidator, Field, create_model, model_validator

from dipscan.config.presets import Colour, Linestyle, scenarios_dir
from dipscan.errors import MISSING_VALUE, ScenarioError, Shown
from dipscan.io.toml_loader import Rule, Strict, choice, fail, load, number, read_toml, shown, text
from dipscan.limits.babar import BabarSelection

ORIGINS = ("paper", "added")
# choice name -> is a [low, high] range; each maps to the field of the same name of
# BabarSelection, except required_events (the contour level).
CHOICES = {
    "sqrt_s_GeV": False,
    "luminosity_invfb": False,
    "required_events": False,
    "leading_min_energy_GeV": False,
    "leading_cos_range": True,
    "subleading_min_energy_GeV": False,
    "subleading_cos_range": True,
    "missing_energy_min_GeV": False,
    "decay_radius_m": False,
}
MAX_BASE_DEPTH = 4


@dataclass(frozen=True)
class Choice:
    name: str
    value: float | tuple[float, float]
    origin: str  # "paper" | "added"
    source: str
    reason: str
    file: str  # the recast file that set it


@dataclass(frozen=True)
class BabarRecast:
    name: str
    label: str
    color: str
    linestyle: str
    choices: tuple[Choice, ...]

    def value(self, name: str):
        return next(c.value for c in self.choices if c.name == name)

    @property
    def selection(self) -> BabarSelection:
        fields = {c.name: c.value for c in self.choices if c.name != "required_events"}
        return replace(BabarSelection(), **fields)

    @property
    def required_events(self) -> float:
        return float(self.value("required_events"))

    def provenance(self) -> dict:
        return {"name": self.name, "label": self.label,
                "choices": {c.name: {"value": c.value, "origin": c.origin, "source": c.source,
                                     "reason": c.reason, "file": c.file} for c in self.choices}}


_RANGE_ALLOWED = "[low, high] with -1 < low < high < 1 (the ISR photon rate diverges along the beams)"
_STATED = "every choice states its source and its reason"


def _is_cos_range(value):
    ok = isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if not ok or not -1.0 < value[0] < value[1] < 1.0:
        raise fail("", value if not isinstance(value, dict) else Shown("a table"), _RANGE_ALLOWED)
    return [float(v) for v in value]


CosRange = Annotated[list[Annotated[float, Field(gt=-1, lt=1)]], Field(min_length=2, max_length=2),
                     BeforeValidator(_is_cos_range), Rule("", wording=_RANGE_ALLOWED)]


def _choice_table(name: str, is_range: bool) -> type[Strict]:
    strictly = name in ("sqrt_s_GeV", "luminosity_invfb", "required_events", "decay_radius_m")
    value = CosRange if is_range else number(gt=0) if strictly else number(ge=0)
    return create_model(
        f"Choice_{name}", __base__=Strict, __doc__=f"[choice.{name}]: its value, where it comes from and why",
        value=(value, Field(description="[low, high]" if is_range else "the value")),
        origin=(choice(ORIGINS), Field(description="stated in the paper, or added")),
        source=(text(_STATED), Field(description="reference and value")),
        reason=(text(_STATED), Field(description="why this value")))


ChoicesTable = create_model(
    "Choices", __base__=Strict, __doc__="[choice.NAME]: every choice behind the curve (all of them without `base`).",
    **{name: (_choice_table(name, is_range) | None, None) for name, is_range in CHOICES.items()})


class RecastFile(Strict):
    """A BaBar recast file, scenarios/limits/NAME.toml."""

    label: text()
    """legend label"""
    color: Colour | None = shown(None, default_text="the base's, else `\"tab:gray\"`", allowed="a matplotlib colour")
    """how it is drawn"""
    linestyle: Linestyle | None = shown(None, default_text="the base's, else `\"dotted\"`")
    """line style"""
    base: text() | None = shown(None, default_text="none", allowed="a recast name of `limits/`")
    """another recast file whose choices this one starts from"""
    choice: ChoicesTable | None = shown(None, default_text="every choice required without `base`",
                                        type_="tables `[choice.NAME]`")
    """one per choice: `value` (a number; `[low, high]` for the cos(theta*) ranges), `origin`
    (`"paper"`: stated in sec. 4.2 of arXiv:2406.17599; `"added"`: not), `source`, `reason`, all
    required"""

    @model_validator(mode="after")
    def _every_choice_without_base(self):
        if self.base is None:
            if self.choice is None:
                raise fail("choice", MISSING_VALUE, "a table [choice] with keys " + ", ".join(CHOICES))
            for name in CHOICES:
                if getattr(self.choice, name) is None:
                    raise fail(f"choice.{name}", MISSING_VALUE,
                               f"a table [choice.{name}] with keys value, origin, source, reason")
        return self


def limits_dir():
    return scenarios_dir() / "limits"


def list_recasts() -> list[str]:
    return sorted(p.stem for p in limits_dir().glob("*.toml"))


def load_babar_recast(name: str, scenario_file=None, key: str = "overlays.babar",
                      files: dict[str, bytes] | None = None) -> BabarRecast:
    """The recast `name` of scenarios/limits/ (errors name `scenario_file`/`key` if it is unknown).

    `files` collects the bytes of every file read, for the scenario's input digest.
    """
    return _load(name, scenario_file, key, files if files is not None else {}, depth=0)


def _load(name, scenario_file, key, files, depth) -> BabarRecast:
    path = limits_dir() / f"{name}.toml"
    if not isinstance(name, str) or "/" in name or "\\" in name or not path.is_file():
        names = ", ".join(list_recasts()) or f"none: {limits_dir()} is empty"
        what = "a recast name" if key == "base" else "true, false, or recast names"
        raise ScenarioError(scenario_file if scenario_file is not None else limits_dir(), key,
                            name, f"{what} of scenarios/limits/: {names}")
    raw, data = read_toml(path)
    files[f"limits/{name}.toml"] = raw
    top = load(RecastFile, data, path)
    base = None
    if top.base is not None:
        if depth >= MAX_BASE_DEPTH:
            raise ScenarioError(path, "base", top.base, f"a chain of at most {MAX_BASE_DEPTH} base files")
        base = _load(top.base, path, "base", files, depth + 1)
    chosen = {c.name: c for c in base.choices} if base else {}
    for name_ in CHOICES:
        table = getattr(top.choice, name_) if top.choice is not None else None
        if table is not None:
            value = tuple(table.value) if CHOICES[name_] else table.value
            chosen[name_] = Choice(name=name_, value=value, origin=table.origin, source=table.source,
                                   reason=table.reason, file=str(path))
    return BabarRecast(name=name, label=top.label,
                       color=top.color or (base.color if base else "tab:gray"),
                       linestyle=top.linestyle or (base.linestyle if base else "dotted"),
                       choices=tuple(chosen[c] for c in CHOICES))
