"""The BaBar recast read from TOML: every choice with value, origin, source and reason."""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from dipscan.config.babar_recast import CHOICES, load_babar_recast
from dipscan.config.scenario import load_scenario
from dipscan.errors import ScenarioError
from dipscan.limits.babar import DEFAULT_SELECTION, babar_sample, lower_edge_coupling

REPO_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PAPER = {"sqrt_s_GeV", "luminosity_invfb", "required_events", "leading_min_energy_GeV",
         "subleading_min_energy_GeV", "missing_energy_min_GeV"}
ADDED = {"leading_cos_range", "subleading_cos_range", "decay_radius_m"}


@pytest.fixture
def repo(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)


@pytest.fixture
def home(make_home):
    return make_home("experiments", "beams", "limits") / "scenarios"


def test_paper_recast_is_the_library_default(repo):
    recast = load_babar_recast("babar")
    assert recast.selection == DEFAULT_SELECTION and recast.required_events == 10.0
    assert {c.name for c in recast.choices} == set(CHOICES) == PAPER | ADDED
    assert {c.name for c in recast.choices if c.origin == "paper"} == PAPER
    assert {c.name for c in recast.choices if c.origin == "added"} == ADDED
    assert all(c.source.strip() and c.reason.strip() for c in recast.choices)


def test_upsilon_3s_variant_changes_only_the_luminosity(repo):
    paper, ups3s = load_babar_recast("babar"), load_babar_recast("babar_ups3s")
    assert ups3s.value("luminosity_invfb") == 28.0
    assert ups3s.selection == dataclasses.replace(paper.selection, luminosity_invfb=28.0)
    assert ups3s.required_events == paper.required_events
    lumi = next(c for c in ups3s.choices if c.name == "luminosity_invfb")
    assert "0808.0017" in lumi.source and lumi.file.endswith("babar_ups3s.toml")


@pytest.mark.parametrize("m1_GeV", [0.1, 1.0])
def test_edge_moves_between_the_prompt_and_long_lived_scalings(repo, m1_GeV):
    """Yield = d^2 sum w (1 - exp(-R d^2 / lambda)): ~ L d^2 when chi2 decays promptly, ~ L d^4
    when it is long-lived; the edge ratio lies between (60/28)^(1/4) and (60/28)^(1/2)."""
    edges = []
    for name in ("babar", "babar_ups3s"):
        recast = load_babar_recast(name)
        sample = babar_sample(m1_GeV, 0.01, np.random.default_rng(5), 4000, recast.selection)
        edges.append(lower_edge_coupling(sample, recast.required_events))
    ratio, lumi_ratio = edges[1] / edges[0], 60.0 / 28.0
    assert lumi_ratio**0.25 * (1 - 1e-6) <= ratio <= lumi_ratio**0.5 * (1 + 1e-6)


def test_yield_is_linear_in_luminosity(repo):
    paper, ups3s = (load_babar_recast(n).selection for n in ("babar", "babar_ups3s"))
    a = babar_sample(0.3, 0.1, np.random.default_rng(1), 2000, paper)
    b = babar_sample(0.3, 0.1, np.random.default_rng(1), 2000, ups3s)
    np.testing.assert_allclose(b.events_at_unit_coupling, a.events_at_unit_coupling * 28.0 / 60.0)


STUDY = """
[model]
kind = "dark_dipole"
delta = 0.01
[grid.mass]
min = 0.05
max = 1.0
points = 3
[grid.coupling]
min = 1e-6
max = 1e-2
points = 3
[[experiment]]
preset = "na62"
[overlays]
"""


def test_scenario_takes_names_and_digests_the_files(home, tmp_path):
    path = tmp_path / "study.toml"
    path.write_text(STUDY + 'babar = ["babar", "babar_ups3s"]\n')
    scenario = load_scenario(path)
    assert [r.name for r in scenario.overlays.babar] == ["babar", "babar_ups3s"]
    assert scenario.overlays.count() == 2  # one curve per recast
    before = scenario.digest
    limit = home / "limits" / "babar.toml"
    limit.write_text(limit.read_text() + "# edited\n")
    assert load_scenario(path).digest != before
    path.write_text(STUDY + "babar = true\n")
    assert [r.name for r in load_scenario(path).overlays.babar] == ["babar"]


@pytest.mark.parametrize("value, key, allowed", [
    ('"babar_2s"', "overlays.babar", "recast names of scenarios/limits/: babar, babar_ups3s"),
    ('["babar", "nope"]', "overlays.babar[1]", "recast names"),
    ('["babar", "babar"]', "overlays.babar", "distinct recast names"),
    ("3", "overlays.babar", "true, false, a recast name"),
])
def test_scenario_mistakes(home, tmp_path, value, key, allowed):
    path = tmp_path / "study.toml"
    path.write_text(STUDY + f"babar = {value}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.file == str(path) and err.value.key == key and allowed in err.value.allowed


def test_missing_choice_in_a_base_file(home):
    path = home / "limits" / "babar.toml"
    text = path.read_text()
    start = text.index("[choice.decay_radius_m]")
    path.write_text(text[:start])
    with pytest.raises(ScenarioError) as err:
        load_babar_recast("babar_ups3s")  # the error names the base file, where it is missing
    assert err.value.file == str(path) and err.value.key == "choice.decay_radius_m"
