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

`dipscan figure FILE` computes every panel's scenario and writes `outputs/NAME/`: `figure.png`
and `figure.pdf` (one picture), `contours.*` and `summary.csv` with a `panel` column (the
scenario name) and a column per model parameter (`flavour`, `delta`), and `provenance.json`
holding each panel's own provenance.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import polars as pl
from rich.console import Console

from dipscan.config.figure import FigureSpec, list_figures, load_figure
from dipscan.config.scenario import Scenario

__all__ = ["list_figures", "load_figure", "run_figure"]

PANEL_SIZE_IN = (5.0, 4.2)  # width, height of one panel in inches
LEGEND_WIDTH_IN = 2.6


def panel_frame(frame: pl.DataFrame, scenario: Scenario) -> pl.DataFrame:
    """`frame` with the panel's name and its model parameters as leading columns."""
    extra = [pl.lit(scenario.name).alias("panel")]
    extra += [pl.lit(value).alias(key) for key, value in dict(scenario.model.params).items()]
    return frame.select(*extra, pl.all())


def draw_figure(spec: FigureSpec, results: list, paths: list[Path]) -> None:
    """All panels in one picture, one legend for the figure (entries merged by label)."""
    from matplotlib.figure import Figure

    from dipscan.plot.plotting import draw_result, save_figure

    rows = math.ceil(len(results) / spec.columns)
    width = PANEL_SIZE_IN[0] * spec.columns + LEGEND_WIDTH_IN
    fig = Figure(figsize=(width, PANEL_SIZE_IN[1] * rows))
    axes = fig.subplots(rows, spec.columns, sharex=spec.share_mass, sharey=spec.share_coupling,
                        squeeze=False)
    handles: dict[str, object] = {}
    for ax, panel, result in zip(axes.flat, spec.panels, results, strict=False):
        draw_result(ax, result)
        ax.set_title(panel.title, fontsize=10)
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    for ax in list(axes.flat)[len(results):]:
        ax.set_visible(False)
    if spec.share_mass or spec.share_coupling:
        _shared_limits(axes.flat, results, spec)
    for ax in axes.flat:  # shared axes: labels on the outer panels only
        if spec.share_mass and not ax.get_subplotspec().is_last_row():
            ax.set_xlabel("")
        if spec.share_coupling and not ax.get_subplotspec().is_first_col():
            ax.set_ylabel("")
    fig.suptitle(spec.title, fontsize=11)
    fig.legend(list(handles.values()), list(handles), fontsize=7, loc="upper left",
               bbox_to_anchor=(1.0 - LEGEND_WIDTH_IN / width, 0.93), frameon=False)
    fig.tight_layout(rect=(0.0, 0.0, 1.0 - LEGEND_WIDTH_IN / width, 1.0))
    save_figure(fig, paths)


def _shared_limits(axes, results, spec: FigureSpec) -> None:
    """Shared axes span the union of the panels' grids."""
    for ax in axes:
        if spec.share_mass:
            ax.set_xlim(min(r.mass_GeV.min() for r in results), max(r.mass_GeV.max() for r in results))
        if spec.share_coupling:
            ax.set_ylim(min(r.coupling_GeVinv.min() for r in results),
                        max(r.coupling_GeVinv.max() for r in results))


def run_figure(path: str | Path, output_dir: Path | None = None,
               console: Console | None = None) -> Path:
    """Compute every panel, then write the figure and its exports atomically."""
    from dipscan.cli.preflight import check_tables
    from dipscan.cli.report import provenance, summary_frame
    from dipscan.cli.run import CACHE_DIR
    from dipscan.io.outputs import check_target, staged_directory, write_json, write_table
    from dipscan.scan.pipeline import compute

    console = console or Console(stderr=True)
    t0 = time.perf_counter()
    spec = load_figure(path)  # every panel checked before any work
    target = Path(output_dir) if output_dir else Path("outputs") / spec.name
    check_target(target, spec.name)
    for panel in spec.panels:
        check_tables(panel.scenario)
    results = []
    for panel in spec.panels:
        console.print(f"{spec.name}: computing panel {panel.scenario.name}")
        results.append(compute(panel.scenario, cache_dir=CACHE_DIR))
    with staged_directory(target, spec.name) as folder:
        formats = ("parquet", "csv")
        contours = pl.concat([panel_frame(r.contours, p.scenario) for p, r in zip(spec.panels, results, strict=True)],
                             how="diagonal")
        write_table(contours, folder, "contours", formats)
        summary = pl.concat([panel_frame(summary_frame(r), p.scenario)
                             for p, r in zip(spec.panels, results, strict=True)], how="diagonal")
        write_table(summary, folder, "summary", ("csv",))
        draw_figure(spec, results, [folder / "figure.png", folder / "figure.pdf"])
        seconds = time.perf_counter() - t0
        write_json({"figure": spec.name, "title": spec.title, "file": str(spec.path),
                    "panels": [{"panel": p.scenario.name, "title": p.title,
                                "provenance": provenance(r, {"total": r.timings_s.get("total", 0.0)})}
                               for p, r in zip(spec.panels, results, strict=True)],
                    "seconds": seconds}, folder / "provenance.json")
    console.print(f"{spec.name}: {len(results)} panels; outputs in {target} ({seconds:.1f} s)")
    return target
