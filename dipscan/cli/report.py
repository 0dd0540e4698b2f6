"""Closing summary per experiment and the provenance record of a run."""

from __future__ import annotations

import dataclasses
import platform
import sys
from importlib import metadata

import numpy as np
import polars as pl

from dipscan.cli.tables_report import normalisation_sources
from dipscan.io.version import git_state, package_version
from dipscan.physics.decays.backend import kernel_choice
from dipscan.production.manifest import table_digests
from dipscan.scan.bands import band_summary

# Every package that can change a number or a picture of a run (rich only prints).
PACKAGES = ("dipscan", "numpy", "numba", "scipy", "polars", "contourpy", "matplotlib", "pythia8mc",
            "particle", "hepunits", "hnlimits", "dask", "distributed", "pillow", "fonttools",
            "kiwisolver", "rich")

APPROXIMATIONS = (
    "chi2 (or N) lifetime from the radiative decay alone; chi2 -> chi1 e+ e- (~0.1%) is neglected",
    "meson decays through point-like vertices: no transition form factors",
    "pi0, eta, eta' -> gamma + dipole pair use effective decay constants F_P fitted to the measured "
    "Gamma(P -> gamma gamma) (for eta and eta' these absorb the eta-eta' mixing)",
    "LLP samples with equal log10(beta*gamma) within the reduction bin width are merged "
    "(weighted-mean beta*gamma) before crossing with the coupling grid",
)


def preset_approximations(scenario) -> list[str]:
    """What the beams and experiment presets of a scenario approximate, as their files state it."""
    from dipscan.production.beams import load_beam

    out = []
    for beam in sorted({spec.beam for spec in scenario.experiments}):
        out += [f"beam {beam}: {text}" for text in load_beam(beam).approximations]
    for preset in dict.fromkeys(spec.preset for spec in scenario.experiments):
        spec = next(s for s in scenario.experiments if s.preset == preset)
        out += [f"{spec.name}: {text}" for text in spec.approximations]
    return out


def summary_frame(result) -> pl.DataFrame:
    """Per experiment: smallest d on the contour and its mass, the mass reach, dominant channel;
    then the same for the pessimistic and optimistic curves and what dominates their band."""
    rows = []
    for spec in result.scenario.experiments:
        contour = result.contours.filter((pl.col("experiment") == spec.label)
                                         & (pl.col("band") == "central"))
        if contour.height == 0:
            rows.append({"experiment": spec.label, "role": _role(spec),
                         "level_events": result.levels[spec.label], "min_coupling_GeVinv": None,
                         "mass_at_min_GeV": None, "mass_reach_GeV": None,
                         "dominant_channel": None})
            continue
        best = contour.sort("coupling_GeVinv").row(0, named=True)
        rows.append({
            "experiment": spec.label, "role": _role(spec), "level_events": result.levels[spec.label],
            "min_coupling_GeVinv": best["coupling_GeVinv"],
            "mass_at_min_GeV": best["mass_GeV"],
            "mass_reach_GeV": float(contour["mass_GeV"].max()),
            "dominant_channel": dominant_channel_at(result, spec.label, best["mass_GeV"],
                                                    best["coupling_GeVinv"]),
        })
    central = pl.DataFrame(rows, schema={"experiment": pl.String, "role": pl.String,
                                         "level_events": pl.Float64, "min_coupling_GeVinv": pl.Float64,
                                         "mass_at_min_GeV": pl.Float64, "mass_reach_GeV": pl.Float64,
                                         "dominant_channel": pl.String})
    return central.join(band_summary(result), on="experiment", how="left", maintain_order="left")


def _role(spec) -> str:
    return "sensitivity" if spec.statistics is None else "limit"


def _nearest_index(values: np.ndarray, value: float) -> int:
    """Index of the grid value nearest (in log) to `value`."""
    return int(np.argmin(np.abs(np.log(values / value))))


def dominant_channels(result, label: str, points: list[tuple[int, int]]) -> list[str | None]:
    """The channel with most events at each (mass index, coupling index) of `points` (None where
    no channel has a row); ties go to the channel listed first in the events table.

    One pass over the experiment's channel rows, whatever the number of points.
    """
    rows = result.events.filter((pl.col("experiment") == label) & (pl.col("channel") != "total"))
    n_coupling = result.coupling_GeVinv.size
    key = (rows["mass_index"].to_numpy().astype(np.int64) * n_coupling
           + rows["coupling_index"].to_numpy())
    # Only the rows at the points asked for (a few per mass among every channel's grid).
    at = np.flatnonzero(np.isin(key, [i * n_coupling + j for i, j in points]))
    # Per grid point, the row with the most events (the first such row on a tie).
    order = np.lexsort((at, -rows["n_events"].to_numpy()[at], key[at]))
    keys, first = np.unique(key[at][order], return_index=True)
    channels = rows["channel"].gather(at[order[first]]).to_list()
    found = dict(zip(keys.tolist(), channels, strict=True))
    return [found.get(i * n_coupling + j) for i, j in points]


def dominant_channel_at(result, label: str, mass_GeV: float, coupling_GeVinv: float) -> str | None:
    """The channel with most events at the grid point nearest (in log) to (mass, coupling)."""
    point = (_nearest_index(result.mass_GeV, mass_GeV),
             _nearest_index(result.coupling_GeVinv, coupling_GeVinv))
    return dominant_channels(result, label, [point])[0]


def dominance_frame(result) -> pl.DataFrame:
    """Per experiment and mass: the channel with most events at the lowest d where N >= level."""
    out = []
    for spec in result.scenario.experiments:
        level = result.levels[spec.label]
        grid = result.total_grid(spec.label)
        reached = [(i, int(np.nonzero(grid[i] >= level)[0][0]))
                   for i in range(result.mass_GeV.size) if np.any(grid[i] >= level)]
        channels = dominant_channels(result, spec.label, reached)
        out += [{"experiment": spec.label, "mass_GeV": float(result.mass_GeV[i]),
                 "coupling_GeVinv": float(result.coupling_GeVinv[j]), "dominant_channel": channel}
                for (i, j), channel in zip(reached, channels, strict=True)]
    return pl.DataFrame(out, schema={"experiment": pl.String, "mass_GeV": pl.Float64,
                                     "coupling_GeVinv": pl.Float64, "dominant_channel": pl.String})


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["python"] = sys.version.split()[0]
    versions["platform"] = platform.platform()
    return versions


def provenance(result, timings_s: dict[str, float]) -> dict:
    scenario = result.scenario
    beams = sorted({spec.beam for spec in scenario.experiments})
    return {
        "scenario": {"file": str(scenario.path), "name": scenario.name, "sha256": scenario.digest,
                     "seed": scenario.seed},
        "model": {"kind": scenario.model.kind, **dict(scenario.model.params)},
        "grids": {"mass_GeV": [float(result.mass_GeV.min()), float(result.mass_GeV.max()),
                               int(result.mass_GeV.size), scenario.mass_grid.spacing],
                  "coupling_GeVinv": [float(result.coupling_GeVinv.min()),
                                      float(result.coupling_GeVinv.max()),
                                      int(result.coupling_GeVinv.size),
                                      scenario.coupling_grid.spacing]},
        "experiments": [{
            "label": spec.label, "preset": spec.preset, "beam": spec.beam,
            "exposure": spec.exposure.describe(), "collisions": spec.exposure.n_collisions(),
            "target_mass_number": spec.target_mass_number,
            "photon_window_GeV": [spec.photon_threshold_GeV, spec.photon_max_GeV],
            "efficiency": spec.efficiency,
            "geometry_mode": spec.geometry.mode, "geometry_shape": spec.geometry.shape,
            "decay_region_m": [spec.geometry.l_start_m, spec.geometry.l_end_m],
            "contour_level_events": result.levels[spec.label],
            "statistics": None if spec.statistics is None else {
                **dataclasses.asdict(spec.statistics),
                "signal_upper_limit": result.levels[spec.label]},
        } for spec in scenario.experiments],
        "tables": {beam: table_digests(beam) for beam in beams},
        "normalisation": {beam: normalisation_sources(beam) for beam in beams},
        "llp_samples_per_channel": result.sample_counts,
        "mesons_produced": {spec.label: {row["meson"]: row["n_produced"] for row in
                                         result.exposure.filter(pl.col("experiment") == spec.label)
                                         .iter_rows(named=True)} for spec in scenario.experiments},
        "omitted_channels": result.omitted_channels,
        "notes": result.notes,
        "max_branching_ratio_on_grid": result.max_branching_ratio,
        "approximations": list(APPROXIMATIONS) + preset_approximations(scenario)
        + [n for o in result.overlays for n in o.notes],
        "overlays": [o.label for o in result.overlays],
        "uncertainties": scenario.uncertainties.describe(),
        "recasts": [o.data["recast"] for o in result.overlays if "recast" in o.data],
        "warnings": [w for o in result.overlays for w in o.warnings],
        "dipscan": {"version": package_version(), **(git_state() or {"commit": None, "dirty": None})},
        "versions": package_versions(),
        "decay_kernels": kernel_choice(),
        "timings_s": {k: round(v, 4) for k, v in timings_s.items()},
        # Like the timings, how this run got its numbers, not the numbers themselves.
        "events_source": result.events_source,
    }
