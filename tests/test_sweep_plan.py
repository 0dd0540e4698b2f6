"""The sweep plan hands out every piece of shared work once, the largest first: sampling units
by parent species, the BaBar recast grids in mass pieces, the thermal-relic lines."""

from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from dipscan.config.scenario import load_scenario
from dipscan.limits import babar
from dipscan.scan import overlays, plan
from dipscan.scan.sweep import run_works

ROOT = Path(__file__).resolve().parents[1]
FIG2 = ROOT / "scenarios" / "fig2_delta0p1.toml"


class Inline(Executor):
    """Runs each task as it is submitted (the compiled kernels must not be entered from two
    threads of one process)."""

    def submit(self, fn, /, *args, **kwargs):
        future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_tasks_hold_every_unit_with_a_table_once_costliest_first():
    scenarios = [load_scenario(ROOT / "scenarios" / name)
                 for name in ("fig2_delta0p1.toml", "fig3_delta0p1.toml", "fig4_e.toml")]
    sweep = plan.plan_sweep(scenarios)
    tasks = plan.unit_tasks(sweep.unique, workers=2)
    handed = [u for task in tasks for u in task]
    assert len(handed) == len(set(handed))
    rows = {beam: plan._table_rows(beam) for beam in {u.beam for u in sweep.unique}}
    with_table = {u for u in sweep.unique if rows[u.beam].get(abs(u.channel.parent_pdgid), 0)}
    assert set(handed) == with_table
    assert len(with_table) < len(sweep.unique)  # lhc14 has no charged-meson tables
    for task in tasks:  # one table read per task
        assert len({(u.beam, abs(u.channel.parent_pdgid), u.model_all_params) for u in task}) == 1

    def cost(task):
        return sum(min(rows[u.beam][abs(u.channel.parent_pdgid)], u.max_samples) for u in task)

    costs = [cost(t) for t in tasks]
    assert costs == sorted(costs, reverse=True) and costs[0] > costs[-1]
    assert len(tasks) >= 2 * 8  # enough pieces to keep both cores busy


def test_babar_grid_in_pieces_is_the_whole_grid():
    masses, couplings = np.geomspace(0.05, 2.0, 7), np.logspace(-5, -1, 6)
    whole = babar.babar_event_yield(masses, 0.1, couplings, rng=3, n_samples=2000)
    pieces = np.concatenate([babar.babar_event_yield(masses, 0.1, couplings, rng=3, n_samples=2000,
                                                     rows=range(i, min(i + 3, masses.size)))
                             for i in range(0, masses.size, 3)])
    assert whole.any()
    assert pieces.tobytes() == whole.tobytes()


def test_sweep_computes_each_babar_grid_once_into_the_cache_the_run_reads(tmp_path, monkeypatch):
    scenario = load_scenario(FIG2)
    calls = []
    real = babar.babar_event_yield

    def counted(*args, **kwargs):
        calls.append(kwargs.get("rows"))
        return real(*args, **{**kwargs, "n_samples": 300})

    monkeypatch.setattr(babar, "babar_event_yield", counted)
    with ThreadPoolExecutor(2) as pool:
        run_works(plan.babar_works([scenario, scenario], tmp_path), pool, workers=2)
    masses = scenario.mass_grid.values()
    assert sorted(r.start for r in calls) == list(range(0, masses.size, 8))  # one grid, in pieces
    assert len(list(tmp_path.glob("babar-*.grid"))) == 1
    monkeypatch.setattr(babar, "babar_event_yield", lambda *a, **k: (_ for _ in ()).throw(
        AssertionError("recomputed")))
    recast = scenario.overlays.babar[0]
    events = overlays.babar_events(recast.selection, 0.1, masses, scenario.coupling_grid.values(),
                                   scenario.seed, tmp_path)
    assert events.shape == (masses.size, scenario.coupling_grid.values().size) and events.any()
    assert plan.babar_grids([scenario], tmp_path) == {}  # nothing left to compute


def test_scenarios_of_a_sweep_take_their_blocks_from_the_pool_to_the_same_bytes(tmp_path, monkeypatch):
    """Every unit is drawn and weighted once on the pool for all the scenarios that read it;
    the scenarios then draw nothing and give the bytes of a run on their own."""
    from dipscan.scan.pipeline import compute

    tiny = ROOT / "scenarios" / "examples" / "tiny.toml"
    low = tmp_path / "tiny_low.toml"
    low.write_text(tiny.read_text().replace('preset = "na62"', 'preset = "na62"\n'
                                            'photon_threshold_GeV = 0.5\nlabel = "low"'))
    scenarios = [load_scenario(tiny), load_scenario(low)]
    alone = [compute(s) for s in scenarios]
    monkeypatch.setenv("DIPSCAN_SAMPLE_CACHE_MB", "0")  # blocks travel without the cache
    sweep = plan.plan_sweep(scenarios)
    ready = plan.prepare_sweep(sweep, scenarios, Inline(), tmp_path, workers=2)
    assert [set(r) for r in ready] == [set(u) for u in sweep.per_scenario]

    def no_drawing(*args, **kwargs):
        raise AssertionError("a unit was drawn again")

    monkeypatch.setattr(plan, "sample_channel", no_drawing)
    for scenario, blocks, reference in zip(scenarios, ready, alone, strict=True):
        result = compute(scenario, ready=blocks)
        assert result.events.write_csv() == reference.events.write_csv()
        assert result.sample_counts == reference.sample_counts
