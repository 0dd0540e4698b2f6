"""End to end through the command line on the tiny scenario and the committed tables."""

import errno
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from dipscan import cli

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.toml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "tiny"
    assert cli.main(["run", str(TINY), "--output", str(out)]) == 0
    return out


def test_run_writes_every_output(tiny_run):
    names = {p.name for p in tiny_run.iterdir()}
    assert {"events.parquet", "events.csv", "contours.parquet", "contours.csv",
            "provenance.json", "summary.csv"} <= names
    events = pl.read_parquet(tiny_run / "events.parquet")
    assert {"experiment", "mass_GeV", "coupling_GeVinv", "channel", "n_events"} <= set(events.columns)
    totals = events.filter(pl.col("channel") == "total")
    assert totals.height == 4 * 5
    assert totals["experiment"].unique().to_list() == ["NA62 1e18 POT"]
    assert totals["n_events"].max() > 3.0  # the tiny grid does reach the sensitivity region
    provenance = json.loads((tiny_run / "provenance.json").read_text())
    assert provenance["scenario"]["seed"] == 7
    assert provenance["tables"]["sps400"]
    assert provenance["experiments"][0]["geometry_mode"] == "paper"


def test_same_scenario_gives_the_same_bytes(tiny_run, tmp_path):
    again = tmp_path / "again"
    assert cli.main(["run", str(TINY), "--output", str(again)]) == 0
    for name in ("events.parquet", "events.csv", "contours.csv"):
        assert (again / name).read_bytes() == (tiny_run / name).read_bytes(), name


def test_bad_scenario_exits_nonzero_and_writes_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.read_text().replace("delta = 0.1", "delta = -0.1"))
    out = tmp_path / "out"
    assert cli.main(["run", str(bad), "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "model.delta" in err and "-0.1" in err
    assert not out.exists()
    assert cli.main(["validate", str(bad)]) == 2


def test_failed_run_keeps_earlier_outputs(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    shutil.copytree(ROOT / "scenarios" / "examples", tmp_path / "examples")
    assert cli.main(["run", str(TINY), "--output", str(out)]) == 0
    before = (out / "events.csv").read_bytes()

    def broken(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("dipscan.io.outputs.atomic_write_text", broken)
    capsys.readouterr()
    assert cli.main(["run", str(TINY), "--output", str(out)]) == 2
    assert "the disk is full" in capsys.readouterr().err
    assert (out / "events.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_physics_csv(capsys):
    assert cli.main(["physics", "--model", "dark_dipole", "--delta", "0.1", "--mass", "0.1",
                     "--coupling", "1e-6", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "quantity,parent_pdgid,value"
    rows = [line.split(",") for line in out[1:]]
    parents = {int(r[1]) for r in rows if r[0] == "branching_ratio"}
    assert {113, 223, 333, 443, 553, 221, 331} <= parents  # pi0 is closed at M1 = 0.1, delta = 0.1
    assert 111 not in parents
    assert [r[0] for r in rows[-2:]] == ["width_GeV", "ctau_m"]


def test_tables_report_csv_has_the_documented_columns(capsys):
    assert cli.main(["tables", "report", "sps400", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("pdgid,name,multiplicity,table1,frac_theta_lt_1p6mrad,"
                        "frac_theta_lt_5p5mrad,frac_theta_lt_28mrad,mean_energy_GeV,"
                        "pythia_multiplicity,normalisation,scale,source")
    rho = next(line.split(",") for line in lines[1:] if line.startswith("113,"))
    assert float(rho[2]) == pytest.approx(0.58, rel=1e-9)  # normalised to Table 1
    assert 0 < float(rho[5]) < float(rho[6]) < 1  # more mesons inside 28 mrad than 5.5 mrad


def test_tables_generate_rejects_an_unknown_beam(capsys):
    assert cli.main(["tables", "generate", "sps401"]) == 2
    err = capsys.readouterr().err
    assert "sps401" in err and "sps400" in err


def test_tiny_neutrino_scenario_end_to_end(tmp_path):
    out = tmp_path / "nu"
    assert cli.main(["run", str(ROOT / "scenarios" / "examples" / "tiny_nu.toml"),
                     "--output", str(out)]) == 0
    events = pl.read_parquet(out / "events.parquet")
    channels = set(events["channel"].unique())
    assert {"K+ -> mu+ N gamma", "K- -> mu- Nbar gamma", "rho0 -> N nu (+c.c.)"} <= channels
    totals = events.filter(pl.col("channel") == "total")
    assert totals["n_events"].max() > 3.0
    contours = pl.read_parquet(out / "contours.parquet")
    assert {"NA62 1e18 POT", "LEP", "SN1987A"} <= set(contours["experiment"].unique())
    assert (out / "plot.png").stat().st_size > 10_000
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["model"] == {"kind": "neutrino_dipole", "flavour": "mu"}


def test_tiny_recast_uses_the_poisson_upper_limit(tmp_path):
    from scipy.stats import chi2

    out = tmp_path / "recast"
    assert cli.main(["run", str(ROOT / "scenarios" / "examples" / "tiny_recast.toml"),
                     "--output", str(out)]) == 0
    summary = pl.read_csv(out / "summary.csv").row(0, named=True)
    # 1 event observed over 0.5 +- 0.1 expected: s_up ~ chi2.ppf(0.95, 4)/2 - 0.5 (+ tiny smearing)
    assert summary["role"] == "limit"
    assert summary["level_events"] == pytest.approx(chi2.ppf(0.95, 4) / 2 - 0.5, abs=0.01)
    assert summary["min_coupling_GeVinv"] is not None
    provenance = json.loads((out / "provenance.json").read_text())
    stats = provenance["experiments"][0]["statistics"]
    assert stats["observed"] == 1 and stats["method"] == "poisson"


def test_missing_literature_curve_warns_and_the_plot_is_still_drawn(tmp_path, monkeypatch, capsys):
    import dipscan.limits.literature as literature

    data = tmp_path / "dipole"
    shutil.copytree(literature.default_data_dir(), data)
    (data / "mu" / "MiniBooNE_dmu.dat").unlink()
    monkeypatch.setattr(literature, "default_data_dir", lambda: data)
    out = tmp_path / "nu"
    assert cli.main(["run", str(ROOT / "scenarios" / "examples" / "tiny_nu.toml"),
                     "--output", str(out)]) == 0
    assert "MiniBooNE_dmu.dat" in capsys.readouterr().err
    assert (out / "plot.png").exists()
    provenance = json.loads((out / "provenance.json").read_text())
    assert any("MiniBooNE_dmu.dat" in w for w in provenance["warnings"])
    contours = pl.read_parquet(out / "contours.parquet")
    assert "MiniBooNE" not in set(contours["experiment"]) and "LEP" in set(contours["experiment"])


def test_validate_reads_every_committed_file_kind(capsys):
    """Beam and experiment presets, figure and recast files are checked by their folder."""
    files = sorted(p for folder in ("beams", "experiments", "figures", "limits")
                   for p in (ROOT / "scenarios" / folder).glob("*.toml"))
    kinds = {p.parent.name for p in files}
    assert kinds == {"beams", "experiments", "figures", "limits"}
    capsys.readouterr()
    assert cli.main(["validate", *map(str, files)]) == 0
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert out.count("ok ") == len(files)
    assert "beam preset sps400" in out and "experiment preset NA62" in out and "figure with 3 panels" in out


@pytest.mark.parametrize(
    ("folder", "old", "new", "key"),
    [
        ("beams", "shard_events = 100_000", "shard_events = 0", "generation.shard_events"),
        ("experiments", 'target = "copper"', 'targets = "copper"', "targets"),
        ("figures", "columns = 3", "columns = 0", "figure.columns"),
    ],
)
def test_validate_names_the_key_of_a_broken_preset(make_home, capsys, folder, old, new, key):
    home = make_home(".")
    path = home / "scenarios" / folder / {"beams": "sps400", "experiments": "na62", "figures": "fig4"}[folder]
    path = path.with_suffix(".toml")
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    capsys.readouterr()
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {key}: found" in err and "Traceback" not in err
