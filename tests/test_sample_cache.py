"""The LLP sample cache: sound entries are reused, corrupt ones recomputed, only dipscan's files
are ever removed, and a rerun that changes nothing of the sampling draws nothing."""

import os
from pathlib import Path

import numpy as np
import pytest

from dipscan import cli
from dipscan.config.scenario import load_scenario
from dipscan.errors import DipscanError
from dipscan.io.sample_cache import ARRAYS, SampleCache, clear, list_entries
from dipscan.scan import plan
from dipscan.scan.pipeline import compute

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.toml"
KEY = "ab" * 32


def arrays(n=5, seed=0):
    rng = np.random.default_rng(seed)
    out = {name: rng.random(n) for name in ("weight", "p_GeV", "theta_rad", "phi_rad")}
    return {**out, "row": np.arange(0, 2 * n, 2), "n_drawn": 2 * n}


def test_entry_round_trips_bit_for_bit(tmp_path):
    cache = SampleCache(tmp_path, 10**9)
    stored = arrays()
    cache.store(KEY, stored)
    loaded = cache.load(KEY)
    for name in ("weight", "p_GeV", "theta_rad", "phi_rad"):
        assert loaded[name].tobytes() == stored[name].tobytes()
    assert np.array_equal(loaded["row"], stored["row"]) and loaded["n_drawn"] == stored["n_drawn"]
    assert (cache.hits, cache.misses) == (1, 0)


@pytest.mark.parametrize("damage", ["flip", "truncate", "other_key"])
def test_corrupt_entry_is_removed_never_trusted(tmp_path, damage):
    cache = SampleCache(tmp_path, 10**9)
    cache.store(KEY, arrays())
    path = cache.path(KEY)
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[-200] ^= 0xFF  # inside the last array's data
        path.write_bytes(bytes(raw))
    elif damage == "truncate":
        path.write_bytes(bytes(raw[: len(raw) // 2]))
    else:  # a sound file under the wrong name: its checksum includes the key
        other = "cd" * 32
        cache.store(other, arrays())
        os.replace(cache.path(other), path)
    assert cache.load(KEY) is None
    assert cache.rejected == 1 and not path.exists()


def test_least_recently_used_entries_go_first(tmp_path):
    cache = SampleCache(tmp_path, 10**9)
    keys = [f"{i:064x}" for i in range(4)]
    for age, key in enumerate(keys):
        cache.store(key, arrays(1000))
        os.utime(cache.path(key), (1e9 + age, 1e9 + age))
    cache.load(keys[0])  # used now: the newest
    size = cache.path(keys[0]).stat().st_size
    cache.limit_bytes = 2 * size
    cache.trim()
    assert sorted(p.name for p, _, _ in list_entries(tmp_path)) == sorted(
        cache.path(k).name for k in (keys[0], keys[3]))


def test_clear_removes_only_dipscan_entries(tmp_path):
    cache = SampleCache(tmp_path, 10**9)
    cache.store(KEY, arrays())
    mine = tmp_path / "notes.llp"
    mine.write_text("a user's file")
    (tmp_path / f".{KEY}.llp.tmp-12-0123abcd").write_text("torn write")
    cache.store_record(KEY, {"species": []})  # a table summary
    (tmp_path / f".{KEY}.json.tmp-12-0123abcd").write_text("torn write")
    (tmp_path / "notes.json").write_text("{}")
    assert clear(tmp_path)[0] == 4
    (tmp_path / "notes.json").unlink()
    assert [p.name for p in tmp_path.iterdir()] == ["notes.llp"]


def test_bad_size_limit_is_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DIPSCAN_SAMPLE_CACHE_MB", "lots")
    with pytest.raises(DipscanError, match="DIPSCAN_SAMPLE_CACHE_MB.*'lots'.*megabytes"):
        SampleCache.open(tmp_path)
    monkeypatch.setenv("DIPSCAN_SAMPLE_CACHE_MB", "0")
    assert SampleCache.open(tmp_path) is None  # off


def _no_drawing(*args, **kwargs):
    raise AssertionError("a unit was drawn although the cache holds it")


def _events_bytes(result):
    return result.events.write_csv().encode()


def test_rerun_changing_only_exposure_and_label_draws_nothing(tmp_path, monkeypatch):
    fresh = compute(load_scenario(TINY))  # no cache at all
    cached_first = compute(load_scenario(TINY), cache_dir=tmp_path)
    assert _events_bytes(cached_first) == _events_bytes(fresh)
    changed = tmp_path / "tiny_other_pot.toml"
    changed.write_text(TINY.read_text().replace('preset = "na62"',
                                                'preset = "na62"\npot = 3e17\nlabel = "other"')
                       .replace("points = 5", "points = 7"))  # and the coupling grid
    monkeypatch.setattr(plan, "sample_channel", _no_drawing)
    again = compute(load_scenario(TINY), cache_dir=tmp_path)
    assert _events_bytes(again) == _events_bytes(fresh)
    other = compute(load_scenario(changed), cache_dir=tmp_path)
    assert other.events["experiment"].unique().to_list() == ["other"]
    monkeypatch.undo()
    reference = compute(load_scenario(changed))
    assert _events_bytes(other) == _events_bytes(reference)


def test_a_run_whose_units_are_all_cached_reads_no_table(tmp_path, monkeypatch):
    from dipscan.scan import parents as parents_module

    first = compute(load_scenario(TINY), cache_dir=tmp_path)
    changed = tmp_path / "tiny_other_pot.toml"
    changed.write_text(TINY.read_text().replace('preset = "na62"', 'preset = "na62"\npot = 3e17'))
    reference = compute(load_scenario(changed))  # no cache: tables read, units drawn

    def no_reading(*args, **kwargs):
        raise AssertionError("a parent table was read")

    monkeypatch.setattr(parents_module, "load_meson_samples", no_reading)
    monkeypatch.setattr(plan, "sample_channel", _no_drawing)
    again = compute(load_scenario(changed), cache_dir=tmp_path)
    assert _events_bytes(again) == _events_bytes(reference)
    assert again.exposure.equals(reference.exposure) and not again.exposure.equals(first.exposure)
    # the summary is addressed by the table files: another table is read again
    digests = parents_module.table_digests
    monkeypatch.setattr(parents_module, "table_digests", lambda beam: {**digests(beam), "x": "y"})
    with pytest.raises(AssertionError, match="a parent table was read"):
        compute(load_scenario(changed), cache_dir=tmp_path)
    monkeypatch.setattr(parents_module, "table_digests", digests)
    # and a damaged summary is removed, never trusted
    (record,) = (tmp_path / "samples").glob("*.json")
    record.write_bytes(record.read_bytes().replace(b"0", b"1", 1)[:-3] + b"}}}")
    with pytest.raises(AssertionError, match="a parent table was read"):
        compute(load_scenario(changed), cache_dir=tmp_path)
    assert not record.exists()
    # a run with new units reads the table when it first draws one, to the same bytes
    monkeypatch.undo()
    compute(load_scenario(changed), cache_dir=tmp_path)  # the summary is cached again
    finer = tmp_path / "tiny_finer.toml"
    finer.write_text(changed.read_text().replace("max = 1.0\npoints = 4", "max = 1.0\npoints = 6"))
    assert finer.read_text() != changed.read_text()
    assert _events_bytes(compute(load_scenario(finer), cache_dir=tmp_path)) == _events_bytes(
        compute(load_scenario(finer)))


def test_corrupt_entry_in_a_run_is_recomputed_to_the_same_bytes(tmp_path):
    first = compute(load_scenario(TINY), cache_dir=tmp_path)
    entries = list_entries(tmp_path / "samples")
    assert entries
    for path, size, _ in entries:
        raw = bytearray(path.read_bytes())
        raw[size - 150] ^= 0x55
        path.write_bytes(bytes(raw))
    again = compute(load_scenario(TINY), cache_dir=tmp_path)
    assert _events_bytes(again) == _events_bytes(first)


def test_changing_the_sampling_draws_again(tmp_path, monkeypatch):
    compute(load_scenario(TINY), cache_dir=tmp_path)
    changed = tmp_path / "tiny_seed.toml"
    changed.write_text(TINY.read_text().replace("seed = 7", "seed = 8"))
    monkeypatch.setattr(plan, "sample_channel", _no_drawing)
    with pytest.raises(AssertionError, match="a unit was drawn"):
        compute(load_scenario(changed), cache_dir=tmp_path)


def test_cache_commands(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    compute(load_scenario(TINY), cache_dir=Path("outputs") / ".cache")
    n = len(list_entries(Path("outputs") / ".cache" / "samples"))
    records = len(list((Path("outputs") / ".cache" / "samples").glob("*.json")))
    grids = len(list((Path("outputs") / ".cache" / "samples").glob("*.events")))
    assert 0 < records < n  # a table summary per parent table read, beside the sampled units
    assert grids == 1  # the scenario's events per collision
    assert cli.main(["cache", "info"]) == 0
    assert (f"{n} entries ({n - records - grids} sampled units, {records} table summaries, "
            f"{grids} event grids)") in capsys.readouterr().out
    assert cli.main(["cache", "clear"]) == 0
    assert f"removed {n} sample-cache entries" in capsys.readouterr().out
    assert list_entries(Path("outputs") / ".cache" / "samples") == []


def test_cache_commands_manage_relic_lines_and_babar_grids_and_nothing_else(tmp_path, monkeypatch, capsys):
    from dipscan.limits.babar import BabarSelection
    from dipscan.scan.overlays import (
        babar_cache_path,
        relic_cache_path,
        write_array_cache,
        write_relic_cache,
    )

    monkeypatch.chdir(tmp_path)
    folder = Path("outputs") / ".cache"
    masses = np.geomspace(0.01, 1.0, 5)
    relic = relic_cache_path(0.1, masses, folder)
    write_relic_cache(relic, masses, masses * 1e-3)
    babar = babar_cache_path(BabarSelection(), 0.1, masses, masses, 3, folder)
    write_array_cache(babar, np.ones((5, 5)))
    old_relic = folder / "relic-0123456789abcdef.parquet"  # a relic line of the earlier cache layout
    old_relic.write_bytes(b"PAR1")
    torn = folder / f".{relic.name}.tmp-41-0123abcd"  # a run killed while writing
    torn.write_bytes(b"{")
    users = ["relic-notes.line", "babar-0123456789abcdef.grid.bak", "relic-0123456789ABCDEF.line",
             "grid.parquet", "results.csv", "xrelic-0123456789abcdef.line"]
    for name in users:
        (folder / name).write_text("a user's file")
    (folder / "babar-fedcba9876543210.grid").mkdir()  # a user's folder with a cache-like name
    assert cli.main(["cache", "info"]) == 0
    assert f"overlay cache {folder}: 2 relic lines, 1 BaBar grids" in capsys.readouterr().out
    assert cli.main(["cache", "clear"]) == 0
    assert "removed 4 overlay-cache files" in capsys.readouterr().out
    assert not relic.exists() and not babar.exists() and not old_relic.exists() and not torn.exists()
    assert sorted(p.name for p in folder.iterdir()) == sorted([*users, "babar-fedcba9876543210.grid"])
    assert all((folder / name).read_text() == "a user's file" for name in users)


def test_relic_line_split_over_a_pool_is_the_line_relic_line_reads(tmp_path, monkeypatch):
    """The sweep solves its relic lines on the pool; each must come back, masses in order,
    into the cache file that `relic_line` reads (here with a stand-in solver that is
    independent per mass, as the real one is)."""
    from concurrent.futures import ThreadPoolExecutor

    from dipscan.limits import relic
    from dipscan.scan import overlays
    from dipscan.scan.sweep import run_works

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "fig2_delta0p1.toml")
    monkeypatch.setattr(relic, "relic_coupling", lambda m, delta: np.asarray(m) * delta + 1e-9)
    with ThreadPoolExecutor(2) as pool:
        run_works(plan.relic_works([scenario, scenario], tmp_path), pool, workers=2)
    grid = scenario.mass_grid.values()
    monkeypatch.setattr(relic, "relic_coupling", _no_drawing)  # must come from the cache now
    masses, couplings = overlays.relic_line(0.1, float(grid.min()), float(grid.max()), tmp_path)
    assert masses.size == overlays.RELIC_MASS_POINTS
    assert couplings.tobytes() == (masses * 0.1 + 1e-9).tobytes()
    assert len(list(tmp_path.glob("relic-*.line"))) == 1


def test_key_changes_with_every_field_and_with_the_sampling_code(monkeypatch):
    import dataclasses

    unit = plan.scenario_units(load_scenario(TINY))[0]
    key = unit.cache_key("parents", "compiled")
    changed = [dataclasses.replace(unit, seed=8), dataclasses.replace(unit, mass_index=1),
               dataclasses.replace(unit, mass_GeV=unit.mass_GeV * (1 + 1e-15)),
               dataclasses.replace(unit, photon_floor_GeV=0.5),
               dataclasses.replace(unit, theta_accept_rad=0.01),
               dataclasses.replace(unit, max_samples=3000), dataclasses.replace(unit, beam="lhc14")]
    keys = {u.cache_key("parents", "compiled") for u in changed}
    keys |= {unit.cache_key("other parents", "compiled"), unit.cache_key("parents", "numpy")}
    assert key not in keys and len(keys) == len(changed) + 2
    monkeypatch.setattr(plan, "sampling_code_digest", lambda: "edited code")
    assert unit.cache_key("parents", "compiled") != key


def test_infinite_size_limit_is_one_line_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DIPSCAN_SAMPLE_CACHE_MB", "inf")
    with pytest.raises(DipscanError, match="DIPSCAN_SAMPLE_CACHE_MB.*'inf'"):
        SampleCache.open(tmp_path)


def test_an_empty_unit_round_trips(tmp_path):
    cache = SampleCache(tmp_path, 10**9)
    cache.store(KEY, arrays(0))
    loaded = cache.load(KEY)
    assert all(loaded[name].size == 0 for name in ARRAYS) and loaded["n_drawn"] == 0


def test_entries_written_in_the_background_are_the_same_and_on_disk_after_flush(tmp_path):
    ahead = SampleCache(tmp_path / "background", 10**9, background=True)
    inline = SampleCache(tmp_path / "inline", 10**9)
    for k in range(40):  # more than the writes allowed to wait: store() then waits for room
        ahead.store(f"{k:064x}", arrays(300, seed=k))
        inline.store(f"{k:064x}", arrays(300, seed=k))
    ahead.flush()
    for k in range(40):
        assert ahead.path(f"{k:064x}").read_bytes() == inline.path(f"{k:064x}").read_bytes()
    loaded = ahead.load(f"{7:064x}")
    assert loaded["p_GeV"].tobytes() == arrays(300, seed=7)["p_GeV"].tobytes()


def test_trim_waits_for_entries_still_being_written(tmp_path):
    cache = SampleCache(tmp_path, 10**9, background=True)
    for k in range(5):
        cache.store(f"{k:064x}", arrays(1000, seed=k))
    cache.limit_bytes = 0
    cache.trim()  # every entry written first, then all of them removed: none left behind
    assert list_entries(tmp_path) == [] and not list(tmp_path.iterdir())
