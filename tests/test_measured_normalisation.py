"""Species tied to measurements when the tables are read: the identity, the hash, the errors."""

import numpy as np
import polars as pl
import pytest
from particle import Particle
from test_production_beams import BASE, _write, home  # noqa: F401  (fixture)

from dipscan.cli.tables_report import report_table
from dipscan.errors import ScenarioError
from dipscan.production.beams import load_beam
from dipscan.production.normalise import measured_scale, rapidity, window_weight
from dipscan.production.tables import load_meson_samples

MEASURED = """
[normalisation.inelastic]
sigma_mb = 80.0
source = "test"
[[normalisation.measured]]
species = "pi0"
sigma_ub = 1000.0
y_min = 2.0
y_max = 4.5
relative_uncertainty = 0.1
source = "test measurement"
"""


def test_rapidity_of_a_massless_particle_is_its_pseudorapidity():
    theta = np.array([0.01, 0.3, 1.0, 2.5])
    np.testing.assert_allclose(rapidity(np.full(4, 1e6), theta, 0.0), -np.log(np.tan(theta / 2)),
                               rtol=1e-9)


def test_window_weight_and_scale():
    p, theta, w = np.array([10.0, 10.0, 10.0]), np.array([0.05, 0.2, 2.0]), np.array([1.0, 2.0, 4.0])
    # y of a 10 GeV pion at 50 mrad is about 3.7 (inside 2 < y < 4.5), at 200 mrad about 2.3
    assert window_weight(p, theta, w, 0.135, 2.0, 4.5, np.inf) == 3.0
    assert window_weight(p, theta, w, 0.135, 2.0, 4.5, 1.0) == 1.0  # pT of the second is 2 GeV
    assert measured_scale(3.0, 1.5) == 0.5
    with pytest.raises(ValueError):
        measured_scale(0.0, 1.0)


def test_committed_lhc14_quarkonia_match_the_measured_window_exactly(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)
    beam = load_beam("lhc14")
    for pdgid in (443, 553):
        measured = beam.measured_for(pdgid)
        df = load_meson_samples("lhc14", [pdgid])
        inside = window_weight(df["p_GeV"].to_numpy(), df["theta_rad"].to_numpy(),
                               df["weight"].to_numpy(), Particle.from_pdgid(pdgid).mass / 1e3,
                               measured.y_min, measured.y_max, measured.pt_max_GeV)
        # weight inside LHCb's window per inelastic collision = sigma x energy factor / sigma_inel
        assert inside == pytest.approx(measured.sigma_ub * 1e-3 * measured.energy_factor
                                       / beam.sigma_inel_mb, rel=1e-12)
    report = report_table("lhc14")
    jpsi = report.row(by_predicate=pl.col("pdgid") == 443, named=True)
    assert jpsi["normalisation"] == "measured" and "LHCb" in jpsi["source"]
    assert jpsi["scale"] == pytest.approx(jpsi["multiplicity"] / jpsi["pythia_multiplicity"])
    pi0 = report.row(by_predicate=pl.col("pdgid") == 111, named=True)
    assert pi0["normalisation"] == "pythia" and pi0["scale"] == pytest.approx(1.0)


def test_sps400_is_untouched_and_keeps_table_1(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)
    beam = load_beam("sps400")
    assert beam.measured == ()
    report = report_table("sps400")
    assert set(report["normalisation"]) == {"paper"}
    rho = report.row(by_predicate=pl.col("pdgid") == 113, named=True)
    assert rho["multiplicity"] == pytest.approx(0.58, rel=1e-9)


def test_measured_normalisation_does_not_change_the_table_hash(home):  # noqa: F811
    _write(home, BASE)
    plain = load_beam("b").config_hash()
    _write(home, BASE.replace('feed_down = "inclusive"', 'feed_down = "inclusive"' + MEASURED))
    beam = load_beam("b")
    assert beam.config_hash() == plain
    assert beam.measured_for(111).sigma_ub == 1000.0 and beam.sigma_inel_mb == 80.0


@pytest.mark.parametrize("old, new, key", [
    ('species = "pi0"', 'species = "pion"', "normalisation.measured[0].species"),
    ("y_max = 4.5", "y_max = 1.0", "normalisation.measured[0].y_max"),
    ("sigma_ub = 1000.0", "sigma_ub = -1.0", "normalisation.measured[0].sigma_ub"),
    ('source = "test measurement"', "", "normalisation.measured[0].source"),
    ("sigma_mb = 80.0", "sigma_mb = 0", "normalisation.inelastic.sigma_mb"),
    ("y_min = 2.0", "y_min = 2.0\ny = 3", "normalisation.measured[0].y"),
])
def test_bad_measured_normalisation_names_the_key(home, old, new, key):  # noqa: F811
    _write(home, BASE.replace('feed_down = "inclusive"',
                              'feed_down = "inclusive"' + MEASURED.replace(old, new, 1)))
    with pytest.raises(ScenarioError) as info:
        load_beam("b")
    assert info.value.key == key


@pytest.mark.parametrize("text, key", [
    ("[uncertainties.normalisation]\npion = { relative = 0.1, source = 's' }\n",
     "uncertainties.normalisation.pion"),
    ("[uncertainties.normalisation]\npi0 = { relative = 0.1 }\n",
     "uncertainties.normalisation.pi0.source"),
    ("[uncertainties]\na_exponent = { sigma = -0.1, source = 's' }\n", "uncertainties.a_exponent.sigma"),
    ("[uncertainties]\nmc_statistic = true\n", "uncertainties.mc_statistic"),
])
def test_bad_beam_uncertainties_name_the_file_and_key(home, text, key):  # noqa: F811
    from dipscan.config.uncertainties import _beam_defaults

    _write(home, BASE + text)
    with pytest.raises(ScenarioError) as info:
        _beam_defaults("b")
    assert info.value.key == key and info.value.file.endswith("b.toml")
    _write(home, BASE + "[uncertainties.normalisation]\npi0 = { relative = 0.1, source = 's' }\n")
    assert _beam_defaults("b")[1] == {"pi0": (0.1, "s")}


def test_a_window_without_rows_is_one_table_error(home):  # noqa: F811
    from dipscan.errors import TableError
    from dipscan.production.tables import data_normalisation

    _write(home, BASE.replace('feed_down = "inclusive"', 'feed_down = "inclusive"' + MEASURED))
    beam = load_beam("b")
    backward = pl.DataFrame({"pdg_id": [111], "p_GeV": [10.0], "theta_rad": [3.0],
                             "weight": [4.3]})
    with pytest.raises(TableError, match="no rows inside the measured window 2.0 < y < 4.5"):
        data_normalisation(beam, 111, backward)
    forward = backward.with_columns(theta_rad=pl.lit(0.05))
    # 1000 ub / 80 mb in the window, all of the 4.3 inside it
    assert data_normalisation(beam, 111, forward) == pytest.approx(1000e-3 / 80.0 / 4.3)
