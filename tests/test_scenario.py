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


def preset_error(home: Path, preset: str, old: str, new: str, key: str, found: str, allowed: str) -> None:
    """Edit a preset of the private home, load a scenario using it: the error names the preset file."""
    path = home / "experiments" / f"{preset}.toml"
    path.write_text(edit(path.read_text(), old, new))
    with pytest.raises(ScenarioError) as info:
        load_experiment_preset(preset)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: found {found}"), message
    assert allowed in message.split("allowed:", 1)[1]


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


@pytest.mark.parametrize("value", ["0.0", "-0.5"])
def test_mass_must_be_positive(home, tmp_path, value):
    path = write(tmp_path, edit(BASE, "min = 0.01", f"min = {value}"))
    scenario_error(path, "grid.mass.min", value, "a finite number > 0")


def test_missing_grid(home, tmp_path):
    text = BASE.split("[grid.coupling]")[0] + "[[experiment]]" + BASE.split("[[experiment]]", 1)[1]
    scenario_error(write(tmp_path, text), "grid.coupling", "nothing (the key is missing)", "a table [grid.coupling]")


def test_experiment_as_single_table(home, tmp_path):
    text = BASE.split("[[experiment]]")[0] + '[experiment]\npreset = "na62"\n'
    scenario_error(write(tmp_path, text), "experiment", "a single table [experiment]", "[[experiment]] tables")


def test_no_experiment(home, tmp_path):
    text = BASE.split("[[experiment]]")[0]
    scenario_error(write(tmp_path, text), "experiment", "nothing (the key is missing)", "one or more [[experiment]]")


def test_delta_not_allowed_for_neutrino_dipole(home, tmp_path, neutrino_kind):
    path = write(tmp_path, edit(BASE, 'kind = "dark_dipole"', 'kind = "neutrino_dipole"\nflavour = "e"'))
    scenario_error(path, "model.delta", "unknown key 'delta'", "for kind 'neutrino_dipole': kind, flavour")


def test_bad_flavour(home, tmp_path, neutrino_kind):
    text = edit(BASE, 'kind = "dark_dipole"\ndelta = 0.01', 'kind = "neutrino_dipole"\nflavour = "muon"')
    scenario_error(write(tmp_path, text), "model.flavour", "'muon'", "'e', 'mu', 'tau'")


def test_model_kind_not_registered_in_models(home, tmp_path, monkeypatch):
    monkeypatch.setattr(dipscan.physics.models, "MODEL_KINDS", ("dark_dipole",), raising=False)
    text = edit(BASE, 'kind = "dark_dipole"\ndelta = 0.01', 'kind = "neutrino_dipole"\nflavour = "mu"')
    scenario_error(write(tmp_path, text), "model.kind", "'neutrino_dipole'", "one of: 'dark_dipole'")


def test_unknown_model_kind_is_rejected(home, tmp_path):
    text = edit(BASE, 'kind = "dark_dipole"\ndelta = 0.01', 'kind = "toy"\nstrength = 2')
    scenario_error(write(tmp_path, text), "model.kind", "'toy'",
                   "one of: " + ", ".join(repr(k) for k in dipscan.physics.models.MODEL_KINDS))


def test_malformed_toml(home, tmp_path):
    path = write(tmp_path, edit(BASE, "points = 8", "points = = 8"))
    err = scenario_error(path, "line 12, column 10", "a TOML syntax error", "valid TOML")
    assert "line 12" in err.key


def test_missing_file(home, tmp_path):
    path = tmp_path / "nope.toml"
    with pytest.raises(ScenarioError, match="nope.toml: found no such file; allowed: an existing .toml file"):
        load_scenario(path)


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


# --------------------------------------------------------------------------- the error table
# Every mistake in a scenario file: (text of the file, key, what was found, what is allowed).
SCENARIO_ERRORS = [
    pytest.param(edit(BASE, '[[experiment]]\npreset = "na62"\n\n',
                  '[[experiment]]\npreset = "faser2"\npot = 1e18\n\n'),
                 "experiment[0].pot", "1e+18",
                 "collider preset 'faser2': use luminosity_invfb", id='override_pot_on_collider_preset'),
    pytest.param(edit(BASE, "photon_threshold_GeV = 1.0", "photon_threshold_GeV = -1.0"),
                 "experiment[1].photon_threshold_GeV", "-1.0",
                 ">= 0", id='override_threshold_negative'),
    pytest.param(BASE + '[[experiment]]\npreset = "charm2"\nphoton_threshold_GeV = 30\n',
                 "experiment[2].photon_threshold_GeV", "30.0",
                 "< 24", id='override_threshold_above_window'),
    pytest.param(BASE + '[[experiment]]\npreset = "ship"\ngeometry_mode = "exact"\n',
                 "experiment[2].geometry_mode", "'exact'",
                 "'paper', 'photon', 'volume'", id='override_geometry_mode_unknown'),
    pytest.param(edit(BASE, "pot = 1e17", "pots = 1e17"),
                 "experiment[1].pots", "unknown key 'pots'",
                 "did you mean 'pot'?", id='override_unknown_key'),
    pytest.param(edit(BASE, "pot = 1e17", 'pot = 1e17\ncolor = "not-a-colour"'),
                 "experiment[1].color", "'not-a-colour'",
                 "matplotlib colour", id='bad_colour'),
    pytest.param(edit(BASE, "points = 8", "pionts = 8"),
                 "grid.mass.pionts", "unknown key 'pionts'",
                 "min, max, points, spacing", id='unknown_key'),
    pytest.param(BASE + "\n[plots]\nx = 1\n",
                 "plots", "unknown key 'plots'",
                 "scenario, model, grid, sampling, experiment, output", id='unknown_top_level_table'),
    pytest.param(edit(BASE, "points = 8", "points = 8.0"),
                 "grid.mass.points", "8.0",
                 "an integer >= 2", id='wrong_type_float_for_integer'),
    pytest.param(edit(BASE, "max = 5.0", 'max = "5"'),
                 "grid.mass.max", "'5'",
                 "a finite number > 0.01", id='wrong_type_string_for_number'),
    pytest.param(edit(BASE, "delta = 0.01", "delta = true"),
                 "model.delta", "True",
                 "a finite number > 0", id='bool_is_not_a_number'),
    pytest.param(edit(BASE, "seed = 3", "seed = false"),
                 "scenario.seed", "False",
                 "an integer >= 0", id='bool_is_not_an_integer'),
    pytest.param(edit(BASE, "min = 1e-8", "min = nan"),
                 "grid.coupling.min", "nan",
                 "a finite number > 0", id='nan_rejected'),
    pytest.param(edit(BASE, "points = 6", "points = 1"),
                 "grid.coupling.points", "1",
                 "an integer >= 2", id='empty_grid'),
    pytest.param(edit(BASE, "max = 1e-1", "max = 1e-9"),
                 "grid.coupling.max", "1e-09",
                 "> 1e-08", id='min_above_max'),
    pytest.param(edit(BASE, 'spacing = "log"', 'spacing = "logarithmic"'),
                 "grid.mass.spacing", "'logarithmic'",
                 "'log', 'linear'", id='bad_spacing'),
    pytest.param(edit(BASE, 'preset = "na62"\nlabel', 'preset = "na63"\nlabel'),
                 "experiment[1].preset", "'na63'",
                 "bebc, charm2, dune_nd, faser2, hike, na62, nucal, ship", id='unknown_experiment_preset'),
    pytest.param(edit(BASE, 'preset = "na62"\nlabel', 'preset = "../experiments/na62"\nlabel'),
                 "experiment[1].preset", "'../experiments/na62'",
                 "a preset of scenarios/experiments/", id='preset_name_cannot_leave_the_folder'),
    pytest.param(edit(BASE, 'kind = "dark_dipole"', 'kind = "axion"'),
                 "model.kind", "'axion'",
                 "one of: 'dark_dipole'", id='unknown_model_kind'),
    pytest.param(edit(BASE, "delta = 0.01\n", ""),
                 "model.delta", "nothing (the key is missing)",
                 "a finite number > 0", id='missing_delta'),
    pytest.param(edit(BASE, 'label = "NA62 low"', 'label = "NA62 1e18 POT"'),
                 "experiment[1].label", "'NA62 1e18 POT'",
                 "a label not used by experiment[0]", id='duplicate_labels'),
    pytest.param(edit(BASE, '"parquet", "csv"', '"parquet", "svg"'),
                 "output.formats[1]", "'svg'",
                 "'parquet', 'csv', 'png', 'pdf'", id='bad_format'),
    pytest.param(edit(BASE, '"parquet", "csv"', '"csv", "csv"'),
                 "output.formats[1]", "'csv'",
                 "distinct values", id='repeated_format'),
    pytest.param(BASE + "[sampling]\nllp_samples_max = 10\n",
                 "sampling.llp_samples_max", "10",
                 "an integer >= 1000", id='samples_cap_too_small'),
    pytest.param(edit(BASE, "n_events = 3.0", "n_events = 0"),
                 "output.n_events", "0.0",
                 "> 0", id='contour_level_positive'),
]


@pytest.mark.parametrize(("text", "key", "found", "allowed"), SCENARIO_ERRORS)
def test_scenario_error(home, tmp_path, text, key, found, allowed):
    scenario_error(write(tmp_path, text), key, found, allowed)


# Every mistake in an experiment preset: (preset, text replaced, replacement, key, found, allowed).
PRESET_ERRORS = [
    pytest.param("na62", 'beam = "sps400"', 'beam = "sps401"',
                 "beam", "'sps401'",
                 "lbnf120, lhc14, sps400, sps450, u70", id='preset_unknown_beam'),
    pytest.param("bebc", "efficiency = 1.0", "eficiency = 1.0",
                 "selection.eficiency", "unknown key 'eficiency'",
                 "did you mean 'efficiency'?", id='preset_unknown_key'),
    pytest.param("bebc", "height_m = 2.52\n", "",
                 "geometry.height_m", "nothing (the key is missing)",
                 "a finite number > 0", id='preset_shape_keys_missing'),
    pytest.param("nucal", "radius_m = 1.3", "radius_m = 1.3\nwidth_m = 2.0",
                 "geometry.width_m", "key 'width_m' of shape 'box'",
                 "for shape 'cylinder' the keys radius_m", id='preset_key_of_other_shape'),
    pytest.param("na62", "l_end_m = 217.0", "l_end_m = 70.0",
                 "geometry.l_end_m", "70.0",
                 "> 79", id='preset_decay_region_order'),
    pytest.param("ship", "theta_max_rad = 2.8e-2", "theta_max_rad = 2.0",
                 "geometry.theta_max_rad", "2.0",
                 "< 1.5708", id='preset_theta_max_range'),
    pytest.param("nucal", 'shape = "cylinder"', 'shape = "sphere"',
                 "geometry.shape", "'sphere'",
                 "'cone', 'cylinder', 'box', 'frustum'", id='preset_unknown_shape'),
    pytest.param("faser2", "calorimeter_radius_m = 1.0\n", "",
                 "geometry.calorimeter_radius_m", "nothing (the key is missing)",
                 "together, or neither", id='preset_calorimeter_keys_together'),
    pytest.param("na62", "pot = 1e18", "pot = 1e18\nluminosity_invfb = 3000",
                 "exposure.luminosity_invfb", "unknown key 'luminosity_invfb'",
                 "for kind 'pot': kind, pot, pot_per_year, years", id='preset_exposure_keys_of_other_kind'),
    pytest.param("hike", "pot = 5e19", "pot = inf",
                 "exposure.pot", "inf",
                 "a finite number > 0", id='preset_infinite_pot'),
    pytest.param("nucal", "efficiency = 0.7", "efficiency = 1.5",
                 "selection.efficiency", "1.5",
                 "<= 1", id='preset_efficiency_range'),
    pytest.param("charm2", "photon_max_GeV = 24.0", "photon_max_GeV = 2.0",
                 "selection.photon_max_GeV", "2.0",
                 "> 3", id='preset_window_order'),
    pytest.param("bebc", 'method = "poisson"', 'method = "cls"',
                 "statistics.method", "'cls'",
                 "'poisson', 'poisson_no_subtraction', 'gaussian'", id='preset_statistics_method'),
    pytest.param("nucal", "observed = 5", "observed = 5.5",
                 "statistics.observed", "5.5",
                 "an integer >= 0", id='preset_observed_is_integer'),
]


@pytest.mark.parametrize(("preset", "old", "new", "key", "found", "allowed"), PRESET_ERRORS)
def test_preset_error(home, preset, old, new, key, found, allowed):
    preset_error(home, preset, old, new, key, found, allowed)
