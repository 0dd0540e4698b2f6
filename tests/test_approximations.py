"""Approximations stated by beam and experiment presets reach every run's provenance."""

import shutil
from pathlib import Path

import pytest

from dipscan.cli.report import APPROXIMATIONS, preset_approximations
from dipscan.config.scenario import load_experiment_preset, load_scenario
from dipscan.errors import DipscanError
from dipscan.production.beams import load_beam

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)


def test_figure_2_states_kaons_heavy_flavour_and_the_ship_length(repo):
    texts = preset_approximations(load_scenario(ROOT / "scenarios" / "fig2_delta0p01.toml"))
    joined = "\n".join(texts)
    assert "beam sps400: K+- that decay in flight" in joined and "prompt PYTHIA8 spectra" in joined
    assert "no cascade" in joined
    assert "beam sps450: PYTHIA8 p-p multiplicities as generated" in joined
    assert "beam u70: PYTHIA8 p-p multiplicities as generated" in joined
    assert "SHiP: decay volume from L_i = 33 m to the paper's L_f = 85 m" in joined
    assert len(texts) == len(set(texts))  # each preset once, however many curves use it
    assert any("Gamma(P -> gamma gamma)" in a for a in APPROXIMATIONS)


def test_new_beam_states_its_own(repo):
    texts = load_beam("lbnf120").approximations
    assert any("horn" in t for t in texts) and any("as generated" in t for t in texts)


def test_bad_approximations_name_the_file(tmp_path, monkeypatch):
    root = tmp_path / "home" / "scenarios"
    for folder in ("experiments", "beams"):
        shutil.copytree(ROOT / "scenarios" / folder, root / folder)
    monkeypatch.setenv("DIPSCAN_HOME", str(root.parent))
    ship = root / "experiments" / "ship.toml"
    ship.write_text(ship.read_text().replace('approximations = [\n', 'approximations = [\n  3,\n', 1))
    with pytest.raises(DipscanError, match="ship.toml: approximations"):
        load_experiment_preset("ship")
    beam = root / "beams" / "u70.toml"
    beam.write_text(beam.read_text().replace('approximations = [\n', 'approximations = [\n  "",\n', 1))
    with pytest.raises(DipscanError, match=r"u70.toml.*approximations\[0\]"):
        load_beam("u70")
