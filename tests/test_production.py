"""Meson table generation through the real PYTHIA8 path, on a tiny beam preset.

The preset below runs a few hundred events in shards of 100, so that shards, workers, cache and
merge are all exercised; the tables land in tmp_path, never in the committed tables/.  Its soft
production leaves diffraction out only because diffraction takes PYTHIA8 a second to initialise.
"""

import json
import math
import shutil

import numpy as np
import polars as pl
import pytest

from dipscan.cli.tables_report import report_table
from dipscan.errors import DipscanError, ScenarioError, TableError
from dipscan.io.digest import file_sha256
from dipscan.production.beams import load_beam
from dipscan.production.generate import generate_beam
from dipscan.production.manifest import MANIFEST, table_digests
from dipscan.production.tables import SCHEMA, SpeciesNotAvailable, load_meson_samples

pytestmark = pytest.mark.slow

TINY = """
name = "tiny"
description = "400 GeV p on fixed p target, a few hundred events (tests)"

[kinematics]
frame = "fixed-target"
beam_energy_GeV = 400.0

[generation]
seed = 12345
shard_events = 100

[normalisation]
feed_down = "inclusive"

[[production]]
name = "soft"
pythia = ["SoftQCD:nonDiffractive = on", "SoftQCD:elastic = on"]
n_events = 200
raw_multiplicity = "per-event"

[[production.meson]]
pdgid = 111
name = "pi0"
multiplicity = 4.3
source = "Table 1"
prescale = [{ theta_max_rad = 0.03, factor = 2 }, { theta_max_rad = inf, factor = 10 }]

[[production.meson]]
pdgid = 221
name = "eta"
multiplicity = "pythia"

[[production.meson]]
pdgid = 321
name = "kpm"
multiplicity = { particle = 0.29, antiparticle = 0.07 }
source = "decay in flight"

[[production]]
name = "charmonium"
pythia = ["Charmonium:all = on", "PhaseSpace:pTHatMin = 0.5"]
n_events = 100
raw_multiplicity = "cross-section"

[[production.meson]]
pdgid = 443
name = "jpsi"
multiplicity = 4.7e-6
source = "Table 1"
"""
BEAM_ENERGY_GeV = 400.0


def _make_home(root, text=TINY):
    (root / "scenarios" / "beams").mkdir(parents=True, exist_ok=True)
    (root / "scenarios" / "beams" / "tiny.toml").write_text(text)
    return root


def _digests(directory):
    return {p.name: file_sha256(p) for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The tiny beam generated once with one worker and once with two."""
    home = _make_home(tmp_path_factory.mktemp("home"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DIPSCAN_HOME", str(home))
        one = generate_beam("tiny", workers=1, tables_dir=home / "tables1")
        two = generate_beam("tiny", workers=2, tables_dir=home / "tables2")
    return home, one, two


@pytest.fixture
def home(generated, monkeypatch, tmp_path):
    """A private copy of the generated tables, for tests that edit or break them."""
    src, _, _ = generated
    dst = tmp_path / "home"
    shutil.copytree(src / "scenarios", dst / "scenarios")
    shutil.copytree(src / "tables1", dst / "tables")
    monkeypatch.setenv("DIPSCAN_HOME", str(dst))
    return dst


def test_same_bytes_for_one_and_two_workers(generated):
    home, one, two = generated
    assert [p.name for p in one] == [p.name for p in two]
    d1, d2 = _digests(home / "tables1" / "tiny"), _digests(home / "tables2" / "tiny")
    assert d1 == d2
    assert set(d1) == {
        "111_pi0.parquet",
        "221_eta.parquet",
        "321_kpm.parquet",
        "443_jpsi.parquet",
        MANIFEST,
    }


def test_tables_hold_physical_lab_kinematics(home):
    df = load_meson_samples("tiny", [111, 221, 321, 443])
    assert dict(df.schema) == SCHEMA
    p = df["p_GeV"].to_numpy().astype(float)
    th = df["theta_rad"].to_numpy().astype(float)
    # energy conservation in the lab: no meson carries more momentum than the beam proton
    assert np.all(p > 0) and p.max() < BEAM_ENERGY_GeV
    assert np.all((th >= 0) & (th <= math.pi))
    # the fixed-target boost throws most mesons forward
    assert np.mean(th < math.pi / 2) > 0.8
    assert set(np.unique(df["pdg_id"].to_numpy())) == {111, 221, 321, -321, 443}


def test_weights_of_each_species_sum_to_its_multiplicity(home):
    beam = load_beam("tiny")
    manifest = json.loads((home / "tables" / "tiny" / MANIFEST).read_text())
    raw = {e["pdgid"]: e["raw_multiplicity_per_collision"] for e in manifest["tables"]}
    for pdgid, expected in [(111, 4.3), (443, 4.7e-6), (221, raw[221])]:
        w = load_meson_samples("tiny", [pdgid])["weight"].to_numpy()
        assert w.sum() == pytest.approx(expected, rel=1e-12)
    k = load_meson_samples("tiny", [-321])
    assert k.filter(pl.col("pdg_id") == 321)["weight"].sum() == pytest.approx(0.29, rel=1e-12)
    assert k.filter(pl.col("pdg_id") == -321)["weight"].sum() == pytest.approx(0.07, rel=1e-12)
    # prescale 2 forward, 10 beyond 30 mrad: weights of kept rows in the ratio 1 : 5
    pi0 = load_meson_samples("tiny", [111])
    fwd = pi0.filter(pl.col("theta_rad") < 0.029)["weight"].unique().to_list()
    wide = pi0.filter(pl.col("theta_rad") > 0.031)["weight"].unique().to_list()
    assert len(fwd) == 1 and len(wide) == 1 and wide[0] / fwd[0] == pytest.approx(5.0)
    assert beam.meson(111)[1].multiplicity == 4.3


def test_raw_multiplicities_are_pythia_counts(home):
    manifest = json.loads((home / "tables" / "tiny" / MANIFEST).read_text())
    soft = next(p for p in manifest["productions"] if p["name"] == "soft")
    charm = next(p for p in manifest["productions"] if p["name"] == "charmonium")
    assert soft["n_events"] == 200 and soft["n_shards"] == 2 and charm["n_events"] == 100
    # elastic events are collisions too; inelastic ones are the majority
    assert 0 < soft["n_elastic"] < soft["n_events"] / 2
    assert 0 < charm["sigma_gen_mb"] < soft["sigma_tot_mb"]
    for entry in manifest["tables"]:
        meta = pl.read_parquet_metadata(home / "tables" / "tiny" / entry["file"])
        table = json.loads(meta["dipscan.table"])
        prod = next(p for p in manifest["productions"] if p["name"] == table["production"])
        per_event = table["seen"] / prod["n_events"]
        scale = (
            1.0 if table["production"] == "soft" else prod["sigma_gen_mb"] / prod["sigma_tot_mb"]
        )
        assert entry["raw_multiplicity_per_collision"] == pytest.approx(
            per_event * scale, rel=1e-12
        )
        # every meson seen falls in one prescale bin
        assert sum(table["candidates_per_bin"]) == table["seen"]
        assert sum(table["kept_per_bin"]) == table["rows"] == entry["rows"]


def test_report_table(home):
    rep = report_table("tiny")
    assert rep.columns[:9] == [
        "pdgid",
        "name",
        "multiplicity",
        "table1",
        "frac_theta_lt_1p6mrad",
        "frac_theta_lt_5p5mrad",
        "frac_theta_lt_28mrad",
        "mean_energy_GeV",
        "entries",
    ]
    row = rep.filter(pl.col("pdgid") == 321).row(0, named=True)
    assert row["name"] == "K±" and row["multiplicity"] == pytest.approx(0.36)
    assert rep.filter(pl.col("pdgid") == 221)["table1"].to_list() == [None]
    for r in rep.iter_rows(named=True):
        assert (
            0
            <= r["frac_theta_lt_1p6mrad"]
            <= r["frac_theta_lt_5p5mrad"]
            <= r["frac_theta_lt_28mrad"]
            <= 1
        )
        assert BEAM_ENERGY_GeV > r["mean_energy_GeV"] > 0


def test_table_digests_match_files(home):
    d = table_digests("tiny")
    assert d == _digests(home / "tables" / "tiny")


def test_up_to_date_tables_are_reused_and_normalisation_needs_no_new_events(home):
    tdir = home / "tables" / "tiny"
    before = {p: p.stat().st_mtime_ns for p in tdir.rglob("*.parquet")}
    generate_beam("tiny", workers=1)  # nothing changed: nothing rewritten
    assert {p: p.stat().st_mtime_ns for p in tdir.rglob("*.parquet")} == before
    # a new Table-1 value re-normalises from the cached shards, without rerunning PYTHIA8
    text = (
        (home / "scenarios" / "beams" / "tiny.toml")
        .read_text()
        .replace("multiplicity = 4.3", "multiplicity = 5.0")
    )
    (home / "scenarios" / "beams" / "tiny.toml").write_text(text)
    generate_beam("tiny", workers=1)
    shards = [p for p in before if ".shards" in p.parts]
    assert shards and all(p.stat().st_mtime_ns == before[p] for p in shards)
    assert load_meson_samples("tiny", [111])["weight"].sum() == pytest.approx(5.0, rel=1e-12)


def test_interrupted_run_resumes_to_the_same_bytes(home):
    tdir = home / "tables" / "tiny"
    reference = _digests(tdir)
    shard = sorted((tdir / ".shards").glob("soft-*/00001-*.parquet"))[0]
    shard.unlink()  # as if the run had stopped before this shard
    (tdir / MANIFEST).unlink()
    generate_beam("tiny", workers=1)
    assert shard.is_file()
    assert _digests(tdir) == reference


def test_n_events_override_and_force(home, tmp_path):
    generate_beam("tiny", workers=1, tables_dir=tmp_path, n_events_override=100)
    tdir = tmp_path / "tiny"
    manifest = json.loads((tdir / MANIFEST).read_text())
    assert [p["n_events"] for p in manifest["productions"]] == [100, 100]
    assert load_meson_samples("tiny", [111], tables_dir=tmp_path)["weight"].sum() == pytest.approx(
        4.3
    )
    reference = _digests(tdir)
    shard = sorted((tdir / ".shards").glob("charmonium-*/*.parquet"))[0]
    before = shard.stat().st_mtime_ns
    generate_beam("tiny", workers=1, tables_dir=tmp_path, n_events_override=100, force=True)
    assert shard.stat().st_mtime_ns != before  # PYTHIA8 ran again ...
    assert _digests(tdir) == reference  # ... and made the same tables


def test_changed_setting_regenerates_and_drops_the_old_shards(home):
    tdir = home / "tables" / "tiny"
    old_soft = sorted((tdir / ".shards").glob("soft-*"))
    old_charm = sorted((tdir / ".shards").glob("charmonium-*"))
    preset = home / "scenarios" / "beams" / "tiny.toml"
    preset.write_text(preset.read_text().replace("factor = 10", "factor = 4"))
    generate_beam("tiny", workers=1)
    new_soft = sorted((tdir / ".shards").glob("soft-*"))
    assert len(old_soft) == len(new_soft) == 1 and old_soft != new_soft
    assert sorted((tdir / ".shards").glob("charmonium-*")) == old_charm  # untouched production
    pi0 = load_meson_samples("tiny", [111])
    wide = pi0.filter(pl.col("theta_rad") > 0.031)["weight"].unique().to_list()
    fwd = pi0.filter(pl.col("theta_rad") < 0.029)["weight"].unique().to_list()
    assert wide[0] / fwd[0] == pytest.approx(2.0)  # factors now 2 and 4


def test_inelastic_normalisation_refuses_elastic_events(home):
    preset = home / "scenarios" / "beams" / "tiny.toml"
    text = preset.read_text().replace(
        'feed_down = "inclusive"', 'feed_down = "inclusive"\nper = "inelastic p-p collision"'
    )
    preset.write_text(text)
    with pytest.raises(DipscanError, match="elastic events .* SoftQCD:inelastic"):
        generate_beam("tiny", workers=1)


def test_setting_unknown_to_pythia_is_a_scenario_error(home, tmp_path):
    preset = home / "scenarios" / "beams" / "tiny.toml"
    preset.write_text(
        preset.read_text().replace('"SoftQCD:elastic = on"', '"SoftQCD:elastics = on"')
    )
    with pytest.raises(ScenarioError, match=r"production\[0\]\.pythia.*SoftQCD:elastics") as info:
        generate_beam("tiny", workers=1, tables_dir=tmp_path)
    assert info.value.file.endswith("tiny.toml")
    assert not (tmp_path / "tiny").exists()


# ----------------------------------------------------------------------------------------------
# Reading errors: each names the file, the problem and how to regenerate.


def _pi0(home):
    return home / "tables" / "tiny" / "111_pi0.parquet"


def _rewrite(path, df, meta=None):
    kv = pl.read_parquet_metadata(path)
    if meta is not None:
        kv["dipscan.table"] = json.dumps(meta)
    df.write_parquet(path, metadata={k: v for k, v in kv.items() if k.startswith("dipscan")})


def _expect_error(match, pdgids=(111,)):
    with pytest.raises(TableError, match=match) as info:
        load_meson_samples("tiny", list(pdgids))
    msg = str(info.value)
    assert "make tables" in msg and "dipscan tables generate tiny" in msg
    return msg


def test_error_missing_manifest(home):
    (home / "tables" / "tiny" / MANIFEST).unlink()
    msg = _expect_error("manifest missing")
    assert "manifest.json" in msg


def test_error_missing_table(home):
    _pi0(home).unlink()
    assert "111_pi0.parquet" in _expect_error("missing")


@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_error_corrupt_parquet(home, damage):
    path = _pi0(home)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] if damage == "truncate" else b"not a parquet file" * 10)
    assert "111_pi0.parquet" in _expect_error("truncated or corrupt")


def test_error_missing_column(home):
    path = _pi0(home)
    _rewrite(path, pl.read_parquet(path).drop("weight"))
    _expect_error("missing column.*weight")


def test_error_wrong_dtype(home):
    path = _pi0(home)
    _rewrite(path, pl.read_parquet(path).with_columns(pl.col("p_GeV").cast(pl.Float64)))
    _expect_error("p_GeV is Float64")


def test_error_metadata_of_another_species(home):
    path = _pi0(home)
    meta = json.loads(pl.read_parquet_metadata(path)["dipscan.table"])
    _rewrite(path, pl.read_parquet(path), dict(meta, pdgid=221))
    _expect_error("metadata pdgid")


def test_error_altered_data(home):
    path = _pi0(home)
    _rewrite(path, pl.read_parquet(path).with_columns(pl.col("weight") * 2))
    _expect_error("sha256")


def test_error_file_from_another_generation(home):
    path = _pi0(home)
    _rewrite(
        path, pl.read_parquet(path)
    )  # same data, different encoding: not the file in the manifest
    _expect_error("differs from the one recorded in manifest")


def test_error_preset_changed_since_generation(home):
    preset = home / "scenarios" / "beams" / "tiny.toml"
    preset.write_text(preset.read_text().replace("factor = 10", "factor = 20"))
    msg = _expect_error("another configuration")
    assert "tiny.toml" in msg


def test_error_species_not_in_beam(home):
    with pytest.raises(
        SpeciesNotAvailable, match=r"species 553 is not available in the tables of beam 'tiny'"
    ) as info:
        load_meson_samples("tiny", [111, 553])
    assert "provides 111, 221, 321, 443" in str(info.value)
    assert isinstance(info.value, TableError)


def test_error_no_tables_for_beam(home, tmp_path):
    with pytest.raises(TableError, match="no meson tables for beam 'tiny'"):
        load_meson_samples("tiny", [111], tables_dir=tmp_path)
    with pytest.raises(TableError):
        table_digests("tiny", tables_dir=tmp_path)


def test_dask_shards_give_the_same_bytes(generated, tmp_path):
    from dipscan.cli.executors import open_executor

    home, _, _ = generated
    submitted = []
    with pytest.MonkeyPatch.context() as mp, open_executor("dask", workers=2) as executor:
        mp.setenv("DIPSCAN_HOME", str(home))
        real_submit = executor.submit

        def counting_submit(fn, *args, **kwargs):
            submitted.append(args[0])
            return real_submit(fn, *args, **kwargs)

        mp.setattr(executor, "submit", counting_submit)
        generate_beam("tiny", tables_dir=tmp_path / "tables", executor=executor)
    assert len(submitted) >= 2  # every shard went to the cluster
    assert _digests(tmp_path / "tables" / "tiny") == _digests(home / "tables1" / "tiny")
