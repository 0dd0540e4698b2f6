"""Detector shapes and where an LLP (or its photon) is inside them.

Positions in metres with the target at the origin and the beam along +z. An LLP flies on a
straight line from the target, so at depth z it sits at z * (tan(theta) cos(phi), tan(theta) sin(phi)).
"""

from __future__ import annotations

import numpy as np

from dipscan.scenario import Geometry


def transverse_inside(geometry: Geometry, x_m, y_m, z_m) -> np.ndarray:
    """True where (x, y) at depth z lies inside the decay volume's cross-section."""
    x, y, z = np.asarray(x_m, float), np.asarray(y_m, float), np.asarray(z_m, float)
    shape = geometry.shape
    if shape == "cone":
        return np.hypot(x, y) < z * np.tan(geometry.theta_max_rad)
    if shape == "cylinder":
        return np.hypot(x, y) < geometry.radius_m
    if shape == "box":
        return (np.abs(x) < geometry.width_m / 2) & (np.abs(y) < geometry.height_m / 2)
    if shape == "frustum":
        # Width and height grow linearly from the upstream to the downstream face.
        f = (z - geometry.l_start_m) / (geometry.l_end_m - geometry.l_start_m)
        width = geometry.upstream_width_m + f * (geometry.downstream_width_m - geometry.upstream_width_m)
        height = geometry.upstream_height_m + f * (geometry.downstream_height_m - geometry.upstream_height_m)
        return (np.abs(x) < width / 2) & (np.abs(y) < height / 2)
    raise ValueError(f"unknown shape {shape!r}")


def point_on_line(theta_rad, phi_rad, z_m) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of a straight line from the origin with direction (theta, phi), at depth z."""
    r = np.asarray(z_m, float) * np.tan(theta_rad)
    return r * np.cos(phi_rad), r * np.sin(phi_rad)


def slice_edges_m(geometry: Geometry, n_slices: int) -> np.ndarray:
    return np.linspace(geometry.l_start_m, geometry.l_end_m, n_slices + 1)
