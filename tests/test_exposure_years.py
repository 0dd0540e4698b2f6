"""Exposure as design reports quote it: protons on target per year times years."""

from pathlib import Path

import pytest

from dipscan.config.scenario import load_experiment_preset
from dipscan.errors import ScenarioError

REPO_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.fixture
def home(make_home):
    return make_home("experiments", "beams") / "scenarios"


def set_exposure(home: Path, text: str) -> Path:
    path = home / "experiments" / "dune_nd.toml"
    old = path.read_text()
    start = old.index("[exposure]")
    end = old.index("[selection]")
    path.write_text(old[:start] + "[exposure]\nkind = \"pot\"\n" + text + "\n\n" + old[end:])
    return path


def test_committed_dune_nd_preset(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)
    spec = load_experiment_preset("dune_nd")
    assert spec.beam == "lbnf120" and spec.target_mass_number == pytest.approx(12.011)
    assert spec.exposure.pot == pytest.approx(1.1e21 * 10)
    g = spec.geometry
    assert (g.shape, g.l_start_m, g.l_end_m, g.volume.width_m, g.volume.height_m) == ("box", 574.0, 579.0, 7.0, 3.0)


def test_per_year_times_years(home):
    set_exposure(home, "pot_per_year = 2e20\nyears = 2.5")
    assert load_experiment_preset("dune_nd").exposure.pot == pytest.approx(5e20)


@pytest.mark.parametrize("text, key, allowed", [
    ("pot = 1e21\npot_per_year = 1e20\nyears = 10", "exposure.pot_per_year", "not both"),
    ("pot_per_year = 1e20", "exposure.years", "pot_per_year and years together"),
    ("years = 10", "exposure.pot_per_year", "pot_per_year and years together"),
    ("pot_per_year = 1e20\nyears = 0", "exposure.years", "a finite number > 0"),
    ("pot_per_year = -1\nyears = 3", "exposure.pot_per_year", "a finite number > 0"),
])
def test_mistakes(home, text, key, allowed):
    path = set_exposure(home, text)
    with pytest.raises(ScenarioError) as err:
        load_experiment_preset("dune_nd")
    assert err.value.file == str(path) and err.value.key == key and allowed in err.value.allowed
