"""Detector shapes: containment and the widest angle an experiment can accept."""

import dataclasses

import numpy as np
import pytest

from dipscan.config.scenario import load_experiment_preset
from dipscan.scan.experiments import max_llp_angle_rad
from dipscan.scan.geometry import SHAPES, Box, Cone, Cylinder, Frustum, point_on_line, shape_keys


def test_frustum_cross_section_grows_linearly_between_its_faces():
    g = load_experiment_preset("ship").geometry  # 1.0 x 2.7 m at 33 m, 4.0 x 6.0 m at 85 m
    mid = 0.5 * (g.l_start_m + g.l_end_m)
    for z, half_w, half_h in [(g.l_start_m, 0.5, 1.35), (g.l_end_m, 2.0, 3.0), (mid, 1.25, 2.175)]:
        assert g.contains(half_w * 0.999, half_h * 0.999, z)
        assert not g.contains(half_w * 1.001, 0.0, z)
        assert not g.contains(0.0, half_h * 1.001, z)


def test_widest_accepted_angle_per_mode():
    ship = load_experiment_preset("ship")
    assert max_llp_angle_rad(ship) == pytest.approx(2.8e-2)  # paper mode: the cone
    volume = dataclasses.replace(ship, geometry=dataclasses.replace(ship.geometry, mode="volume"))
    # the frustum is widest, as seen from the target, at its upstream face
    assert max_llp_angle_rad(volume) == pytest.approx(np.arctan(0.5 * np.hypot(1.0, 2.7) / 33.0))
    bebc = load_experiment_preset("bebc")  # box, paper mode without a cone angle: the far face
    g = bebc.geometry
    assert max_llp_angle_rad(bebc) == pytest.approx(
        np.arctan(0.5 * np.hypot(g.volume.width_m, g.volume.height_m) / g.l_end_m))


def test_lines_outside_the_widest_angle_never_enter():
    rng = np.random.default_rng(2)
    for name, mode in [("ship", "volume"), ("na62", "volume"), ("bebc", "paper")]:
        spec = load_experiment_preset(name)
        spec = dataclasses.replace(spec, geometry=dataclasses.replace(spec.geometry, mode=mode))
        g = spec.geometry
        theta = max_llp_angle_rad(spec) * rng.uniform(1.0001, 3.0, 5000)
        phi = rng.uniform(-np.pi, np.pi, 5000)
        for z in np.linspace(g.l_start_m, g.l_end_m, 9):
            x, y = point_on_line(theta, phi, z)
            assert not g.contains(x, y, z).any(), (name, z)


@pytest.mark.parametrize("shape", [Cone(0.01), Cylinder(1.0), Box(2.0, 1.0), Frustum(1.0, 0.5, 3.0, 1.5)])
def test_every_shape_contains_the_lines_within_its_widest_angle(shape):
    """A line from the target below the widest angle at a face is inside there for round shapes;
    a line above it is outside at both faces, for every shape."""
    l_start, l_end = 50.0, 100.0
    widest = shape.widest_angle_rad((l_start, l_end), l_start, l_end)
    rng = np.random.default_rng(3)
    phi = rng.uniform(-np.pi, np.pi, 2000)
    for z in (l_start, l_end):
        x, y = point_on_line(widest * 1.001, phi, z)
        assert not shape.contains(x, y, z, l_start, l_end).any()
    x, y = point_on_line(0.0, phi, l_end)
    assert shape.contains(x, y, l_end, l_start, l_end).all()  # the beam axis is inside


def test_shape_keys_are_the_preset_keys():
    from dipscan.config.presets import SHAPE_KEYS

    assert set(SHAPES) == {"cone", "cylinder", "box", "frustum"}
    assert SHAPE_KEYS == {name: shape_keys(name) for name in SHAPES}
    assert shape_keys("frustum") == ("upstream_width_m", "upstream_height_m", "downstream_width_m",
                                     "downstream_height_m")
