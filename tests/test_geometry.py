"""Detector shapes: containment and the widest angle an experiment can accept."""

import dataclasses

import numpy as np
import pytest

from dipscan.experiments import max_llp_angle_rad
from dipscan.geometry import point_on_line, transverse_inside
from dipscan.scenario import load_experiment_preset


def test_frustum_cross_section_grows_linearly_between_its_faces():
    g = load_experiment_preset("ship").geometry  # 1.0 x 2.7 m at 33 m, 4.0 x 6.0 m at 85 m
    mid = 0.5 * (g.l_start_m + g.l_end_m)
    for z, half_w, half_h in [(g.l_start_m, 0.5, 1.35), (g.l_end_m, 2.0, 3.0), (mid, 1.25, 2.175)]:
        assert transverse_inside(g, half_w * 0.999, half_h * 0.999, z)
        assert not transverse_inside(g, half_w * 1.001, 0.0, z)
        assert not transverse_inside(g, 0.0, half_h * 1.001, z)


def test_widest_accepted_angle_per_mode():
    ship = load_experiment_preset("ship")
    assert max_llp_angle_rad(ship) == pytest.approx(2.8e-2)  # paper mode: the cone
    volume = dataclasses.replace(ship, geometry=dataclasses.replace(ship.geometry, mode="volume"))
    # the frustum is widest, as seen from the target, at its upstream face
    assert max_llp_angle_rad(volume) == pytest.approx(np.arctan(0.5 * np.hypot(1.0, 2.7) / 33.0))
    bebc = load_experiment_preset("bebc")  # box, paper mode without a cone angle: the far face
    g = bebc.geometry
    assert max_llp_angle_rad(bebc) == pytest.approx(
        np.arctan(0.5 * np.hypot(g.width_m, g.height_m) / g.l_end_m))


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
            assert not transverse_inside(g, x, y, z).any(), (name, z)
