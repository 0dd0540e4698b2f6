"""Figures of several panels, declared in TOML: each panel is a scenario, drawn on shared axes.

A figure file (`scenarios/figures/NAME.toml`, read by dipscan.config.figure) lists its panels in order:

    [figure]
    title = "Figure 4: active-sterile neutrino dipole"   # optional; default: the file stem
    columns = 3                                           # optional; default: all panels in a row
    share_mass = true                                     # optional; shared mass axis
    share_coupling = true                                 # optional; shared coupling axis

    [[panel]]
    scenario = "fig4_e"        # scenarios/fig4_e.toml
    title = "electron flavour" # optional; default: the scenario's own title

`dipscan figure FILE` takes every panel from its scenario's run folder (outputs/SCENARIO) when
the numbers there are current (the check `dipscan run` makes before a redraw), and computes the
others (their samples usually come from the sample cache); it writes `outputs/NAME/`: `figure.png`
and `figure.pdf` (one picture), `contours.*` and `summary.csv` with a `panel` column (the
scenario name) and a column per model parameter (`flavour`, `delta`), and `provenance.json`
holding each panel's own provenance.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from rich.console import Console
from rich.markup import escape

from dipscan.config.figure import FigureSpec, list_figures, load_figure
from dipscan.config.scenario import Scenario

__all__ = ["list_figures", "load_figure", "run_figure"]

if TYPE_CHECKING:  # drawing is imported when a figure is made, not when one is listed
    from dipscan.plot.plotting import FigureData

PANEL_SIZE_IN = (5.0, 4.2)  # width, height of one panel in inches
LEGEND_WIDTH_IN = 2.6


def panel_frame(frame: pl.DataFrame, scenario: Scenario) -> pl.DataFrame:
    """`frame` with the panel's name and its model parameters as leading columns."""
    extra = [pl.lit(scenario.name).alias("panel")]
    extra += [pl.lit(value).alias(key) for key, value in dict(scenario.model.params).items()]
    return frame.select(*extra, pl.all())


@dataclass(frozen=True)
class PanelResult:
    """What a figure takes from one panel's scenario: its curves, summary and provenance."""

    figure: FigureData
    summary: pl.DataFrame
    provenance: dict
    source: str  # "computed", or the run folder whose numbers were reused


def panel_result(scenario: Scenario) -> PanelResult:
    """The panel from the scenario's own run folder (outputs/NAME) when its numbers are current
    there (as `dipscan run` decides for a redraw), else computed."""
    from dipscan.cli.redraw import only_style_changed
    from dipscan.cli.run import CACHE_DIR, compute, default_output_dir
    from dipscan.plot.plotting import figure_data, figure_data_from_folder, read_table
    from dipscan.plot.record import read_provenance, restyle_meta

    folder = default_output_dir(scenario)
    if only_style_changed(scenario, folder):
        record = read_provenance(folder)
        data = figure_data_from_folder(folder, restyle_meta(record["figure"], scenario))
        return PanelResult(data, read_table(folder, "summary"), record, str(folder))
    from dipscan.cli.report import provenance, summary_frame

    result = compute(scenario, cache_dir=CACHE_DIR)
    return PanelResult(figure_data(result), summary_frame(result),
                       provenance(result, {"total": result.timings_s.get("total", 0.0)}), "computed")


def draw_figure(spec: FigureSpec, panels: list[FigureData], paths: list[Path]) -> None:
    """All panels in one picture, one legend for the figure (entries merged by label)."""
    from dipscan.plot.canvas import lay_out, new_figure, save_figure
    from dipscan.plot.plotting import draw_panel

    rows = math.ceil(len(panels) / spec.columns)
    width = PANEL_SIZE_IN[0] * spec.columns + LEGEND_WIDTH_IN
    fig = new_figure(width, PANEL_SIZE_IN[1] * rows)
    axes = fig.subplots(rows, spec.columns, sharex=spec.share_mass, sharey=spec.share_coupling,
                        squeeze=False)
    handles: dict[str, object] = {}
    for ax, panel, data in zip(axes.flat, spec.panels, panels, strict=False):
        draw_panel(ax, data, decorate=False)
        ax.set_title(panel.title, fontsize=10)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    if spec.share_mass or spec.share_coupling:
        _shared_limits(axes.flat, panels, spec)
    for ax in axes.flat:  # shared axes: labels on the outer panels only
        if spec.share_mass and not ax.get_subplotspec().is_last_row():
            ax.set_xlabel("")
        if spec.share_coupling and not ax.get_subplotspec().is_first_col():
            ax.set_ylabel("")
    fig.suptitle(spec.title, fontsize=11)
    fig.legend(list(handles.values()), list(handles), fontsize=7, loc="upper left",
               bbox_to_anchor=(1.0 - LEGEND_WIDTH_IN / width, 0.93), frameon=False)
    lay_out(fig, rect=(0.0, 0.0, 1.0 - LEGEND_WIDTH_IN / width, 1.0))
    save_figure(fig, paths)


def _shared_limits(axes, panels: list[FigureData], spec: FigureSpec) -> None:
    """Shared axes span the union of the panels' grids."""
    masses = [m for data in panels for m in data.meta["mass_range_GeV"]]
    couplings = [d for data in panels for d in data.meta["coupling_range_GeVinv"]]
    for ax in axes:
        if spec.share_mass:
            ax.set_xlim(min(masses), max(masses))
        if spec.share_coupling:
            ax.set_ylim(min(couplings), max(couplings))


def run_figure(path: str | Path, output_dir: Path | None = None,
               console: Console | None = None) -> Path:
    """Every panel (reused from its run folder when current, else computed), then the figure
    and its exports, written atomically."""
    from dipscan.cli.preflight import check_tables
    from dipscan.io.outputs import check_target, staged_directory, write_json, write_table
    from dipscan.plot.canvas import preload

    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    spec = load_figure(path)  # every panel checked before any work
    target = Path(output_dir) if output_dir else Path("outputs") / spec.name
    check_target(target, spec.name)
    for panel in spec.panels:
        check_tables(panel.scenario)
    preload()  # matplotlib's import overlaps reading (or computing) the panels
    results = []
    for panel in spec.panels:
        results.append(panel_result(panel.scenario))
        source = results[-1].source
        console.print(escape(f"{spec.name}: panel {panel.scenario.name} "
                             + ("computed" if source == "computed" else f"read from {source}")),
                      highlight=False)
    pairs = list(zip(spec.panels, results, strict=True))
    with staged_directory(target, spec.name) as folder:
        formats = ("parquet", "csv")
        contours = pl.concat([panel_frame(r.figure.contours, p.scenario) for p, r in pairs],
                             how="diagonal")
        write_table(contours, folder, "contours", formats)
        summary = pl.concat([panel_frame(r.summary, p.scenario) for p, r in pairs], how="diagonal")
        write_table(summary, folder, "summary", ("csv",))
        draw_figure(spec, [r.figure for r in results], [folder / "figure.png", folder / "figure.pdf"])
        seconds = time.perf_counter() - t0
        write_json({"figure": spec.name, "title": spec.title, "file": str(spec.path),
                    "panels": [{"panel": p.scenario.name, "title": p.title, "from": r.source,
                                "provenance": r.provenance} for p, r in pairs],
                    "seconds": seconds}, folder / "provenance.json")
    console.print(f"{spec.name}: {len(results)} panels; outputs in {target} ({seconds:.1f} s)")
    return target
