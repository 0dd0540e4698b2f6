"""The `[plot]` table of a scenario: how the figure looks, never what is computed.

Changing only these options (or a curve's colour or line style) lets `make scenario=NAME`
redraw the figure from the exported tables instead of recomputing (see dipscan.cli.redraw).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from dipscan.config.presets import COLOR_ALLOWED, LINESTYLES, Shown, Table, check_color

# "outside": to the right of the axes (the default); "none": no legend; else a matplotlib `loc`.
LEGEND_PLACES = ("outside", "none", "best", "upper right", "upper left", "lower left",
                 "lower right", "right", "center left", "center right", "lower center",
                 "upper center", "center")
# Overlay kinds a figure may draw; `curves` are the user's [[overlays.curve]] tables.
OVERLAY_KINDS = ("babar", "relic", "literature", "curves")
PLOT_KEYS = ("title", "mass_range_GeV", "coupling_range_GeVinv", "legend", "overlays", "curve")
CURVE_KEYS = ("color", "linestyle", "visible", "label")


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


def _range(t: Table, name: str) -> tuple[float, float] | None:
    allowed = "an array of two numbers [low, high] with 0 < low < high"
    value = t.raw(name, None)
    if value is None:
        return None
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
    if not ok or not 0 < value[0] < value[1] or value[1] == float("inf"):
        raise t.error(name, value if not isinstance(value, dict) else Shown("a table"), allowed)
    return float(value[0]), float(value[1])


def read_plot(t: Table | None, curve_labels: list[str], overlay_kinds: list[str]) -> PlotSpec:
    """Validate `[plot]` against the curves and overlays this scenario draws."""
    if t is None:
        return PlotSpec()
    title = t.str("title", None) if t.has("title") else None
    legend = t.str("legend", "outside", choices=LEGEND_PLACES)
    overlays = None
    if t.has("overlays"):
        allowed = "an array of distinct names from: " + (", ".join(repr(k) for k in overlay_kinds)
                                                       or "none (this scenario has no overlays)")
        value = t.raw("overlays")
        if not isinstance(value, list):
            raise t.error("overlays", Shown("a table") if isinstance(value, dict) else value, allowed)
        for i, kind in enumerate(value):
            if kind not in overlay_kinds or value.index(kind) != i:
                raise t.error(f"overlays[{i}]", kind, allowed)
        overlays = tuple(value)
    curves = []
    table = t.table("curve", None, required=False)
    if table is not None:
        allowed_labels = "a curve label of this scenario: " + ", ".join(repr(c) for c in curve_labels)
        for label in table.data:
            if label not in curve_labels:
                raise table.error(repr(label), Shown(f"unknown curve {label!r}"), allowed_labels)
            c = table.table(label, CURVE_KEYS)
            color = None
            if c.has("color"):
                color = c.str("color")
                check_color(color, lambda found, c=c: c.error("color", found, COLOR_ALLOWED))
            linestyle = c.str("linestyle", None, choices=LINESTYLES) if c.has("linestyle") else None
            legend_label = c.str("label") if c.has("label") else None
            curves.append((label, CurveStyle(color, linestyle, c.bool("visible", True), legend_label)))
    return PlotSpec(title, _range(t, "mass_range_GeV"), _range(t, "coupling_range_GeVinv"),
                    legend, overlays, tuple(curves))
