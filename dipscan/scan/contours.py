"""Iso-event contours on log axes, with each point labelled by its branch.

A sensitivity region is bounded below by the long-lifetime branch (N grows with d: more
production, still long-lived) and above by the short-lifetime branch (N falls with d: the LLP
decays before the detector). Disconnected islands are kept as separate segments.
"""

from __future__ import annotations

import numpy as np
import polars as pl

LOG_FLOOR = -300.0  # log10 of "no events": far below any level a user asks for

CONTOUR_SCHEMA = {"experiment": pl.String, "segment": pl.Int32, "point": pl.Int32,
                  "branch": pl.String, "mass_GeV": pl.Float64, "coupling_GeVinv": pl.Float64}


def log_field(n_events: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        z = np.log10(n_events)
    return np.where(np.isfinite(z), z, LOG_FLOOR)


def bilinear(x: np.ndarray, y: np.ndarray, values: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Linear interpolation of values (len(x), len(y)) on a rectilinear grid at points (n, 2),
    extended linearly beyond the edges (as scipy's RegularGridInterpolator with fill_value=None,
    without importing scipy on the start-up path)."""
    i = np.clip(np.searchsorted(x, points[:, 0]) - 1, 0, x.size - 2)
    j = np.clip(np.searchsorted(y, points[:, 1]) - 1, 0, y.size - 2)
    t = (points[:, 0] - x[i]) / (x[i + 1] - x[i])
    u = (points[:, 1] - y[j]) / (y[j + 1] - y[j])
    return ((1 - t) * (1 - u) * values[i, j] + t * (1 - u) * values[i + 1, j]
            + (1 - t) * u * values[i, j + 1] + t * u * values[i + 1, j + 1])


def band_field(pessimistic: np.ndarray, optimistic: np.ndarray, level: float) -> np.ndarray:
    """Positive where the optimistic count reaches ``level`` and the pessimistic one does not:
    min(log N_opt - log level, log level - log N_pess), continuous for smooth shading.

    Lives here, beside log_field, so that drawing a band needs no part of the computation."""
    lv = np.log10(level)
    return np.minimum(log_field(optimistic) - lv, lv - log_field(pessimistic))


def iso_contours(mass_GeV: np.ndarray, coupling_GeVinv: np.ndarray, n_events: np.ndarray,
                 level: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Segments of the N = level contour of an (n_mass, n_coupling) grid.

    Returns [(mass_GeV, coupling_GeVinv, branch)] per segment, branch "lower" or "upper".
    """
    import contourpy  # here: a run needs it only once the events are counted

    x, y = np.log10(mass_GeV), np.log10(coupling_GeVinv)
    z = log_field(np.asarray(n_events, dtype=float))  # (mass, coupling)
    generator = contourpy.contour_generator(x=x, y=y, z=z.T, line_type=contourpy.LineType.Separate)
    gradient = np.gradient(z, y, axis=1)
    segments = []
    for line in generator.lines(np.log10(level)):
        if len(line) < 2:
            continue
        branch = np.where(bilinear(x, y, gradient, line) > 0, "lower", "upper")
        segments.append((10 ** line[:, 0], 10 ** line[:, 1], branch))
    return segments


def contour_frame(experiment: str, segments) -> pl.DataFrame:
    """One row per contour point: experiment, segment, point, branch, mass_GeV, coupling_GeVinv."""
    frames = [pl.DataFrame({
        "experiment": [experiment] * len(m), "segment": np.full(len(m), i, dtype=np.int32),
        "point": np.arange(len(m), dtype=np.int32), "branch": list(b),
        "mass_GeV": m, "coupling_GeVinv": d}, schema=CONTOUR_SCHEMA)
        for i, (m, d, b) in enumerate(segments)]
    return pl.concat(frames) if frames else pl.DataFrame(schema=CONTOUR_SCHEMA)
