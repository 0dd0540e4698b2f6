"""The drawing function on synthetic tables: [plot] options take effect, shading and exported
edges sit where an analytic event field crosses the level."""

import numpy as np
import polars as pl
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch
from matplotlib.path import Path as MplPath

from dipscan.cli.hepdata import edges
from dipscan.config.plotspec import CurveStyle, PlotSpec
from dipscan.plot import canvas
from dipscan.plot.plotting import FigureData, draw_panel, write_figure
from dipscan.scan.contours import contour_frame, iso_contours

MASSES = np.geomspace(0.01, 1.0, 7)
COUPLINGS = np.geomspace(1e-8, 1e-2, 13)
LEVEL = 3.0


def _field(masses=MASSES, couplings=COUPLINGS) -> np.ndarray:
    """N = (d / d0(m))^4 with d0 = 1e-6 (m / 0.1 GeV)^-1: a pure power law in log space, so
    log-linear interpolation is exact and the N = 3 edge is d = 3^(1/4) d0(m)."""
    d0 = 1e-6 * (masses / 0.1) ** -1.0
    return (couplings[None, :] / d0[:, None]) ** 4


def _edge(mass):
    return 3 ** 0.25 * 1e-6 * (mass / 0.1) ** -1.0


def _data(plot: PlotSpec | None = None) -> FigureData:
    plot = plot or PlotSpec()
    grid = _field()
    events = pl.DataFrame({
        "experiment": "BEBC", "mass_GeV": np.repeat(MASSES, COUPLINGS.size),
        "coupling_GeVinv": np.tile(COUPLINGS, MASSES.size), "channel": "total",
        "n_events": grid.ravel()})
    contours = pl.concat([
        contour_frame("BEBC", iso_contours(MASSES, COUPLINGS, grid, LEVEL)),
        contour_frame("SHiP", iso_contours(MASSES, COUPLINGS, grid * 100, LEVEL))])
    meta = {"title": "t", "mass_label": "m", "coupling_label": "d",
            "mass_range_GeV": [0.01, 1.0], "coupling_range_GeVinv": [1e-8, 1e-2],
            "curves": [{"label": "BEBC", "kind": "limit", "color": "tab:red",
                        "linestyle": "dashdot", "level": LEVEL},
                       {"label": "SHiP", "kind": "sensitivity", "color": "tab:green",
                        "linestyle": "solid", "level": LEVEL}],
            "plot": plot.to_dict()}
    return FigureData(meta, contours, events)


def _axes(data: FigureData):
    ax = Figure().subplots()
    draw_panel(ax, data)
    return ax


def test_exported_edges_are_the_analytic_crossing():
    grid = _field()
    for i, mass in enumerate(MASSES):
        lower, upper = edges(COUPLINGS, grid[i], LEVEL)
        assert lower == pytest.approx(_edge(mass), rel=1e-12)
        assert upper == ">0.01"  # N keeps growing up to the top of the grid
    assert edges(COUPLINGS, np.zeros(COUPLINGS.size), LEVEL) is None


def test_recast_shading_ends_on_the_analytic_edge():
    ax = _axes(_data())
    patches = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert patches
    xy = np.vstack([p.get_path().vertices for p in patches])
    # every vertex of the shaded region lies inside N >= 3, and on the lower boundary it is
    # exactly the analytic edge (the grid's own masses are vertices of the boundary)
    assert np.all(xy[:, 1] >= _edge(xy[:, 0]) * (1 - 1e-9))
    for mass in MASSES:
        lowest = xy[np.isclose(xy[:, 0], mass, rtol=1e-12), 1].min()
        assert lowest == pytest.approx(_edge(mass), rel=1e-9)


def test_plot_options_take_effect():
    plot = PlotSpec(title="restyled", mass_range_GeV=(0.02, 0.5), coupling_range_GeVinv=(1e-7, 1e-3),
                    legend="lower left",
                    curves=(("SHiP", CurveStyle(color="black", linestyle="dashed", label="SHiP!")),
                            ("BEBC", CurveStyle(visible=False))))
    ax = _axes(_data(plot))
    assert ax.get_title() == "restyled"
    assert ax.get_xlim() == pytest.approx((0.02, 0.5)) and ax.get_ylim() == pytest.approx((1e-7, 1e-3))
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["SHiP!"]
    assert legend._loc == 3  # matplotlib's code for "lower left"
    line = ax.get_lines()[0]
    assert line.get_color() == "black" and line.get_linestyle() == "--"
    assert not ax.patches  # the hidden recast limit is not shaded either


def test_default_legend_is_outside_and_none_hides_it():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    ax = _axes(_data())
    FigureCanvasAgg(ax.figure).draw()
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["BEBC", "SHiP"]
    assert legend.get_window_extent().x0 > ax.get_window_extent().x1  # right of the axes
    assert _axes(_data(PlotSpec(legend="none"))).get_legend() is None


def test_band_rows_are_not_drawn_as_curves():
    data = _data()
    band = data.contours.with_columns(band=pl.lit("central"))
    shifted = band.with_columns(band=pl.lit("pessimistic"), coupling_GeVinv=pl.col("coupling_GeVinv") * 2)
    plain = _axes(data)
    with_band = _axes(FigureData(data.meta, pl.concat([band, shifted]), data.events))
    assert len(with_band.get_lines()) == len(plain.get_lines())
    for a, b in zip(plain.get_lines(), with_band.get_lines(), strict=True):
        np.testing.assert_array_equal(a.get_ydata(), b.get_ydata())


def test_band_shading_lies_between_the_optimistic_and_pessimistic_edges():
    data = _data()
    events = data.events.with_columns(n_events_pessimistic=pl.col("n_events") / 2,
                                      n_events_optimistic=pl.col("n_events") * 2)
    meta = dict(data.meta, curves=[{"label": "BEBC", "kind": "sensitivity", "color": "tab:red",
                                    "linestyle": "solid", "level": LEVEL, "band": True}])
    ax = _axes(FigureData(meta, data.contours, events))
    patches = [p for p in ax.patches if isinstance(p, PathPatch)]
    assert patches
    xy = np.vstack([p.get_path().vertices for p in patches])
    # N ~ d^4: the optimistic (2N) curve sits at 2^(-1/4) of the edge, the pessimistic at 2^(1/4);
    # the shading never leaves that strip (on this coarse grid it is narrower than a grid cell,
    # so where both neighbouring grid points lie outside the band it is not drawn at all)
    edge = _edge(xy[:, 0])
    assert np.all(xy[:, 1] >= 2 ** -0.25 * edge * (1 - 1e-9))
    assert np.all(xy[:, 1] <= 2 ** 0.25 * edge * (1 + 1e-9))


def test_a_region_in_several_pieces_is_one_patch_with_each_piece():
    from dipscan.plot.plotting import _fill

    ax = Figure().subplots()
    z = np.zeros((MASSES.size, COUPLINGS.size))
    z[1, 2] = z[5, 9] = 1.0  # two islands, apart on the grid
    _fill(ax, MASSES, COUPLINGS, z, 0.5, "tab:red", 0.2)
    assert len(ax.patches) == 1
    codes = ax.patches[0].get_path().codes
    assert np.count_nonzero(codes == MplPath.MOVETO) == 2 and codes[-1] == MplPath.CLOSEPOLY


def _count_draws(monkeypatch) -> list[str]:
    """Record every full draw of a figure, by the renderer class that made it."""
    drawn = []
    real = Figure.draw

    def counting(self, renderer):
        drawn.append(type(renderer).__name__)
        return real(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting)
    return drawn


def test_each_format_is_drawn_once(monkeypatch, tmp_path):
    drawn = _count_draws(monkeypatch)
    write_figure(_data(), [tmp_path / "plot.png", tmp_path / "plot.pdf"])
    assert drawn == ["RendererAgg", "MixedModeRenderer"]  # the PDF renderer is wrapped
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "plot.pdf").read_bytes()[:5] == b"%PDF-"


def test_the_background_import_leaves_the_figure_bytes_unchanged(monkeypatch, tmp_path):
    write_figure(_data(), [tmp_path / "a.png", tmp_path / "a.pdf"])
    monkeypatch.setattr(canvas, "_preloading", [])  # as in a fresh process
    canvas.preload()
    write_figure(_data(), [tmp_path / "b.png", tmp_path / "b.pdf"])  # waits for the import
    assert not canvas._preloading[0].is_alive()
    for ext in ("png", "pdf"):
        assert (tmp_path / f"a.{ext}").read_bytes() == (tmp_path / f"b.{ext}").read_bytes()
