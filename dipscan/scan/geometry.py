"""Decay-volume shapes: what each contains and the widest angle it accepts from the target.

Positions in metres with the target at the origin and the beam along +z. An LLP flies on a
straight line from the target, so at depth z it sits at z * (tan(theta) cos(phi), tan(theta) sin(phi)).
A shape is one frozen dataclass registered in SHAPES: its fields are the keys of a preset's
[geometry] table (numbers > 0), and it answers `contains` and `widest_angle_rad`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar, Protocol

import numpy as np


class Shape(Protocol):
    """What the detector response asks of a decay volume (l_start_m, l_end_m: its faces)."""

    NAME: ClassVar[str]

    def contains(self, x, y, z, l_start_m, l_end_m) -> np.ndarray:
        """True where (x, y) at depth z lies inside the cross-section."""
        ...

    def cross_section(self, z, l_start_m, l_end_m) -> tuple:
        """(radius, None, None) of a round cross-section at depth z, or (None, half width,
        half height) of a rectangular one: what `contains` tests, for the compiled weights."""
        ...

    def widest_angle_rad(self, ends_m, l_start_m, l_end_m) -> float:
        """Widest polar angle, seen from the target, of the cross-section at the depths ends_m."""
        ...


@dataclass(frozen=True)
class Cone:
    """Apex at the target, half-angle theta_max_rad."""

    NAME = "cone"
    theta_max_rad: float = field(metadata={"doc": "half-angle of the cone (apex at the target)"})

    def contains(self, x, y, z, l_start_m, l_end_m):
        return np.hypot(x, y) < self.cross_section(z, l_start_m, l_end_m)[0]

    def cross_section(self, z, l_start_m, l_end_m):
        return z * np.tan(self.theta_max_rad), None, None

    def widest_angle_rad(self, ends_m, l_start_m, l_end_m):
        return self.theta_max_rad


@dataclass(frozen=True)
class Cylinder:
    """Along the beam axis, radius radius_m."""

    NAME = "cylinder"
    radius_m: float = field(metadata={"doc": "radius"})

    def contains(self, x, y, z, l_start_m, l_end_m):
        return np.hypot(x, y) < self.radius_m

    def cross_section(self, z, l_start_m, l_end_m):
        return self.radius_m, None, None

    def widest_angle_rad(self, ends_m, l_start_m, l_end_m):
        return max(np.arctan(self.radius_m / z) for z in ends_m)


@dataclass(frozen=True)
class Box:
    """Along the beam axis, width_m (x) by height_m (y)."""

    NAME = "box"
    width_m: float = field(metadata={"doc": "full transverse size in x"})
    height_m: float = field(metadata={"doc": "full transverse size in y"})

    def contains(self, x, y, z, l_start_m, l_end_m):
        return _in_rectangle(x, y, *self.cross_section(z, l_start_m, l_end_m)[1:])

    def cross_section(self, z, l_start_m, l_end_m):
        return None, self.width_m / 2, self.height_m / 2

    def widest_angle_rad(self, ends_m, l_start_m, l_end_m):
        half_diagonal = 0.5 * np.hypot(self.width_m, self.height_m)
        return max(np.arctan(half_diagonal / z) for z in ends_m)


@dataclass(frozen=True)
class Frustum:
    """A rectangular pyramid frustum whose width and height grow linearly between its faces."""

    NAME = "frustum"
    upstream_width_m: float = field(metadata={"doc": "full size in x of the face at l_start_m"})
    upstream_height_m: float = field(metadata={"doc": "full size in y of the face at l_start_m"})
    downstream_width_m: float = field(metadata={"doc": "full size in x of the face at l_end_m (linear in between)"})
    downstream_height_m: float = field(metadata={"doc": "full size in y of the face at l_end_m (linear in between)"})

    def contains(self, x, y, z, l_start_m, l_end_m):
        return _in_rectangle(x, y, *self.cross_section(z, l_start_m, l_end_m)[1:])

    def cross_section(self, z, l_start_m, l_end_m):
        f = (z - l_start_m) / (l_end_m - l_start_m)
        width = self.upstream_width_m + f * (self.downstream_width_m - self.upstream_width_m)
        height = self.upstream_height_m + f * (self.downstream_height_m - self.upstream_height_m)
        return None, width / 2, height / 2

    def widest_angle_rad(self, ends_m, l_start_m, l_end_m):
        # ends_m are faces: the cross-section of each face, not an interpolation (exact values)
        half_diagonal = {l_start_m: 0.5 * np.hypot(self.upstream_width_m, self.upstream_height_m),
                         l_end_m: 0.5 * np.hypot(self.downstream_width_m, self.downstream_height_m)}
        return max(np.arctan(half_diagonal[z] / z) for z in ends_m)


def _in_rectangle(x, y, half_width_m, half_height_m):
    return (np.abs(x) < half_width_m) & (np.abs(y) < half_height_m)


SHAPES: dict[str, type] = {cls.NAME: cls for cls in (Cone, Cylinder, Box, Frustum)}


def shape_keys(name: str) -> tuple[str, ...]:
    """The [geometry] keys of a shape: its fields."""
    return tuple(f.name for f in fields(SHAPES[name]))


def shape_key_doc(name: str, key: str) -> str:
    """What a [geometry] key of a shape means (its field's `doc`)."""
    return next(f.metadata.get("doc", "") for f in fields(SHAPES[name]) if f.name == key)


def point_on_line(theta_rad, phi_rad, z_m) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of a straight line from the origin with direction (theta, phi), at depth z."""
    r = np.asarray(z_m, float) * np.tan(theta_rad)
    return r * np.cos(phi_rad), r * np.sin(phi_rad)


def slice_edges_m(l_start_m: float, l_end_m: float, n_slices: int) -> np.ndarray:
    return np.linspace(l_start_m, l_end_m, n_slices + 1)
