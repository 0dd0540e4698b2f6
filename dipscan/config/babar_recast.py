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

from dipscan.config.presets import (
    COLOR_ALLOWED,
    LINESTYLES,
    MISSING_VALUE,
    Shown,
    Table,
    check_color,
    check_float,
    read_toml,
    scenarios_dir,
)
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
_TOP_KEYS = ("label", "color", "linestyle", "base", "choice")
_CHOICE_KEYS = ("value", "origin", "source", "reason")
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
    from dipscan.errors import ScenarioError

    path = limits_dir() / f"{name}.toml"
    if not isinstance(name, str) or "/" in name or "\\" in name or not path.is_file():
        names = ", ".join(list_recasts()) or f"none: {limits_dir()} is empty"
        raise ScenarioError(scenario_file if scenario_file is not None else limits_dir(), key,
                            name, f"true, false, or recast names of scenarios/limits/: {names}")
    raw, data = read_toml(path)
    files[f"limits/{name}.toml"] = raw
    top = Table(data, path, "", _TOP_KEYS)
    base = None
    if top.has("base"):
        if depth >= MAX_BASE_DEPTH:
            raise top.error("base", top.data["base"], f"a chain of at most {MAX_BASE_DEPTH} base files")
        base = _load(top.str("base"), path, "base", files, depth + 1)
    chosen = {c.name: c for c in base.choices} if base else {}
    table = top.table("choice", CHOICES, required=base is None)
    if table is not None:
        for choice in CHOICES:
            if table.has(choice) or base is None:
                chosen[choice] = _read_choice(table, choice, str(path))
    color = top.str("color", base.color if base else "tab:gray")
    check_color(color, lambda found: top.error("color", found, COLOR_ALLOWED))
    return BabarRecast(name=name, label=top.str("label"), color=color,
                       linestyle=top.str("linestyle", base.linestyle if base else "dotted",
                                         choices=LINESTYLES),
                       choices=tuple(chosen[c] for c in CHOICES))


def _read_choice(parent: Table, name: str, file: str) -> Choice:
    t = parent.table(name, _CHOICE_KEYS)
    raw = t.raw("value", allowed="a number" if not CHOICES[name] else "[low, high]")
    if CHOICES[name]:
        allowed = "[low, high] with -1 < low < high < 1 (the ISR photon rate diverges along the beams)"
        if not isinstance(raw, list) or len(raw) != 2:
            raise t.error("value", raw if not isinstance(raw, dict) else Shown("a table"), allowed)
        low, high = (check_float(v, allowed, lambda found: t.error("value", raw, allowed)) for v in raw)
        if not -1.0 < low < high < 1.0:
            raise t.error("value", raw, allowed)
        value = (low, high)
    else:
        strictly = name in ("sqrt_s_GeV", "luminosity_invfb", "required_events", "decay_radius_m")
        value = t.float("value", gt=0) if strictly else t.float("value", ge=0)
    if not t.has("source") or not t.has("reason"):
        missing = "source" if not t.has("source") else "reason"
        raise t.error(missing, MISSING_VALUE, "every choice states its source and its reason")
    return Choice(name=name, value=value, origin=t.str("origin", choices=ORIGINS),
                  source=t.str("source"), reason=t.str("reason"), file=file)
