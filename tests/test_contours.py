"""Contour extraction on analytic fields whose N = 3 curves are known exactly."""

import numpy as np

from dipscan.scan.contours import contour_frame, iso_contours


def test_two_branches_of_a_log_parabola():
    # log10 N = 2 - (y - c(x))^2 with y = log10 d, c = -5 + x: N = 3 at y = c -+ s.
    mass = np.logspace(-2, 0, 41)
    coupling = np.logspace(-10, 0, 401)
    x, y = np.meshgrid(np.log10(mass), np.log10(coupling), indexing="ij")
    centre = -5.0 + x
    n_events = 10 ** (2.0 - (y - centre) ** 2)
    s = np.sqrt(2.0 - np.log10(3.0))
    segments = iso_contours(mass, coupling, n_events, 3.0)
    m = np.concatenate([seg[0] for seg in segments])
    ly = np.log10(np.concatenate([seg[1] for seg in segments]))
    lower = np.concatenate([seg[2] for seg in segments]) == "lower"
    c = -5.0 + np.log10(m)
    assert lower.sum() > 30 and (~lower).sum() > 30
    np.testing.assert_allclose(ly[lower], (c - s)[lower], atol=2e-3)
    np.testing.assert_allclose(ly[~lower], (c + s)[~lower], atol=2e-3)


def test_islands_stay_separate_segments_and_empty_field_gives_none():
    mass = np.logspace(-2, 0, 60)
    coupling = np.logspace(-8, -2, 60)
    x, y = np.meshgrid(np.log10(mass), np.log10(coupling), indexing="ij")
    blob = lambda x0, y0: 100 * np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / 0.05)  # noqa: E731
    field = blob(-1.5, -6) + blob(-0.5, -4)
    segments = iso_contours(mass, coupling, field, 3.0)
    assert len(segments) == 2
    frame = contour_frame("E", segments)
    assert set(frame["segment"].unique()) == {0, 1}
    assert iso_contours(mass, coupling, np.zeros_like(field), 3.0) == []
    assert contour_frame("E", []).height == 0


def test_bilinear_matches_scipy_inside_and_beyond_the_grid():
    from scipy.interpolate import RegularGridInterpolator

    from dipscan.scan.contours import bilinear

    rng = np.random.default_rng(5)
    x, y = np.sort(rng.uniform(0, 3, 7)), np.sort(rng.uniform(-8, -1, 9))
    values = rng.normal(size=(7, 9))
    points = np.column_stack([rng.uniform(-0.5, 3.5, 500), rng.uniform(-9, 0, 500)])
    points[:20] = np.column_stack([x[rng.integers(0, 7, 20)], y[rng.integers(0, 9, 20)]])  # nodes
    reference = RegularGridInterpolator((x, y), values, bounds_error=False, fill_value=None)(points)
    np.testing.assert_allclose(bilinear(x, y, values, points), reference, rtol=1e-12, atol=1e-12)
