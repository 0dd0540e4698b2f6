"""Sensitivity plots in the style of the paper's figures: log-log, mass against d.

A figure is drawn from the exported tables (contours, events, overlay grid) and a JSON-able
description (`figure_meta`, kept in provenance.json as "figure"), never from a live computation.
A run and `dipscan plot outputs/NAME` therefore call the same `draw_panel` on the same numbers
and write the same PNG bytes. `draw_panel` draws onto a given axes, so multi-panel figures and
band shading reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import contourpy
import numpy as np
import polars as pl

from dipscan.config.plotspec import PlotSpec
from dipscan.errors import DipscanError
from dipscan.physics.models import model_class
from dipscan.plot.canvas import lay_out, new_figure, save_figure
from dipscan.plot.record import read_provenance
from dipscan.scan.contours import band_field, log_field

COUPLING_LABEL = r"$d$ [GeV$^{-1}$]"
# The `[plot] overlays` name that switches each overlay kind of curve on or off.
OVERLAY_OF_KIND = {"babar": "babar", "relic": "relic", "literature": "literature", "user": "curves"}
BAND_COLUMNS = ("n_events_pessimistic", "n_events_optimistic")  # in the events table of a band run


def scenario_title(scenario) -> str:
    return model_class(scenario.model.kind).plot_title(dict(scenario.model.params))


@dataclass
class FigureData:
    meta: dict  # figure_meta(...): titles, ranges, curves with their default styles, [plot]
    contours: pl.DataFrame  # the exported contours table
    events: pl.DataFrame | None = None  # the exported events table (recast limits are shaded)
    overlay_grid: pl.DataFrame | None = None  # BaBar's expected events on the scan grid

    @property
    def plot(self) -> PlotSpec:
        return PlotSpec.from_dict(self.meta["plot"])


def _overlay_curves(overlay) -> list[dict]:
    if overlay.kind == "babar":
        return [{"label": overlay.label, "kind": "babar", "level": overlay.data["level"],
                 "color": overlay.data.get("color", "tab:gray"),
                 "linestyle": overlay.data.get("linestyle", "dotted")}]
    if overlay.kind == "relic":
        return [{"label": overlay.label, "kind": "relic", "color": "black", "linestyle": "dashed",
                 "disfavoured_below_GeV": overlay.data["disfavoured_below_GeV"]}]
    if overlay.kind == "literature":
        from dipscan.limits.literature import _FALLBACK_COLOUR, REGION_COLOURS

        names = dict.fromkeys(overlay.contours["experiment"].to_list())
        return [{"label": name, "kind": "literature", "region": True, "linestyle": "solid",
                 "color": REGION_COLOURS.get(name, _FALLBACK_COLOUR)} for name in names]
    curve = overlay.data["curve"]
    return [{"label": curve.label, "kind": "user", "region": curve.region, "color": curve.color,
             "linestyle": curve.linestyle}]


def figure_meta(scenario, mass_GeV: np.ndarray, coupling_GeVinv: np.ndarray,
                levels: dict[str, float], overlays, bands=()) -> dict:
    """Everything the figure needs besides the tables, as plain JSON values.

    `bands`: labels of the experiments whose uncertainty band is shaded (sensitivities only)."""
    curves = [c for overlay in overlays for c in _overlay_curves(overlay)]
    for spec in scenario.experiments:
        curves.append({"label": spec.label, "color": spec.color, "linestyle": spec.linestyle,
                       "kind": "sensitivity" if spec.statistics is None else "limit",
                       "level": levels[spec.label],
                       "band": spec.statistics is None and spec.label in bands})
    return {
        "title": f"{scenario_title(scenario)}; $N_{{evts}} = {scenario.output.n_events:g}$",
        "mass_label": model_class(scenario.model.kind).MASS_LABEL,
        "coupling_label": COUPLING_LABEL,
        "mass_range_GeV": [float(mass_GeV.min()), float(mass_GeV.max())],
        "coupling_range_GeVinv": [float(coupling_GeVinv.min()), float(coupling_GeVinv.max())],
        "curves": curves,
        "plot": scenario.plot.to_dict(),
    }


def totals(events: pl.DataFrame | None) -> pl.DataFrame | None:
    """The `total` rows of an events table: all the figure shades from (fewer rows to filter)."""
    if events is None or "channel" not in events.columns:
        return events
    return events.filter(pl.col("channel") == "total")


def shading_grid(frame: pl.DataFrame, label: str,
                 column: str = "n_events") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(masses, couplings, N[mass, coupling]) of one curve from an exported long table."""
    rows = frame.filter(pl.col("experiment") == label)
    if "channel" in rows.columns:
        rows = rows.filter(pl.col("channel") == "total")
    masses, i = np.unique(rows["mass_GeV"].to_numpy(), return_inverse=True)
    couplings, j = np.unique(rows["coupling_GeVinv"].to_numpy(), return_inverse=True)
    grid = np.zeros((masses.size, couplings.size))
    grid[i, j] = rows[column].to_numpy()
    return masses, couplings, grid


def _fill(ax, masses: np.ndarray, couplings: np.ndarray, z: np.ndarray, low: float, color: str,
          alpha: float) -> None:
    """Fill z[mass, coupling] >= low, z interpolated linearly on log axes like the contours."""
    if masses.size < 2 or couplings.size < 2 or not np.any(z >= low):
        return
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    generator = contourpy.contour_generator(x=np.log10(masses), y=np.log10(couplings), z=z.T,
                                            fill_type=contourpy.FillType.OuterCode)
    points, codes = generator.filled(low, max(float(z.max()), low) + 1.0)
    if not points:
        return
    # One patch for all the (disjoint) polygons: hundreds of artists cost far more to draw.
    path = MplPath(10 ** np.concatenate(points), np.concatenate(codes))
    ax.add_patch(PathPatch(path, facecolor=color, edgecolor="none", alpha=alpha))


def _shade(ax, frame: pl.DataFrame | None, label: str, level: float, color: str,
           alpha: float) -> None:
    """Fill N >= level (log N on log axes), so the shading ends exactly on the drawn curve even
    on a coarse grid."""
    if frame is None:
        return
    masses, couplings, grid = shading_grid(frame, label)
    _fill(ax, masses, couplings, log_field(grid), np.log10(level), color, alpha)


def _shade_band(ax, events: pl.DataFrame | None, label: str, level: float, color: str) -> None:
    """The uncertainty band: where the optimistic count reaches the level and the pessimistic one
    does not (dipscan.scan.contours.band_field), lightly shaded."""
    if events is None or not all(c in events.columns for c in BAND_COLUMNS):
        return
    masses, couplings, pessimistic = shading_grid(events, label, BAND_COLUMNS[0])
    _, _, optimistic = shading_grid(events, label, BAND_COLUMNS[1])
    _fill(ax, masses, couplings, band_field(pessimistic, optimistic, level), 0.0, color, 0.15)


def _lines(ax, rows: pl.DataFrame, color: str, linestyle: str, label: str, lw: float) -> bool:
    """One line per segment, one legend entry; False when there is nothing to draw."""
    first = True
    for (_,), seg in rows.group_by(["segment"], maintain_order=True):
        ax.plot(seg["mass_GeV"], seg["coupling_GeVinv"], color=color, linestyle=linestyle, lw=lw,
                label=label if first else None)
        first = False
    return not first


def _region(ax, rows: pl.DataFrame, color: str, label: str) -> None:
    from dipscan.limits.literature import LimitRegion, draw_limit_regions

    region = LimitRegion(label, (), rows["mass_GeV"].to_numpy(), rows["coupling_GeVinv"].to_numpy(), "")
    draw_limit_regions(ax, [region], colours={label: color})


def _draw_curve(ax, data: FigureData, curve: dict, rows: pl.DataFrame, color: str,
                linestyle: str, label: str) -> None:
    kind = curve["kind"]
    if kind == "babar":
        _shade(ax, data.overlay_grid, curve["label"], curve["level"], color, 0.2)
        _lines(ax, rows, color, linestyle, label, 1.4)
    elif kind == "relic":
        _lines(ax, rows, color, linestyle, label, 1.4)
        low, edge = data.meta["mass_range_GeV"][0], curve["disfavoured_below_GeV"]
        if low < edge:
            ax.axvspan(low, edge, color=color, alpha=0.08, label="thermal DM disfavoured (CMB, BBN)")
    elif curve.get("region"):
        if rows.height >= 3:
            _region(ax, rows, color, label)
    elif kind == "user":
        _lines(ax, rows, color, linestyle, label, 1.4)
    else:  # an experiment: sensitivity, or a recast limit shaded where excluded
        if kind == "limit":
            _shade(ax, data.events, curve["label"], curve["level"], color, 0.2)
        if curve.get("band"):
            _shade_band(ax, data.events, curve["label"], curve["level"], color)
        if not _lines(ax, rows, color, linestyle, label, 1.6):  # no contour: keep the legend honest
            ax.plot([], [], color=color, linestyle=linestyle,
                    label=f"{label} (N < {curve['level']:.3g} everywhere)")


def central(contours: pl.DataFrame) -> pl.DataFrame:
    """The central curves (a run with uncertainty bands also exports their edges)."""
    if "band" in contours.columns:
        return contours.filter(pl.col("band") == "central")
    return contours


def draw_panel(ax, data: FigureData, decorate: bool = True) -> None:
    """Every visible curve of the figure record onto `ax`, with its axes labels; with `decorate`,
    also its title and legend (a multi-panel figure sets its own)."""
    meta, plot = data.meta, data.plot
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*(plot.mass_range_GeV or meta["mass_range_GeV"]))
    ax.set_ylim(*(plot.coupling_range_GeVinv or meta["coupling_range_GeVinv"]))
    lines = central(data.contours)
    for curve in meta["curves"]:
        switch = OVERLAY_OF_KIND.get(curve["kind"])
        if switch is not None and plot.overlays is not None and switch not in plot.overlays:
            continue
        style = plot.style(curve["label"])
        if not style.visible:
            continue
        rows = lines.filter(pl.col("experiment") == curve["label"])
        _draw_curve(ax, data, curve, rows, style.color or curve["color"],
                    style.linestyle or curve["linestyle"], style.label or curve["label"])
    ax.set_xlabel(meta["mass_label"])
    ax.set_ylabel(meta["coupling_label"])
    ax.grid(True, which="major", alpha=0.3)
    if not decorate:
        return
    ax.set_title(plot.title if plot.title is not None else meta["title"], fontsize=10)
    if plot.legend == "outside":
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    elif plot.legend != "none":
        ax.legend(fontsize=7, loc=plot.legend)


def figure_data(result) -> FigureData:
    """The figure of a live result, built from the same frames the run exports."""
    from dipscan.scan.overlays import overlay_grid_frame

    return FigureData(figure_meta(result.scenario, result.mass_GeV, result.coupling_GeVinv,
                                  result.levels, result.overlays, getattr(result, "bands", {})),
                      result.contours, totals(result.events.drop("mass_index", "coupling_index")),
                      overlay_grid_frame(result.overlays))


def draw_result(ax, result) -> None:
    """One live result's curves on `ax`, without title or legend (a panel of a figure file)."""
    draw_panel(ax, figure_data(result), decorate=False)


def plot_contours(result, paths: list[Path]) -> None:
    """plot.png / plot.pdf of a live result (what a run writes)."""
    write_figure(figure_data(result), paths)


def write_figure(data: FigureData, paths: list[Path], formats: list[str] | None = None) -> None:
    """Draw the figure once and save it to each path (format from the suffix, or `formats`)."""
    fig = new_figure(8.4, 4.8)
    draw_panel(fig.subplots(), data)
    lay_out(fig)
    save_figure(fig, paths, formats)


# --------------------------------------------------------------------------- reading a run back


def read_table(folder: Path, stem: str, required: bool = True) -> pl.DataFrame | None:
    """An exported table, Parquet if the run wrote it, else CSV."""
    for suffix, reader in ((".parquet", pl.read_parquet), (".csv", pl.read_csv)):
        path = folder / f"{stem}{suffix}"
        if path.is_file():
            try:
                return reader(path)
            except (OSError, pl.exceptions.PolarsError) as err:
                raise DipscanError(f"{path}: cannot be read ({type(err).__name__}); "
                                   "run the scenario again to rewrite it") from None
    if required:
        raise DipscanError(f"{folder}: no {stem}.parquet or {stem}.csv; allowed: a folder written "
                           "by `dipscan run` with 'parquet' or 'csv' in [output] formats")
    return None


def figure_data_from_folder(folder: Path, meta: dict | None = None) -> FigureData:
    """The figure of a finished run, from its exported tables and provenance alone."""
    folder = Path(folder)
    if meta is None:
        meta = read_provenance(folder).get("figure")
        if meta is None:
            raise DipscanError(f"{folder}/provenance.json: no 'figure' record (written by an older "
                               "dipscan); run the scenario again")
    kinds = {c["kind"] for c in meta["curves"]}
    events = "limit" in kinds or any(c.get("band") for c in meta["curves"])
    return FigureData(meta, read_table(folder, "contours"),
                      totals(read_table(folder, "events")) if events else None,
                      read_table(folder, "overlay_events") if "babar" in kinds else None)
