"""The [plot] table and [[overlays.curve]] user curves: validation, errors, unit conversion."""

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import constants

from dipscan.config.plotspec import CurveStyle, PlotSpec
from dipscan.config.scenario import load_scenario
from dipscan.config.user_curves import COUPLING_UNITS
from dipscan.errors import DipscanError, ScenarioError

ROOT = Path(__file__).resolve().parents[1]
TINY = (ROOT / "scenarios" / "examples" / "tiny.toml").read_text()
TINY_NU = (ROOT / "scenarios" / "examples" / "tiny_nu.toml").read_text()


def _scenario(tmp_path: Path, extra: str, base: str = TINY) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(base + "\n" + extra)
    return path


def _curve_csv(tmp_path: Path, text: str = "mass,coupling\n0.1,1e-4\n0.2,2e-4\n") -> Path:
    path = tmp_path / "mine.csv"
    path.write_text(text)
    return path


# ----------------------------------------------------------------------------- [plot]


def test_plot_table_is_read_and_round_trips_through_json(tmp_path):
    scenario = load_scenario(_scenario(tmp_path, """
[plot]
title = "NA62 alone"
legend = "lower right"
mass_range_GeV = [0.05, 0.5]
coupling_range_GeVinv = [1e-7, 1e-3]

[plot.curve."NA62 1e18 POT"]
color = "#112233"
linestyle = "dashed"
label = "NA62"
"""))
    plot = scenario.plot
    assert plot.title == "NA62 alone" and plot.legend == "lower right"
    assert plot.mass_range_GeV == (0.05, 0.5) and plot.coupling_range_GeVinv == (1e-7, 1e-3)
    assert plot.style("NA62 1e18 POT") == CurveStyle("#112233", "dashed", True, "NA62")
    assert plot.style("not a curve") == CurveStyle()
    assert PlotSpec.from_dict(plot.to_dict()) == plot


def test_overlays_listed_in_plot_must_be_computed_by_the_scenario(tmp_path):
    scenario = load_scenario(_scenario(tmp_path, "[plot]\noverlays = ['literature']", TINY_NU))
    assert scenario.plot.overlays == ("literature",)
    with pytest.raises(ScenarioError, match="allowed: an array of distinct names from: 'literature'"):
        load_scenario(_scenario(tmp_path, "[plot]\noverlays = ['relic']", TINY_NU))


def test_literature_region_names_may_be_styled(tmp_path):
    scenario = load_scenario(_scenario(tmp_path, "[plot.curve.LEP]\nvisible = false", TINY_NU))
    assert scenario.plot.style("LEP").visible is False


# ----------------------------------------------------------------------------- user curves


def test_mu_B_conversion_is_the_analytic_relation(tmp_path):
    """mu = 2 d and mu_B = e / (2 m_e) (Heaviside-Lorentz, e = sqrt(4 pi alpha)): 1 mu_B is
    d = e / (4 m_e) GeV^-1, computed here from CODATA values independently of dipscan."""
    e = math.sqrt(4 * math.pi * constants.fine_structure)
    m_e_GeV = constants.physical_constants["electron mass energy equivalent in MeV"][0] * 1e-3
    mu_B_GeVinv = e / (2 * m_e_GeV)
    assert COUPLING_UNITS["mu_B"] == pytest.approx(mu_B_GeVinv / 2, rel=1e-8)
    assert COUPLING_UNITS["mu_B"] == pytest.approx(148.15, abs=0.01)  # docs/physics.md
    _curve_csv(tmp_path, "M [MeV],mu\n150,1e-9\n300,2e-9\n")
    scenario = load_scenario(_scenario(tmp_path, """
[[overlays.curve]]
file = "mine.csv"
label = "my magnetic moment bound"
mass_column = "M [MeV]"
mass_unit = "MeV"
coupling_column = "mu"
coupling_unit = "mu_B"
""", TINY_NU))
    curve = scenario.overlays.curves[0]
    np.testing.assert_allclose(curve.mass_GeV, [0.15, 0.3], rtol=1e-15)
    np.testing.assert_allclose(curve.coupling_GeVinv, np.array([1e-9, 2e-9]) * mu_B_GeVinv / 2,
                               rtol=1e-8)
    assert scenario.overlays.kinds() == ["literature", "curves"]


def test_user_curve_changes_the_scenario_digest(tmp_path):
    csv = _curve_csv(tmp_path)
    path = _scenario(tmp_path, '[[overlays.curve]]\nfile = "mine.csv"')
    first = load_scenario(path).digest
    csv.write_text("mass,coupling\n0.1,1e-4\n0.2,3e-4\n")
    assert load_scenario(path).digest != first


@pytest.mark.parametrize(("csv_text", "extra", "expected"), [
    (None, 'file = "absent.csv"', "overlays.curve[0].file: found 'absent.csv'; allowed: an existing CSV"),
    ("mass,coupling\n0.1,1e-4\n0.2,2e-4\n", 'file = "mine.csv"\ncoupling_column = "d"',
     "mine.csv: no column 'd' (set by overlays.curve[0].coupling_column); allowed: one of the "
     "file's columns 'mass', 'coupling'"),
    ("mass,coupling\n0.1,1e-4\n0.2,2e-4\n", 'file = "mine.csv"\nmass_unit = "keV"',
     "overlays.curve[0].mass_unit: found 'keV'; allowed: one of: 'GeV', 'MeV'"),
    ("mass,coupling\n0.1,1e-4\n0.2,2e-4\n", 'file = "mine.csv"\ncoupling_unit = "mu_B"',
     "overlays.curve[0].coupling_unit: found 'mu_B'; allowed: 'GeV^-1' (a magnetic moment"),
    ("mass,coupling\n0.1,1e-4\n0.2,abc\n", 'file = "mine.csv"',
     "mine.csv: column 'coupling' holds values that are not numbers"),
    ("mass,coupling\n0.1,1e-4\n-0.2,2e-4\n", 'file = "mine.csv"',
     "mine.csv: column 'mass', data row 2: found -0.2; allowed: a finite number > 0"),
    ("mass,coupling\n0.1,1e-4\n", 'file = "mine.csv"', "mine.csv: 1 data row(s); allowed: at least 2"),
    ("mass,coupling\n0.1,1e-4\n0.2,2e-4\n", 'file = "mine.csv"\nlabel = "NA62 1e18 POT"',
     "overlays.curve[0].label: found 'NA62 1e18 POT'; allowed: a label no experiment uses"),
    ("mass,coupling\n0.1,1e-4\n0.2,2e-4\n", 'file = "mine.csv"\nunits = "GeV"',
     "overlays.curve[0].units: found unknown key 'units'"),
])
def test_user_curve_mistakes_are_one_line(tmp_path, csv_text, extra, expected):
    if csv_text is not None:
        _curve_csv(tmp_path, csv_text)
    path = _scenario(tmp_path, "[[overlays.curve]]\n" + extra)
    with pytest.raises(DipscanError) as err:
        load_scenario(path)
    assert expected in str(err.value) and "\n" not in str(err.value)
    assert str(tmp_path) in str(err.value)  # the file is named with its folder


def test_user_curves_are_never_written(tmp_path):
    csv = _curve_csv(tmp_path)
    before = (csv.read_bytes(), csv.stat().st_mtime_ns)
    load_scenario(_scenario(tmp_path, '[[overlays.curve]]\nfile = "mine.csv"'))
    assert (csv.read_bytes(), csv.stat().st_mtime_ns) == before
