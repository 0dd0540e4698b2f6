"""Sensitivity plots in the style of the paper's figures: log-log, mass against d."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

from dipscan.bands import band_field  # noqa: E402
from dipscan.overlays import draw_overlay  # noqa: E402

MASS_LABELS = {"dark_dipole": r"$M_1$ [GeV]", "neutrino_dipole": r"$M_N$ [GeV]"}


def scenario_title(scenario) -> str:
    params = dict(scenario.model.params)
    if scenario.model.kind == "dark_dipole":
        return rf"dark-dark dipole $d\,\bar\chi_2\sigma^{{\mu\nu}}\chi_1F_{{\mu\nu}}$, $\delta = {params['delta']:g}$"
    return rf"$\nu_{{{params.get('flavour', '')}}}$-$N$ dipole"


def plot_contours(result, paths: list[Path]) -> None:
    """Draw every experiment's N-event contour; one legend entry per experiment."""
    scenario = result.scenario
    fig, ax = plt.subplots(figsize=(8.4, 4.8))
    draw_result(ax, result)
    ax.set_title(f"{scenario_title(scenario)}; $N_{{evts}} = {scenario.output.n_events:g}$",
                 fontsize=10)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    save_figure(fig, paths)


def save_figure(fig, paths: list[Path]) -> None:
    """Write `fig` to every path (PDFs without a creation date, so runs are byte-stable) and close it."""
    for path in paths:
        fig.savefig(path, dpi=150, metadata={"CreationDate": None} if path.suffix == ".pdf" else None)
    plt.close(fig)


def draw_result(ax, result) -> None:
    """One scenario's overlays, limits and contours on `ax`, with axes labels (no title, no legend)."""
    scenario = result.scenario
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(result.mass_GeV.min(), result.mass_GeV.max())
    ax.set_ylim(result.coupling_GeVinv.min(), result.coupling_GeVinv.max())
    for overlay in result.overlays:
        draw_overlay(ax, overlay)
    for spec in scenario.experiments:
        if spec.statistics is not None:  # a recast limit: shade the excluded region
            ax.contourf(result.mass_GeV, result.coupling_GeVinv, result.total_grid(spec.label).T,
                        levels=[result.levels[spec.label], np.inf], colors=[spec.color], alpha=0.2)
        band = result.bands.get(spec.label)
        if band is not None and spec.statistics is None:  # the uncertainty band, lightly shaded
            ax.contourf(result.mass_GeV, result.coupling_GeVinv,
                        band_field(band.pessimistic, band.optimistic, result.levels[spec.label]).T,
                        levels=[0.0, np.inf], colors=[spec.color], alpha=0.15)
        rows = result.contours.filter((pl.col("experiment") == spec.label)
                                      & (pl.col("band") == "central"))
        first = True
        for (_,), seg in rows.group_by(["segment"], maintain_order=True):
            ax.plot(seg["mass_GeV"], seg["coupling_GeVinv"], color=spec.color,
                    linestyle=spec.linestyle, lw=1.6, label=spec.label if first else None)
            first = False
        if first:  # no contour: keep the legend honest
            ax.plot([], [], color=spec.color, linestyle=spec.linestyle,
                    label=f"{spec.label} (N < {result.levels[spec.label]:.3g} everywhere)")
    ax.set_xlabel(MASS_LABELS.get(scenario.model.kind, "mass [GeV]"))
    ax.set_ylabel(r"$d$ [GeV$^{-1}$]")
    ax.grid(True, which="major", alpha=0.3)
