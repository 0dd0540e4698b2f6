"""Scenario and preset loading: every error names file, key path, found value and what is allowed."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import dipscan.physics.models
from dipscan.config.scenario import (
    Exposure,
    list_presets,
    list_scenarios,
    load_experiment_preset,
    load_scenario,
    scenarios_dir,
)
from dipscan.errors import ScenarioError

REPO_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BEAMS = ("sps400", "sps450", "u70", "lhc14", "lbnf120")
PRESETS = ("bebc", "charm2", "dune_nd", "faser2", "hike", "na62", "nucal", "ship")

BASE = """\
[scenario]
title = "test study"
seed = 3

[model]
kind = "dark_dipole"
delta = 0.01

[grid.mass]
min = 0.01
max = 5.0
points = 8
spacing = "log"

[grid.coupling]
min = 1e-8
max = 1e-1
points = 6

[[experiment]]
preset = "na62"

[[experiment]]
preset = "na62"
label = "NA62 low"
pot = 1e17
photon_threshold_GeV = 1.0

[output]
n_events = 3.0
formats = ["parquet", "csv"]
"""


@pytest.fixture
def home(make_home):
    """A private DIPSCAN_HOME: copies of the committed presets, stand-in beam files."""
    root = make_home("experiments", "limits")
    (root / "scenarios" / "beams").mkdir()
    for beam in BEAMS:
        (root / "scenarios" / "beams" / f"{beam}.toml").write_text(f'# stand-in for {beam}\n')
    return root / "scenarios"


@pytest.fixture
def neutrino_kind(monkeypatch):
    """The neutrino dipole registered in dipscan.physics.models (the reader takes the kinds from there)."""
    kinds = tuple(getattr(dipscan.physics.models, "MODEL_KINDS", ()))
    monkeypatch.setattr(dipscan.physics.models, "MODEL_KINDS", (*kinds, "neutrino_dipole"), raising=False)


def write(tmp_path: Path, text: str, name: str = "study.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old  # the edit must really change the file
    return text.replace(old, new, 1)


def scenario_error(path: Path, key: str, found: str, allowed: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    message = str(err)
    assert str(path) in message and err.file == str(path)
    assert f": {key}: " in message and err.key == key
    assert f"found {found}" in message
    assert allowed in message.split("allowed:", 1)[1]
    return err


# --------------------------------------------------------------------------- valid loads
def test_base_scenario_loads(home, tmp_path):
    s = load_scenario(write(tmp_path, BASE))
    assert s.name == "study" and s.title == "test study" and s.seed == 3
    assert s.model.kind == "dark_dipole" and s.model.params == {"delta": 0.01}
    assert (s.mass_grid.min, s.mass_grid.max, s.mass_grid.points) == (0.01, 5.0, 8)
    assert s.coupling_grid.spacing == "log"
    assert s.llp_samples_max == 200_000
    assert s.output.formats == ("parquet", "csv") and s.output.n_events == 3.0
    assert [e.label for e in s.experiments] == ["NA62 1e18 POT", "NA62 low"]
    assert len(s.digest) == 64


def test_defaults_when_optional_tables_are_absent(home, tmp_path, neutrino_kind):
    text = BASE.split("[grid.mass]")[1]
    text = '[model]\nkind = "neutrino_dipole"\nflavour = "tau"\n[grid.mass]' + text
    text = text.split("[output]")[0]
    s = load_scenario(write(tmp_path, text, "bare.toml"))
    assert s.title == "bare" and s.seed == 1
    assert s.model.params == {"flavour": "tau"}
    assert s.output.n_events == 3.0 and s.output.formats == ("parquet", "csv", "png", "pdf")


@pytest.fixture
def repo_home(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)
    assert scenarios_dir() == REPO_SCENARIOS


@pytest.mark.parametrize("path", sorted(REPO_SCENARIOS.glob("*.toml")) + [REPO_SCENARIOS / "examples" / "tiny.toml"],
                         ids=lambda p: p.stem)
def test_every_committed_scenario_loads(repo_home, path):
    s = load_scenario(path)
    assert s.experiments and s.mass_grid.points >= 2
    assert len({e.label for e in s.experiments}) == len(s.experiments)


@pytest.mark.parametrize("name", PRESETS)
def test_every_committed_preset_loads(repo_home, name):
    spec = load_experiment_preset(name)
    assert spec.preset == name and spec.exposure.n_collisions() > 0
    assert spec.geometry.l_end_m > spec.geometry.l_start_m > 0
    assert spec.geometry.mode in ("paper", "photon", "volume")


def test_committed_lists(repo_home):
    assert set(PRESETS) <= set(list_presets())
    names = [p.stem for p in list_scenarios()]
    assert {"na62_delta0p01", "na62_delta0p1", "na62_delta0p005"} <= set(names)
    assert "tiny" not in names  # examples are not studies


def test_spine_matches_figure_2(repo_home):
    s = load_scenario(REPO_SCENARIOS / "na62_delta0p01.toml")
    assert s.model.params["delta"] == 0.01
    assert (s.mass_grid.min, s.mass_grid.max) == (0.01, 6.0)
    assert (s.coupling_grid.min, s.coupling_grid.max, s.coupling_grid.spacing) == (1e-8, 1e-1, "log")
    by_pot = {e.exposure.pot: e for e in s.experiments}
    assert by_pot[1e18].linestyle == "solid" and by_pot[1e17].linestyle == "dotted"
    assert all(e.photon_threshold_GeV == 1.0 for e in s.experiments)


def test_figure_studies(repo_home):
    for delta in ("0p1", "0p01", "0p005"):
        fig2 = load_scenario(REPO_SCENARIOS / f"fig2_delta{delta}.toml")
        assert {e.preset for e in fig2.experiments} == set(PRESETS) - {"dune_nd"}
        assert {e.preset for e in fig2.experiments if e.statistics} == {"bebc", "charm2", "nucal"}
        fig3 = load_scenario(REPO_SCENARIOS / f"fig3_delta{delta}.toml")
        assert "hike" not in {e.preset for e in fig3.experiments}  # figure 3 caption
        styles = {(e.photon_threshold_GeV, e.linestyle) for e in fig3.experiments if e.preset == "ship"}
        assert styles == {(0.5, "dashed"), (1.0, "solid"), (2.0, "dotted")}


def test_paper_numbers_in_presets(repo_home):
    na62 = load_experiment_preset("na62")
    assert (na62.geometry.l_start_m, na62.geometry.l_end_m) == (79.0, 217.0)
    # theta_max = arctan(1.2 / 217) as in sec. 3
    assert na62.geometry.theta_max_rad == pytest.approx(math.atan(1.2 / 217.0), rel=0.01)
    faser = load_experiment_preset("faser2")
    assert faser.geometry.theta_max_rad == pytest.approx(math.atan(1.0 / 640.0), rel=0.03)
    # sigma_inel * L = 79.5 mb * 3 ab^-1 = 79.5e-27 cm^2 * 3e42 cm^-2
    assert faser.exposure.n_collisions() == pytest.approx(79.5e-27 * 3e42)
    assert faser.label == "FASER 2 3 ab^-1"
    charm = load_experiment_preset("charm2")
    assert (charm.photon_threshold_GeV, charm.photon_max_GeV) == (3.0, 24.0)
    nucal = load_experiment_preset("nucal")
    assert nucal.efficiency == 0.7 and nucal.geometry.volume.radius_m == 1.3
    assert nucal.statistics.observed == 5 and nucal.statistics.background == 3.5
    assert load_experiment_preset("ship").geometry.shape == "frustum"
    assert load_experiment_preset("hike").exposure.pot == 5e19


# --------------------------------------------------------------------------- small pieces
def test_grid_values():
    from dipscan.config.scenario import Grid

    log = Grid(1e-3, 10.0, 5, "log").values()
    assert log[0] == pytest.approx(1e-3) and log[-1] == pytest.approx(10.0)
    np.testing.assert_allclose(log[1:] / log[:-1], 10.0)
    lin = Grid(1.0, 3.0, 5, "linear").values()
    np.testing.assert_allclose(np.diff(lin), 0.5)


def test_exposure_describe_and_count():
    assert Exposure("pot", pot=1e18).describe() == "1e18 POT"
    assert Exposure("pot", pot=2.72e18).describe() == "2.72e18 POT"
    assert Exposure("collider", sigma_inel_mb=79.5, luminosity_invfb=3000).describe() == "3 ab^-1"
    assert Exposure("collider", sigma_inel_mb=79.5, luminosity_invfb=150).describe() == "150 fb^-1"
    assert Exposure("collider", sigma_inel_mb=2.0, luminosity_invfb=5.0).n_collisions() == pytest.approx(1e13)


def test_model_params_are_read_only(home, tmp_path):
    s = load_scenario(write(tmp_path, BASE))
    with pytest.raises(TypeError):
        s.model.params["delta"] = 1.0


def test_loading_writes_nothing(home, tmp_path):
    path = write(tmp_path, BASE)
    before = sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*"))
    load_scenario(path)
    assert sorted((p, p.stat().st_mtime_ns) for p in tmp_path.rglob("*")) == before


# --------------------------------------------------------------------------- overrides
def test_overrides_applied(home, tmp_path):
    text = BASE + """
[[experiment]]
preset = "faser2"
luminosity_invfb = 300
photon_threshold_GeV = 0.5
geometry_mode = "photon"
color = "C3"
linestyle = "dashdot"
"""
    s = load_scenario(write(tmp_path, text))
    default, low, faser = s.experiments
    assert default.exposure.pot == 1e18 and default.linestyle == "solid" and default.color == "tab:blue"
    assert low.exposure.pot == 1e17 and low.label == "NA62 low"
    assert faser.exposure.luminosity_invfb == 300 and faser.exposure.sigma_inel_mb == 79.5
    assert faser.label == "FASER 2 300 fb^-1"  # default label follows the overridden exposure
    assert faser.photon_threshold_GeV == 0.5 and faser.geometry.mode == "photon"
    assert (faser.color, faser.linestyle) == ("C3", "dashdot")
    assert load_experiment_preset("faser2").geometry.mode == "paper"  # the preset is untouched


# --------------------------------------------------------------------------- scenario errors


def test_integer_where_float_expected_is_fine(home, tmp_path):
    s = load_scenario(write(tmp_path, edit(BASE, "max = 5.0", "max = 5")))
    assert s.mass_grid.max == 5.0 and isinstance(s.mass_grid.max, float)


def test_model_kind_not_registered_in_models(home, tmp_path, monkeypatch):
    monkeypatch.setattr(dipscan.physics.models, "MODEL_KINDS", ("dark_dipole",), raising=False)
    text = edit(BASE, 'kind = "dark_dipole"\ndelta = 0.01', 'kind = "neutrino_dipole"\nflavour = "mu"')
    scenario_error(write(tmp_path, text), "model.kind", "'neutrino_dipole'", "one of: 'dark_dipole'")


# --------------------------------------------------------------------------- preset errors


def test_preset_error_reached_from_scenario_names_the_preset(home, tmp_path):
    preset = home / "experiments" / "na62.toml"
    preset.write_text(edit(preset.read_text(), "photon_threshold_GeV = 1.0", "photon_threshold_GeV = -2"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, BASE))
    assert info.value.file == str(preset) and info.value.key == "selection.photon_threshold_GeV"


# --------------------------------------------------------------------------- digest
def test_digest_is_stable_and_tracks_every_input(home, tmp_path):
    path = write(tmp_path, BASE)
    first = load_scenario(path).digest
    assert load_scenario(path).digest == first

    preset = home / "experiments" / "na62.toml"
    preset.write_text(preset.read_text() + "\n# a comment changes the bytes\n")
    after_preset = load_scenario(path).digest
    assert after_preset != first

    beam = home / "beams" / "sps400.toml"
    beam.write_text(beam.read_text() + "# changed\n")
    after_beam = load_scenario(path).digest
    assert after_beam != after_preset

    unused = home / "experiments" / "ship.toml"
    unused.write_text(unused.read_text() + "# not used by this study\n")
    assert load_scenario(path).digest == after_beam

    path.write_text(BASE + "\n")
    assert load_scenario(path).digest != after_beam


def test_overlays_are_read_and_checked_against_the_model(home, tmp_path):
    ok = load_scenario(write(tmp_path, BASE + "\n[overlays]\nbabar = true\nrelic = true\n"))
    assert ok.overlays.babar and ok.overlays.relic and not ok.overlays.literature
    wrong_model = write(tmp_path, BASE + "\n[overlays]\nliterature = true\n", "wrong.toml")
    scenario_error(wrong_model, "overlays.literature", "True", "model kind 'neutrino_dipole'")
    not_bool = write(tmp_path, BASE + '\n[overlays]\nbabar = "yes"\n', "notbool.toml")
    scenario_error(not_bool, "overlays.babar", "'yes'", "true, false, or recast names of scenarios/limits/: babar")
    unknown = write(tmp_path, BASE + "\n[overlays]\nlep = true\n", "unknown.toml")
    scenario_error(unknown, "overlays.lep", "unknown key 'lep'", "babar, relic, literature")


@pytest.fixture
def toy_kind(monkeypatch):
    """A model registered for the test only: a number and a choice among its parameters."""
    from dipscan.physics.models import Param
    from dipscan.physics.models.registry import REGISTRY

    class Toy:
        KIND = "toy"
        PARAMS = (Param("strength", "a number > 1", gt=1.0), Param("shape", "a choice", choices=("a", "b")))

    monkeypatch.setitem(REGISTRY, "toy", Toy)
    monkeypatch.setattr(dipscan.physics.models, "MODEL_KINDS", (*dipscan.physics.models.MODEL_KINDS, "toy"))


def test_a_registered_model_declares_the_keys_the_reader_checks(home, tmp_path, toy_kind):
    toy = 'kind = "toy"\nstrength = 2\nshape = "b"'
    s = load_scenario(write(tmp_path, edit(BASE, 'kind = "dark_dipole"\ndelta = 0.01', toy)))
    assert s.model.kind == "toy" and dict(s.model.params) == {"strength": 2.0, "shape": "b"}
    path = write(tmp_path, edit(BASE, 'kind = "dark_dipole"\ndelta = 0.01', toy.replace("2", "1")))
    scenario_error(path, "model.strength", "1", "a finite number > 1")
    path = write(tmp_path, edit(BASE, 'kind = "dark_dipole"\ndelta = 0.01', toy + "\nshap = 1"))
    scenario_error(path, "model.shap", "unknown key 'shap'", "keys for kind 'toy': kind, strength, shape")


def test_one_home_for_every_file_kind(tmp_path, monkeypatch):
    """DIPSCAN_HOME is read in one place, `~` expanded, for scenarios, presets, beams and tables."""
    from dipscan.config.presets import experiments_dir, scenarios_dir
    from dipscan.io.paths import beams_dir, default_tables_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DIPSCAN_HOME", "~/dipscan-home")
    home = tmp_path / "dipscan-home"
    assert scenarios_dir() == home / "scenarios"
    assert experiments_dir() == home / "scenarios" / "experiments"
    assert beams_dir() == home / "scenarios" / "beams"
    assert default_tables_dir() == home / "tables"
