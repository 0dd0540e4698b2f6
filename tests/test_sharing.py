"""Results that travel: redraw without recomputing, HEPData export, comparing two runs."""

import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dipscan import cli
from dipscan.cli import run as runner_module

pytestmark = pytest.mark.slow

STUDY = """
[scenario]
seed = 5

[model]
kind = "dark_dipole"
delta = 0.1

[grid.mass]
min = 0.02
max = 0.3
points = 5

[grid.coupling]
min = 1e-7
max = 1e-2
points = 12

[sampling]
llp_samples_max = 5000

[[experiment]]
preset = "na62"

[[experiment]]
preset = "bebc"

[overlays]
babar = true

[[overlays.curve]]
file = "limit.csv"
label = "my limit"
mass_column = "m"
mass_unit = "MeV"
"""
CURVE = "# a published line, mass in MeV\nm,coupling\n20,1e-3\n100,3e-4\n300,1e-4\n"


def _write_study(folder: Path, name: str = "share", text: str = STUDY) -> Path:
    (folder / "limit.csv").write_text(CURVE)
    path = folder / f"{name}.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """A run of the study in its own working folder: (folder, scenario file, outputs/share)."""
    folder = tmp_path_factory.mktemp("sharing")
    path = _write_study(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        assert cli.main(["run", str(path)]) == 0
    return folder, path, folder / "outputs" / "share"


def _copy_run(shared, tmp_path: Path) -> tuple[Path, Path]:
    folder, _, out = shared
    shutil.copytree(out, tmp_path / "outputs" / "share")
    return _write_study(tmp_path), tmp_path / "outputs" / "share"


def test_the_run_draws_the_user_curve_and_exports_it_converted(shared):
    _, _, out = shared
    contours = pl.read_parquet(out / "contours.parquet")
    mine = contours.filter(pl.col("experiment") == "my limit")
    np.testing.assert_allclose(mine["mass_GeV"], [0.02, 0.1, 0.3], rtol=1e-15)
    np.testing.assert_allclose(mine["coupling_GeVinv"], [1e-3, 3e-4, 1e-4], rtol=1e-15)
    figure = json.loads((out / "provenance.json").read_text())["figure"]
    kinds = {c["label"]: c["kind"] for c in figure["curves"]}
    assert kinds == {"BaBar 60 fb^-1 (recast)": "babar", "my limit": "user", "NA62 1e18 POT": "sensitivity",
                     "BEBC 2.72e18 POT": "limit"}
    assert (out / "overlay_events.parquet").is_file()


def test_plot_redraws_the_same_bytes_from_the_tables(shared, tmp_path):
    _, out = _copy_run(shared, tmp_path)
    before = {ext: (out / f"plot.{ext}").read_bytes() for ext in ("png", "pdf")}
    (out / "plot.png").unlink()
    assert cli.main(["plot", str(out)]) == 0
    for ext in ("png", "pdf"):
        assert (out / f"plot.{ext}").read_bytes() == before[ext], ext
    assert json.loads((out / "provenance.json").read_text())["timings_s"]["redraw"] > 0


def test_style_only_edit_redraws_and_a_compute_edit_recomputes(shared, tmp_path, monkeypatch):
    path, out = _copy_run(shared, tmp_path)
    monkeypatch.chdir(tmp_path)
    computed = []
    real_compute = runner_module.compute

    def counting_compute(*args, **kwargs):
        computed.append(1)
        return real_compute(*args, **kwargs)

    monkeypatch.setattr(runner_module, "compute", counting_compute)
    events = (out / "events.parquet").read_bytes()
    png = (out / "plot.png").read_bytes()
    path.write_text(STUDY.replace('preset = "bebc"', 'preset = "bebc"\ncolor = "black"')
                    + '\n[plot]\ntitle = "restyled"\nlegend = "none"\n'
                    + '[plot.curve."my limit"]\nvisible = false\n')
    assert cli.main(["run", str(path)]) == 0
    assert computed == []
    assert (out / "events.parquet").read_bytes() == events
    assert (out / "plot.png").read_bytes() != png
    record = json.loads((out / "provenance.json").read_text())
    assert record["figure"]["plot"]["title"] == "restyled"
    bebc = [c for c in record["figure"]["curves"] if c["label"] == "BEBC 2.72e18 POT"][0]
    assert bebc["color"] == "black"
    # a change to the numbers (here the sampling size) computes again
    path.write_text(path.read_text().replace("llp_samples_max = 5000", "llp_samples_max = 4000"))
    assert cli.main(["run", str(path)]) == 0
    assert computed == [1]
    # and --recompute always computes
    assert cli.main(["run", str(path), "--recompute"]) == 0
    assert computed == [1, 1]
    # a run folder whose tables were removed is computed again, not redrawn
    for name in ("events.parquet", "events.csv"):
        (out / name).unlink()
    assert cli.main(["run", str(path)]) == 0
    assert computed == [1, 1, 1] and (out / "events.parquet").is_file()


def test_an_unchanged_rerun_writes_nothing_and_a_missing_plot_is_redrawn(shared, tmp_path,
                                                                        monkeypatch, capsys):
    path, out = _copy_run(shared, tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(path)]) == 0  # another scenario file: provenance is brought up to date
    redrawn = []
    real_redraw = runner_module.redraw

    def counting_redraw(*args, **kwargs):
        redrawn.append(1)
        return real_redraw(*args, **kwargs)

    monkeypatch.setattr(runner_module, "redraw", counting_redraw)
    monkeypatch.setattr(runner_module, "compute", lambda *a, **k: pytest.fail("computed"))
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()}
    capsys.readouterr()
    assert cli.main(["run", str(path)]) == 0
    assert redrawn == []
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in out.iterdir()} == before
    assert "up to date; nothing to write" in capsys.readouterr().err
    # a plot file that went missing is drawn again, from the tables
    (out / "plot.pdf").unlink()
    assert cli.main(["run", str(path)]) == 0
    assert redrawn == [1] and (out / "plot.pdf").is_file()


def test_plot_of_a_folder_without_a_run_is_one_line(tmp_path, capsys):
    (tmp_path / "mine").mkdir()
    assert cli.main(["plot", str(tmp_path / "mine")]) == 2
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert "no provenance.json" in err and err.count("error:") == 1


# ----------------------------------------------------------------------------- HEPData


def test_hepdata_export_is_valid_and_holds_every_curve(shared, tmp_path):
    from hepdata_validator.full_submission_validator import FullSubmissionValidator

    _, out = _copy_run(shared, tmp_path)
    assert cli.main(["export", "hepdata", str(out)]) == 0
    record = out / "hepdata" / "submission"
    validator = FullSubmissionValidator(autoload_remote_schemas=False)
    assert validator.validate(directory=str(record)), validator.get_messages()
    assert (out / "hepdata" / "submission.tar.gz").is_file()
    names = sorted(p.name for p in record.glob("*.yaml"))
    assert names == ["babar_60_fb_-1_recast.yaml", "bebc_2.72e18_pot.yaml", "my_limit.yaml",
                     "na62_1e18_pot.yaml", "submission.yaml"]
    import yaml

    table = yaml.safe_load((record / "na62_1e18_pot.yaml").read_text())
    qualifiers = {q["name"]: q["value"] for q in table["dependent_variables"][0]["qualifiers"]}
    assert qualifiers["experiment"] == "NA62 1e18 POT" and qualifiers["delta"] == 0.1
    assert qualifiers["photon threshold"] == 1.0 and qualifiers["event level N"] == 3.0
    assert qualifiers["result"] == "sensitivity" and qualifiers["dipscan version"]
    assert {"model", "exposure"} <= set(qualifiers)
    # The lower edge at a scan mass is where the contour crosses that mass's grid line.
    masses = [v["value"] for v in table["independent_variables"][0]["values"]]
    lower = [v["value"] for v in table["dependent_variables"][0]["values"]]
    from dipscan.plot.plotting import central

    contour = central(pl.read_parquet(out / "contours.parquet")).filter(
        (pl.col("experiment") == "NA62 1e18 POT") & (pl.col("branch") == "lower"))
    checked = 0
    for mass, edge in zip(masses, lower, strict=True):
        on_line = contour.filter((pl.col("mass_GeV") / mass - 1).abs() < 1e-7)
        if on_line.height and isinstance(edge, float):
            assert on_line["coupling_GeVinv"].min() == pytest.approx(edge, rel=1e-7)
            checked += 1
    assert checked == 5


def test_export_carries_uncertainty_bands_when_the_run_has_them(shared, tmp_path):
    import yaml

    _, out = _copy_run(shared, tmp_path)
    events = pl.read_parquet(out / "events.parquet")
    # a band of half and twice the central counts: in the long-lifetime regime (N ~ d^4) the
    # lower edge of the optimistic curve sits 2^(1/4) below the central one, the pessimistic above
    events.with_columns(n_events_pessimistic=pl.col("n_events") / 2,
                        n_events_optimistic=pl.col("n_events") * 2).write_parquet(out / "events.parquet")
    assert cli.main(["export", "hepdata", str(out)]) == 0
    table = yaml.safe_load((out / "hepdata" / "submission" / "na62_1e18_pot.yaml").read_text())
    columns = {v["header"]["name"]: [x["value"] for x in v["values"]]
               for v in table["dependent_variables"]}
    assert list(columns) == ["d lower edge", "d lower edge, pessimistic", "d lower edge, optimistic",
                             "d upper edge", "d upper edge, pessimistic", "d upper edge, optimistic"]
    pairs = [(c, p, o) for c, p, o in zip(columns["d lower edge"], columns["d lower edge, pessimistic"],
                                          columns["d lower edge, optimistic"], strict=True)
             if all(isinstance(x, float) for x in (c, p, o))]
    assert pairs
    for central_d, pessimistic_d, optimistic_d in pairs:
        assert optimistic_d < central_d < pessimistic_d
        assert pessimistic_d / optimistic_d == pytest.approx(2 ** 0.5, rel=0.05)


def test_export_never_writes_into_a_folder_it_did_not_create(shared, tmp_path, capsys):
    _, out = _copy_run(shared, tmp_path)
    mine = tmp_path / "paper"
    mine.mkdir()
    (mine / "draft.tex").write_text("mine")
    assert cli.main(["export", "hepdata", str(out), "--out", str(mine)]) == 2
    assert "dipscan never replaces it" in " ".join(capsys.readouterr().err.split())
    assert sorted(p.name for p in mine.iterdir()) == ["draft.tex"]
    # an earlier export of dipscan is replaced
    target = tmp_path / "record"
    assert cli.main(["export", "hepdata", str(out), "--out", str(target)]) == 0
    assert cli.main(["export", "hepdata", str(out), "--out", str(target)]) == 0
    # another run's output folder is refused
    assert cli.main(["export", "hepdata", str(out), "--out", str(out)]) == 2


def test_an_export_or_redraw_inside_the_run_folder_does_not_block_the_next_run(shared, tmp_path,
                                                                               monkeypatch):
    path, out = _copy_run(shared, tmp_path)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", "hepdata", str(out)]) == 0
    assert cli.main(["plot", str(out)]) == 0
    assert cli.main(["run", str(path), "--recompute"]) == 0  # the run folder is replaced whole
    assert not (out / "hepdata").exists() and (out / "plot.png").is_file()


# ----------------------------------------------------------------------------- compare


def test_compare_four_times_the_pot_lowers_the_long_lifetime_edge_by_a_fourth_root(shared, tmp_path):
    """Below the region N ~ BR * L / (beta gamma c tau) ~ d^2 * d^2 (long-lived LLPs), so four
    times the exposure moves the lower edge by 4^(-1/4); the decay-length correction
    (f_dec saturating as d grows) only moves it further down, by under 2% on this grid."""
    folder, _, out = shared
    run_b = tmp_path / "more"
    text = STUDY.replace('preset = "na62"', 'preset = "na62"\npot = 4e18\nlabel = "NA62"')
    study = _write_study(tmp_path, "more", text)
    assert cli.main(["run", str(study), "--output", str(run_b)]) == 0
    csv = tmp_path / "ratios.csv"
    assert cli.main(["compare", str(out), str(run_b), "--pair", "NA62 1e18 POT=NA62",
                     "--csv", str(csv)]) == 0
    rows = {r["curve_a"]: r for r in pl.read_csv(csv).iter_rows(named=True)}
    na62 = rows["NA62 1e18 POT"]
    assert na62["curve_b"] == "NA62" and na62["masses_compared"] == 5
    assert 0.98 * 4 ** -0.25 < na62["lower_edge_ratio_min"]
    assert na62["lower_edge_ratio_max"] < 1.001 * 4 ** -0.25
    assert na62["lower_edge_ratio_median"] == pytest.approx(4 ** -0.25, rel=5e-3)
    for same in ("BEBC 2.72e18 POT", "BaBar 60 fb^-1 (recast)", "my limit"):
        assert rows[same]["lower_edge_ratio_median"] == 1.0
        assert rows[same]["smallest_d_ratio"] == 1.0 and rows[same]["mass_reach_ratio"] == 1.0


def test_compare_writes_beside_the_runs_and_never_over_a_user_file(shared, tmp_path, capsys):
    _, out = _copy_run(shared, tmp_path)
    assert cli.main(["compare", str(out), str(out)]) == 0
    csv = tmp_path / "outputs" / "compare" / "share_vs_share.csv"
    assert pl.read_csv(csv)["lower_edge_ratio_median"].to_list() == [1.0] * 4
    assert cli.main(["compare", str(out), str(out)]) == 0  # dipscan's own file: rewritten
    mine = tmp_path / "notes.csv"
    mine.write_text("mine")
    assert cli.main(["compare", str(out), str(out), "--csv", str(mine)]) == 2
    assert "never overwrites" in " ".join(capsys.readouterr().err.split())
    assert mine.read_text() == "mine"
    assert cli.main(["compare", str(out), str(out), "--pair", "NA62=SHiP"]) == 2
    assert "LABEL_A=LABEL_B" in " ".join(capsys.readouterr().err.split())


def test_a_run_without_figures_is_not_recomputed_and_plot_draws_on_request(tmp_path, monkeypatch,
                                                                         capsys):
    tiny = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.toml"
    path = tmp_path / "tiny.toml"
    path.write_text(tiny.read_text())  # formats = ["parquet", "csv"]: no figure
    monkeypatch.chdir(tmp_path)
    assert cli.main(["run", str(path)]) == 0
    computed = []
    monkeypatch.setattr(runner_module, "compute", lambda *a, **k: computed.append(1))
    assert cli.main(["run", str(path)]) == 0
    assert computed == [] and "up to date; nothing to write" in " ".join(capsys.readouterr().err.split())
    out = tmp_path / "outputs" / "tiny"
    assert not (out / "plot.png").exists()
    assert cli.main(["plot", str(out)]) == 0
    assert (out / "plot.png").stat().st_size > 10_000 and (out / "plot.pdf").is_file()
    marker = json.loads((out / ".dipscan-output").read_text())
    assert {"plot.png", "plot.pdf"} <= set(marker["files"])  # the next run may replace them


def test_export_of_a_folder_without_a_run_is_one_line(tmp_path, capsys):
    assert cli.main(["export", "hepdata", str(tmp_path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.startswith("error: ") and "no provenance.json" in err
    assert list(tmp_path.iterdir()) == []


def test_lower_envelope_of_a_closed_region():
    from dipscan.cli.compare import lower_envelope

    # a square in log space, 1e-4..1e-2 GeV^-1 between 0.1 and 1 GeV, with a dip at 0.3 GeV
    mass = np.array([0.1, 0.3, 1.0, 1.0, 0.1, 0.1])
    d = np.array([1e-4, 1e-5, 1e-4, 1e-2, 1e-2, 1e-4])
    envelope = dict(lower_envelope(mass, d))
    assert envelope[0.1] == pytest.approx(1e-4) and envelope[1.0] == pytest.approx(1e-4)
    assert envelope[0.3] == pytest.approx(1e-5)  # the top edge at 0.3 GeV (1e-2) is not the lower
