"""Figure files: panels of scenarios in one picture, exports with a panel column."""

import json
from pathlib import Path

import polars as pl
import pytest

from dipscan import cli
from dipscan.cli.figures import list_figures, load_figure, run_figure
from dipscan.config.scenario import load_scenario
from dipscan.errors import ScenarioError
from dipscan.scan.pipeline import compute

ROOT = Path(__file__).resolve().parents[1]
TINY_NU = ROOT / "scenarios" / "examples" / "tiny_nu.toml"

FIGURE = """
[figure]
title = "two flavours"
columns = 2

[[panel]]
scenario = "nu_mu"
title = "mu"

[[panel]]
scenario = "nu_e"
"""


@pytest.fixture
def home(make_home):
    """A DIPSCAN_HOME with the committed presets, beams and tables and two tiny panel scenarios."""
    root = make_home("experiments", "beams", tables="link")
    (root / "scenarios" / "figures").mkdir()
    text = TINY_NU.read_text()
    (root / "scenarios" / "nu_mu.toml").write_text(text)
    (root / "scenarios" / "nu_e.toml").write_text(text.replace('flavour = "mu"', 'flavour = "e"'))
    return root / "scenarios"


def write_figure(home: Path, text: str, name: str = "two.toml") -> Path:
    path = home / "figures" / name
    path.write_text(text)
    return path


def test_committed_figure_files_load(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)
    figures = list_figures()
    assert [p.stem for p in figures] == ["fig4"]
    spec = load_figure(figures[0])
    assert [p.scenario.name for p in spec.panels] == ["fig4_e", "fig4_mu", "fig4_tau"]
    assert [dict(p.scenario.model.params)["flavour"] for p in spec.panels] == ["e", "mu", "tau"]
    for panel in spec.panels:  # the experiments without upscattering say so in their legend
        labels = [e.label for e in panel.scenario.experiments]
        for name in ("SHiP", "FASER 2", "DUNE ND"):
            assert f"{name} (meson decays)" in labels


def test_defaults_and_titles(home):
    spec = load_figure(write_figure(home, FIGURE))
    assert spec.name == "two" and spec.title == "two flavours" and spec.columns == 2
    assert spec.share_mass and spec.share_coupling
    assert [p.title for p in spec.panels] == ["mu", "tiny: NA62, neutrino dipole, flavour mu"]


@pytest.mark.slow
def test_figure_exports_each_panel_as_its_own_scenario(home, tmp_path):
    out = run_figure(write_figure(home, FIGURE), tmp_path / "out")
    assert (out / "figure.png").stat().st_size > 10_000 and (out / "figure.pdf").is_file()
    contours = pl.read_parquet(out / "contours.parquet")
    assert contours.columns[:2] == ["panel", "flavour"]
    assert set(contours["panel"]) == {"nu_mu", "nu_e"}
    # each panel's rows are exactly what the scenario gives on its own
    for name, flavour in (("nu_mu", "mu"), ("nu_e", "e")):
        alone = compute(load_scenario(home / f"{name}.toml")).contours
        rows = contours.filter(pl.col("panel") == name)
        assert set(rows["flavour"]) == {flavour}
        assert rows.drop("panel", "flavour").equals(alone)
    summary = pl.read_csv(out / "summary.csv")
    assert summary.height == 2 and set(summary["flavour"]) == {"mu", "e"}
    provenance = json.loads((out / "provenance.json").read_text())
    assert [p["panel"] for p in provenance["panels"]] == ["nu_mu", "nu_e"]
    assert provenance["panels"][0]["provenance"]["scenario"]["seed"] == 3


# The other mistakes of a figure file are rows of tests/test_config_errors.py.
@pytest.mark.parametrize("text, key, allowed", [
    ("[figure]\ntitle = 'x'\n", "panel", "at least one [[panel]]"),
    ("panel = []\n", "panel", "at least one [[panel]]"),
])
def test_mistakes_name_file_and_key(home, text, key, allowed):
    path = write_figure(home, text, "bad.toml")
    with pytest.raises(ScenarioError) as err:
        load_figure(path)
    assert err.value.key == key and allowed in err.value.allowed and err.value.file == str(path)


def test_cli_reports_one_line(home, capsys):
    path = write_figure(home, "[[panel]]\nscenario = 'nu_tau'\n", "bad.toml")
    assert cli.main(["figure", str(path)]) == 2
    err = capsys.readouterr().err
    assert "panel[0].scenario" in err and "Traceback" not in err


@pytest.mark.slow
def test_panels_are_read_from_current_run_folders_to_the_same_bytes(home, tmp_path, monkeypatch):
    """After `dipscan run` of its panels, a figure file reuses their folders instead of computing
    again, and writes the same bytes; a panel whose scenario changed since is computed."""
    from dipscan.cli import run as run_module

    figure = write_figure(home, FIGURE)
    monkeypatch.chdir(tmp_path)
    computed = run_figure(figure, tmp_path / "computed")
    for name in ("nu_mu", "nu_e"):
        run_module.run_scenarios([home / f"{name}.toml"], workers=1)
    real_compute = run_module.compute
    calls = []

    def counted(scenario, **kwargs):
        calls.append(scenario.name)
        return real_compute(scenario, **kwargs)

    monkeypatch.setattr(run_module, "compute", counted)
    reused = run_figure(figure, tmp_path / "reused")
    assert calls == []
    for name in ("figure.png", "figure.pdf", "contours.parquet", "contours.csv", "summary.csv"):
        assert (reused / name).read_bytes() == (computed / name).read_bytes(), name
    panels = json.loads((reused / "provenance.json").read_text())["panels"]
    assert [p["from"] for p in panels] == [str(Path("outputs") / "nu_mu"), str(Path("outputs") / "nu_e")]
    (home / "nu_e.toml").write_text((home / "nu_e.toml").read_text().replace("seed = 3", "seed = 4"))
    run_figure(figure, tmp_path / "again")
    assert calls == ["nu_e"]
