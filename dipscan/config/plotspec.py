"""The `[plot]` table of a scenario: how the figure looks, never what is computed.

Changing only these options (or a curve's colour or line style) lets `make scenario=NAME`
redraw the figure from the exported tables instead of recomputing (see dipscan.cli.redraw).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from pydantic import BeforeValidator, Field

from dipscan.config.presets import Colour, Linestyle
from dipscan.errors import ScenarioError, Shown
from dipscan.io.toml_loader import Rule, Strict, choice, fail, flag, shown, text

# "outside": to the right of the axes (the default); "none": no legend; else a matplotlib `loc`.
LEGEND_PLACES = ("outside", "none", "best", "upper right", "upper left", "lower left",
                 "lower right", "right", "center left", "center right", "lower center",
                 "upper center", "center")
# Overlay kinds a figure may draw; `curves` are the user's [[overlays.curve]] tables.
OVERLAY_KINDS = ("babar", "relic", "literature", "curves")


@dataclass(frozen=True)
class CurveStyle:
    """Per-curve options; None keeps what the run chose (the preset's colour and line style)."""

    color: str | None = None
    linestyle: str | None = None
    visible: bool = True
    label: str | None = None  # legend text; the outputs keep the experiment's own label


@dataclass(frozen=True)
class PlotSpec:
    title: str | None = None  # None: the model, its parameter and N
    mass_range_GeV: tuple[float, float] | None = None  # None: the mass grid
    coupling_range_GeVinv: tuple[float, float] | None = None  # None: the coupling grid
    legend: str = "outside"
    overlays: tuple[str, ...] | None = None  # None: every overlay the scenario computes
    curves: tuple[tuple[str, CurveStyle], ...] = ()  # (curve label, style), file order

    def style(self, label: str) -> CurveStyle:
        return dict(self.curves).get(label, CurveStyle())

    def to_dict(self) -> dict:
        data = asdict(self)
        data["curves"] = {label: asdict(style) for label, style in self.curves}
        return data

    @classmethod
    def from_dict(cls, data: dict) -> PlotSpec:
        def pair(value):
            return None if value is None else (float(value[0]), float(value[1]))

        return cls(title=data.get("title"), mass_range_GeV=pair(data.get("mass_range_GeV")),
                   coupling_range_GeVinv=pair(data.get("coupling_range_GeVinv")),
                   legend=data.get("legend", "outside"),
                   overlays=None if data.get("overlays") is None else tuple(data["overlays"]),
                   curves=tuple((label, CurveStyle(**style))
                                for label, style in data.get("curves", {}).items()))


_RANGE_ALLOWED = "an array of two numbers [low, high] with 0 < low < high"


def _is_range(value):
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value))
    if not ok or not 0 < value[0] < value[1] or value[1] == float("inf"):
        raise fail("", value if not isinstance(value, dict) else Shown("a table"), _RANGE_ALLOWED)
    return [float(v) for v in value]


AxisRange = Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=2, max_length=2),
                      BeforeValidator(_is_range), Rule("", wording=_RANGE_ALLOWED)]


class CurveTable(Strict):
    """[plot.curve.LABEL]: the style of one curve."""

    color: Colour | None = shown(None, default_text="the preset's", allowed="a matplotlib colour")
    """line colour"""
    linestyle: Linestyle | None = shown(None, default_text="the preset's")
    """line style"""
    visible: flag = True
    """draw the curve"""
    label: text() | None = shown(None, default_text="the label", allowed="non-empty")
    """legend text (the outputs keep the curve's own label)"""


class PlotTable(Strict):
    """[plot]: the figure."""

    title: text() | None = shown(None, default_text="the model, its parameter and N", allowed="non-empty")
    """figure title"""
    mass_range_GeV: AxisRange | None = shown(None, type_="array `[low, high]`", default_text="the scan grid",
                                             allowed="`0 < low < high`")
    """mass axis range"""
    coupling_range_GeVinv: AxisRange | None = shown(None, type_="array `[low, high]`", default_text="the scan grid",
                                                    allowed="`0 < low < high`")
    """coupling axis range"""
    legend: choice(LEGEND_PLACES) = shown("outside", default_text='`"outside"` (right of the axes)', allowed=(
        '`"outside"`, `"none"`, or a matplotlib location: ' + ", ".join(f'`"{p}"`' for p in LEGEND_PLACES[2:])))
    """legend placement"""
    overlays: list[str] | None = shown(None, default_text="every overlay the scenario computes", allowed=(
        "names among " + ", ".join(f'`"{k}"`' for k in OVERLAY_KINDS) + " that the scenario's `[overlays]` switches on"))
    """which overlays to draw"""
    curve: dict[str, CurveTable] | None = shown(None, type_='tables `[plot.curve."LABEL"]`', default_text="none")
    """style per curve (below)"""


def read_plot(t: PlotTable | None, curve_labels: list[str], overlay_kinds: list[str], file) -> PlotSpec:
    """`[plot]` checked against the curves and overlays this scenario draws."""
    if t is None:
        return PlotSpec()
    overlays = None
    if t.overlays is not None:
        allowed = "an array of distinct names from: " + (", ".join(repr(k) for k in overlay_kinds)
                                                       or "none (this scenario has no overlays)")
        for i, kind in enumerate(t.overlays):
            if kind not in overlay_kinds or t.overlays.index(kind) != i:
                raise ScenarioError(file, f"plot.overlays[{i}]", kind, allowed)
        overlays = tuple(t.overlays)
    curves = []
    for label, c in (t.curve or {}).items():
        if label not in curve_labels:
            raise ScenarioError(file, f"plot.curve.{label!r}", Shown(f"unknown curve {label!r}"),
                                "a curve label of this scenario: " + ", ".join(repr(c) for c in curve_labels))
        curves.append((label, CurveStyle(c.color, c.linestyle, c.visible, c.label)))

    def pair(value):
        return None if value is None else (value[0], value[1])

    return PlotSpec(t.title, pair(t.mass_range_GeV), pair(t.coupling_range_GeVinv), t.legend, overlays,
                    tuple(curves))
