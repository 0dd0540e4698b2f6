"""Events without the exposure and their cache: a rerun that changes only the exposure scales a
stored grid instead of sampling, weighing and reducing, and gives the bytes of a cold run."""

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dipscan.cli import commands as cli
from dipscan.config.scenario import load_scenario
from dipscan.io.sample_cache import SampleCache
from dipscan.physics.models.base import MesonDecayModel
from dipscan.scan import events_cache, pipeline, plan
from dipscan.scan.pipeline import beam_tables, compute, events_cached

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.toml"
TINY_NU = ROOT / "scenarios" / "examples" / "tiny_nu.toml"
OUTPUTS = ("events.parquet", "events.csv", "contours.parquet", "contours.csv", "summary.csv",
           "exposure.csv", "dominant_channels.csv", "band_dominance.csv")


def _with_pot(folder: Path, pot: str, name: str = "study") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(TINY.read_text().replace('preset = "na62"', f'preset = "na62"\npot = {pot}'))
    return path


def _run(folder: Path, scenario: Path, monkeypatch, *options: str) -> Path:
    monkeypatch.chdir(folder)
    assert cli.main(["run", *options, str(scenario)]) == 0
    return folder / "outputs" / scenario.stem


def test_a_pot_only_rerun_gives_the_bytes_of_a_cold_run(tmp_path, monkeypatch):
    warm, cold = tmp_path / "warm", tmp_path / "cold"
    warm.mkdir()
    cold.mkdir()
    _run(warm, _with_pot(warm, "1e18"), monkeypatch)
    # The same file name, another POT: in the first folder the events come from the cache.
    rerun = _run(warm, _with_pot(warm, "3e17"), monkeypatch)
    fresh = _run(cold, _with_pot(cold, "3e17"), monkeypatch)
    assert '"events_source": "events cache"' in (rerun / "provenance.json").read_text()
    assert '"events_source": "computed"' in (fresh / "provenance.json").read_text()
    compared = [name for name in OUTPUTS if (fresh / name).exists()]
    assert {"events.parquet", "contours.csv", "summary.csv"} <= set(compared)
    for name in compared:
        assert (rerun / name).read_bytes() == (fresh / name).read_bytes(), name
    # and the record of what was computed: samples per channel, mesons, omitted channels, BR
    records = [json.loads((folder / "provenance.json").read_text()) for folder in (rerun, fresh)]
    for record in records:
        for volatile in ("timings_s", "events_source", "scenario", "dipscan"):
            record.pop(volatile)
    assert records[0]["llp_samples_per_channel"]
    assert records[0] == records[1]



def test_a_hit_computes_no_width_and_keeps_the_largest_branching_ratio(tmp_path, monkeypatch):
    cold = compute(load_scenario(_with_pot(tmp_path, "1e18")), cache_dir=tmp_path / "cache")
    assert cold.events_source == "computed" and cold.max_branching_ratio > 0

    def refuse(*args, **kwargs):
        raise AssertionError("a width computed on a hit")

    monkeypatch.setattr(MesonDecayModel, "branching_ratio", refuse)
    hit = compute(load_scenario(_with_pot(tmp_path, "3e17")), cache_dir=tmp_path / "cache")
    assert hit.events_source == "events cache"
    assert hit.max_branching_ratio == cold.max_branching_ratio


@pytest.mark.parametrize("kernels", ["compiled", "numpy"])
def test_twice_the_exposure_is_twice_the_events_bit_for_bit(tmp_path, monkeypatch, kernels):
    """N(2E) = 2 N(E) to the bit (a product by 2 is exact), on the compiled and the numpy
    reference path; and the numbers scale, they are not the same grid twice."""
    monkeypatch.setenv("DIPSCAN_KERNELS", kernels)
    one = compute(load_scenario(_with_pot(tmp_path, "1e18", "one")))
    two = compute(load_scenario(_with_pot(tmp_path, "2e18", "two")))
    n_one, n_two = one.events["n_events"].to_numpy(), two.events["n_events"].to_numpy()
    assert n_one.max() > 0
    assert np.array_equal(n_two, 2.0 * n_one)
    band = [c for c in one.events.columns if c.startswith("n_events_")]
    assert band  # the uncertainty bands scale the same way
    for column in band:
        assert np.array_equal(two.events[column].to_numpy(), 2.0 * one.events[column].to_numpy(),
                              equal_nan=True)  # channel rows carry no band


def test_the_exposure_multiplies_the_reference_sums(tmp_path):
    """The weights count for REFERENCE_COLLISIONS: the run's events are the per-sample
    reference sum of the same blocks times POT / REFERENCE_COLLISIONS (binning error only)."""
    from dipscan.scan.experiments import REFERENCE_COLLISIONS
    from dipscan.scan.reduce import reference_event_counts

    scenario = load_scenario(TINY)
    model = pipeline.make_model(scenario.model.kind, **dict(scenario.model.params))
    masses, couplings = scenario.mass_grid.values(), scenario.coupling_grid.values()
    channels = [model.channels(float(m)) for m in masses]
    tables = beam_tables(scenario, channels, [], None)
    blocks, _ = pipeline.sample_blocks(scenario, model, masses, channels,
                                       {b: t.species for b, t in tables.items()})
    grid = pipeline.grid_inputs(scenario, model, masses, couplings, channels)
    pot = scenario.experiments[0].exposure.n_collisions() / REFERENCE_COLLISIONS
    reference = pot * reference_event_counts(blocks, grid)[0]
    result = compute(scenario).total_grid(scenario.experiments[0].label)
    relevant = reference > 1e-2
    assert relevant.any()
    np.testing.assert_allclose(result[relevant], reference[relevant], rtol=2e-3)


_HIT_SCRIPT = """
import sys
from pathlib import Path
from dipscan.config.scenario import load_scenario
from dipscan.io import sample_cache
from dipscan.scan import parents
from dipscan.scan.pipeline import compute

def refuse(*args, **kwargs):
    raise AssertionError("read on a hit")

sample_cache.SampleCache.load = refuse  # the sampled units
parents.load_meson_samples = refuse  # the tables' arrays
result = compute(load_scenario(sys.argv[1]), cache_dir=Path(sys.argv[2]))
assert result.events_source == "events cache", result.events_source
assert result.events["n_events"].sum() > 0
print("numba" in sys.modules, "dipscan.scan.response_kernels" in sys.modules)
"""


def test_a_hit_neither_imports_numba_nor_reads_samples_or_tables(tmp_path):
    def run(script: str, scenario: Path) -> str:
        env = {**os.environ, "DIPSCAN_SAMPLE_CACHE_MB": "8192"}
        env.pop("DIPSCAN_SAMPLE_CACHE", None)
        done = subprocess.run([sys.executable, "-c", script, str(scenario), str(tmp_path / "cache")],
                              capture_output=True, text=True, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    compute(load_scenario(TINY), cache_dir=tmp_path / "cache")
    assert run(_HIT_SCRIPT, _with_pot(tmp_path, "5e17")) == ["False", "False"]
    # The check can fail: a miss (another seed) draws, weighs and so loads numba.
    seed = tmp_path / "seed.toml"
    seed.write_text(TINY.read_text().replace("seed = 7", "seed = 8"))
    miss = _HIT_SCRIPT.replace("sample_cache.SampleCache.load = refuse", "") \
        .replace("parents.load_meson_samples = refuse", "") \
        .replace('assert result.events_source == "events cache"', 'assert result.events_source == "computed"')
    assert run(miss, seed) == ["True", "True"]


def _key(scenario) -> str:
    model = pipeline.make_model(scenario.model.kind, **dict(scenario.model.params))
    channels = [model.channels(float(m)) for m in scenario.mass_grid.values()]
    tables = beam_tables(scenario, channels, [], None)
    return events_cache.events_key(scenario, tables, "compiled", pipeline.mc_variance(scenario))


def _edit_experiment(scenario, **changes):
    spec = scenario.experiments[0]
    geometry = {k: changes.pop(k) for k in list(changes) if k.startswith("l_")}
    if geometry:
        changes["geometry"] = dataclasses.replace(spec.geometry, **geometry)
    return dataclasses.replace(scenario, experiments=[dataclasses.replace(spec, **changes)])


def _photon(scenario):
    spec = scenario.experiments[0]
    return _edit_experiment(scenario, geometry=dataclasses.replace(spec.geometry, mode="photon"))


MISSES = {
    "decay region end": lambda s: _edit_experiment(s, l_end_m=s.experiments[0].geometry.l_end_m + 1),
    "photon threshold": lambda s: _edit_experiment(s, photon_threshold_GeV=2.0),
    "efficiency": lambda s: _edit_experiment(s, efficiency=0.5),
    "target": lambda s: _edit_experiment(s, target_mass_number=12.0),
    "seed": lambda s: dataclasses.replace(s, seed=8),
    "sample cap": lambda s: dataclasses.replace(s, llp_samples_max=3000),
    "coupling grid": lambda s: dataclasses.replace(s, coupling_grid=dataclasses.replace(
        s.coupling_grid, points=6)),
    "mass grid": lambda s: dataclasses.replace(s, mass_grid=dataclasses.replace(s.mass_grid, max=0.9)),
    "delta": lambda s: dataclasses.replace(s, model=dataclasses.replace(
        s.model, params=tuple({**dict(s.model.params), "delta": 0.2}.items()))),
    "MC variance": lambda s: dataclasses.replace(s, uncertainties=dataclasses.replace(
        s.uncertainties, mc_statistics=not s.uncertainties.mc_statistics)),
}
KEEPS = {
    "pot": lambda s: _edit_experiment(s, exposure=dataclasses.replace(s.experiments[0].exposure,
                                                                      pot=3e17)),
    "label": lambda s: _edit_experiment(s, label="other"),
    "colour": lambda s: _edit_experiment(s, color="C3"),
    "N level": lambda s: dataclasses.replace(s, output=dataclasses.replace(s.output, n_events=10.0)),
}


@pytest.mark.parametrize("change", MISSES)
def test_a_change_of_what_decides_the_events_is_another_key(change):
    scenario = load_scenario(TINY)
    changed = MISSES[change](scenario)
    assert changed != scenario
    assert _key(changed) != _key(scenario)


@pytest.mark.parametrize("change", KEEPS)
def test_exposure_labels_styles_and_level_keep_the_key(change):
    scenario = load_scenario(TINY)
    changed = KEEPS[change](scenario)
    assert changed != scenario
    assert _key(changed) == _key(scenario)


def test_a_photon_mode_label_is_in_the_key_as_it_names_the_photon_stream():
    photon = _photon(load_scenario(TINY))
    assert _key(_edit_experiment(photon, label="other")) != _key(photon)


def test_the_kernel_choice_and_the_code_are_in_the_key(monkeypatch):
    scenario = load_scenario(TINY)
    model = pipeline.make_model(scenario.model.kind, **dict(scenario.model.params))
    tables = beam_tables(scenario, [model.channels(float(m)) for m in scenario.mass_grid.values()],
                         [], None)
    compiled = events_cache.events_key(scenario, tables, "compiled", False)
    assert events_cache.events_key(scenario, tables, "numpy", False) != compiled
    monkeypatch.setattr(events_cache, "events_code_digest", lambda: "another code")
    assert events_cache.events_key(scenario, tables, "compiled", False) != compiled


def test_a_changed_seed_is_computed_again_end_to_end(tmp_path):
    first = compute(load_scenario(TINY), cache_dir=tmp_path)
    assert first.events_source == "computed"
    assert compute(load_scenario(TINY), cache_dir=tmp_path).events_source == "events cache"
    seed = tmp_path / "seed.toml"
    seed.write_text(TINY.read_text().replace("seed = 7", "seed = 8"))
    other = compute(load_scenario(seed), cache_dir=tmp_path)
    assert other.events_source == "computed"
    assert not other.events["n_events"].equals(first.events["n_events"])


@pytest.mark.parametrize("damage", ["flip", "truncate", "header", "unreadable"])
def test_a_damaged_events_entry_is_recomputed_with_a_one_line_note(tmp_path, monkeypatch, capsys,
                                                                   damage):
    study = _with_pot(tmp_path, "1e18")
    first = _run(tmp_path, study, monkeypatch)
    reference = {name: (first / name).read_bytes() for name in OUTPUTS if (first / name).exists()}
    (entry,) = (tmp_path / "outputs" / ".cache" / "samples").glob("*.events")
    raw = bytearray(entry.read_bytes())
    if damage == "flip":
        raw[len(raw) // 2] ^= 0x55
    elif damage == "truncate":
        raw = raw[:len(raw) // 3]
    elif damage == "header":
        raw[:8] = b"00000000"
    entry.write_bytes(bytes(raw))
    if damage == "unreadable":
        entry.unlink()
        entry.mkdir()  # read_bytes fails with an OSError other than a missing file
    capsys.readouterr()
    again = _run(tmp_path, study, monkeypatch, "--recompute")
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if "events-cache entry" in line]
    assert len(notes) == 1 and notes[0].startswith("note: "), err
    assert "Traceback" not in err
    assert '"events_source": "computed"' in (again / "provenance.json").read_text()
    for name, data in reference.items():
        assert (again / name).read_bytes() == data, name
    if damage != "unreadable":  # the damaged entry was replaced by a sound one
        assert events_cache.load(SampleCache.open(tmp_path / "outputs" / ".cache"),
                                 entry.stem) is not None


class _Inline:
    """A pool that runs each task as it is submitted, in this process."""

    def submit(self, fn, /, *args, **kwargs):
        from concurrent.futures import Future

        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:  # noqa: BLE001 (handed to the sweep, as a pool would)
            future.set_exception(err)
        return future


def test_a_sweep_draws_no_unit_of_a_scenario_whose_events_are_cached(tmp_path, monkeypatch):
    from dipscan.cli import executors
    from dipscan.cli.run import run_scenarios

    monkeypatch.chdir(tmp_path)
    dark = _with_pot(tmp_path, "1e18", "dark")
    assert cli.main(["run", str(dark)]) == 0
    dark_units = set(plan.scenario_units(load_scenario(dark)))
    neutrino = tmp_path / "neutrino.toml"
    neutrino.write_text(TINY_NU.read_text())
    other_pot = _with_pot(tmp_path, "4e17", "dark")  # the same study, another POT
    assert events_cached(load_scenario(other_pot), Path("outputs") / ".cache")
    assert not events_cached(load_scenario(neutrino), Path("outputs") / ".cache")

    drawn = []
    real_draw = plan.draw_unit

    def recording(unit, *args, **kwargs):
        drawn.append(unit)
        return real_draw(unit, *args, **kwargs)

    monkeypatch.setattr(plan, "draw_unit", recording)
    monkeypatch.setattr(pipeline, "draw_unit", recording)
    monkeypatch.setattr(executors, "open_executor",
                        lambda *args, **kwargs: contextlib.nullcontext(_Inline()))
    run_scenarios([other_pot, neutrino], workers=2)
    assert drawn and not dark_units & set(drawn)  # the neutrino study's units only
    record = (tmp_path / "outputs" / "dark" / "provenance.json").read_text()
    assert '"events_source": "events cache"' in record
    # the plan itself holds none of the cached scenario's units
    sweep = plan.plan_sweep([load_scenario(other_pot), load_scenario(neutrino)], [True, False])
    assert sweep.per_scenario[0] == [] and sweep.per_scenario[1]
    assert pl.read_csv(tmp_path / "outputs" / "dark" / "events.csv")["n_events"].sum() > 0


def test_asking_whether_events_are_cached_never_reads_a_table(tmp_path, monkeypatch):
    """The sweep asks for every scenario before it starts: with no table summary in the cache
    the answer is no, without reading the tables in the main process."""
    from dipscan.scan import parents

    def no_reading(*args, **kwargs):
        raise AssertionError("a parent table was read")

    monkeypatch.setattr(parents, "load_meson_samples", no_reading)
    assert not events_cached(load_scenario(TINY), tmp_path)
    monkeypatch.undo()
    compute(load_scenario(TINY), cache_dir=tmp_path)
    monkeypatch.setattr(parents, "load_meson_samples", no_reading)
    assert events_cached(load_scenario(_with_pot(tmp_path, "2e17")), tmp_path)
    for summary in (tmp_path / "samples").glob("*.json"):
        summary.unlink()
    assert not events_cached(load_scenario(TINY), tmp_path)


def test_event_grids_count_in_the_size_bound_and_are_cleared(tmp_path, capsys, monkeypatch):
    from dipscan.io.sample_cache import list_entries

    compute(load_scenario(TINY), cache_dir=tmp_path)
    folder = tmp_path / "samples"
    (grid,) = folder.glob("*.events")
    assert grid in {path for path, _, _ in list_entries(folder)}
    others = sum(size for path, size, _ in list_entries(folder) if path != grid)
    # a limit that holds every entry but the grid's bytes: the least recently used go first
    cache = SampleCache(folder, limit_bytes=others)
    for path, _, _ in list_entries(folder):
        if path != grid:
            os.utime(path)  # used after the grid
    os.utime(grid, (1, 1))
    cache.trim()
    assert not grid.exists() and list_entries(folder)
    compute(load_scenario(TINY), cache_dir=tmp_path)  # the grid is computed and kept again
    assert grid.exists()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIPSCAN_SAMPLE_CACHE", str(tmp_path / "samples"))
    assert cli.main(["cache", "clear"]) == 0
    assert not grid.exists() and list_entries(folder) == []
