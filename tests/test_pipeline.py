"""The fast reduction against the per-sample reference on real LLP samples, and exposure."""

from pathlib import Path

import numpy as np
import pytest

from dipscan.config.scenario import load_scenario
from dipscan.physics.models import make_model
from dipscan.scan.contours import iso_contours
from dipscan.scan.experiments import REFERENCE_COLLISIONS
from dipscan.scan.parents import load_parents, species_multiplicities
from dipscan.scan.pipeline import grid_inputs, meson_exposure, sample_blocks
from dipscan.scan.reduce import event_counts, reference_event_counts, total_grid
from dipscan.scan.sampling import Parents

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.toml"


@pytest.fixture(scope="module")
def tiny():
    scenario = load_scenario(TINY)
    model = make_model(scenario.model.kind, **dict(scenario.model.params))
    masses = np.geomspace(0.05, 1.0, 6)
    couplings = np.geomspace(1e-7, 1e-1, 13)
    channels = [model.channels(float(m)) for m in masses]
    parents = {"sps400": load_parents("sps400", {c.parent_pdgid for cs in channels for c in cs}, [])}
    blocks, _ = sample_blocks(scenario, model, masses, channels,
                              {beam: Parents.by_pdgid(frame) for beam, frame in parents.items()})
    return scenario, model, masses, couplings, channels, parents, blocks


def test_fast_path_contours_do_not_move(tiny):
    scenario, model, masses, couplings, channels, _, blocks = tiny
    grid = grid_inputs(scenario, model, masses, couplings, channels)
    label = scenario.experiments[0].label
    # the weights count for REFERENCE_COLLISIONS: the experiment's exposure multiplies at the end
    pot = scenario.experiments[0].exposure.n_collisions() / REFERENCE_COLLISIONS
    fast = pot * total_grid(event_counts(blocks, grid), label, masses.size, couplings.size)
    reference = pot * reference_event_counts(blocks, grid)[0]
    relevant = reference > 1e-2
    np.testing.assert_allclose(fast[relevant], reference[relevant], rtol=2e-3)
    a = iso_contours(masses, couplings, fast, 3.0)
    b = iso_contours(masses, couplings, reference, 3.0)
    assert len(a) == len(b) >= 1
    for (ma, da, _), (mb, db, _) in zip(a, b, strict=True):
        np.testing.assert_allclose(np.log10(da), np.log10(db), atol=2e-3)
        np.testing.assert_allclose(np.log10(ma), np.log10(mb), atol=2e-3)


def test_exposure_is_collisions_times_table1(tiny):
    scenario, *_, parents, _ = tiny
    exposure = meson_exposure(scenario, {"sps400": species_multiplicities(parents["sps400"])})
    pot = scenario.experiments[0].exposure.n_collisions()
    rho = exposure.filter(exposure["pdgid"] == 113).row(0, named=True)
    assert rho["n_produced"] == pytest.approx(pot * 0.58, rel=1e-9)  # Table 1: f_rho = 0.58
    jpsi = exposure.filter(exposure["pdgid"] == 443).row(0, named=True)
    assert jpsi["n_produced"] == pytest.approx(pot * 4.7e-6 * 63.5**0.29, rel=1e-9)


def test_adding_an_experiment_leaves_the_others_unchanged(tmp_path):
    # Photon-mode experiments draw photons; each has its own random stream. (The added one has
    # the same acceptance, so the LLP samples shared on the beam are the same too.)
    import polars as pl

    from dipscan.scan.pipeline import compute

    base = TINY.read_text().replace('preset = "na62"', 'preset = "na62"\ngeometry_mode = "photon"')
    one = tmp_path / "one.toml"
    one.write_text(base)
    two = tmp_path / "two.toml"
    # the added experiment comes first, so a shared stream would shift NA62's draws
    two.write_text(base.replace("[[experiment]]", '[[experiment]]\npreset = "hike"\n'
                                                  'geometry_mode = "photon"\n\n[[experiment]]', 1))
    label = "NA62 1e18 POT"
    a = compute(load_scenario(one)).events.filter(pl.col("experiment") == label)
    b = compute(load_scenario(two)).events.filter(pl.col("experiment") == label)
    assert a["n_events"].sum() > 0
    assert a.equals(b)


def test_charged_parents_are_loaded_once_per_charge():
    # One table holds K+ and K-: the neutrino channels of both charges must not load it twice.
    scenario = load_scenario(TINY.parent / "tiny_nu.toml")
    model = make_model(scenario.model.kind, **dict(scenario.model.params))
    ids = {c.parent_pdgid for c in model.channels(0.1)}
    assert {321, -321} <= ids
    parents = {"sps400": species_multiplicities(load_parents("sps400", ids, []))}
    exposure = meson_exposure(scenario, parents)
    per_id = dict(zip(exposure["pdgid"].to_list(), exposure["multiplicity"].to_list(), strict=True))
    assert per_id[321] == pytest.approx(0.29, rel=1e-9)  # K+ decaying in flight (sec. 4.1)
    assert per_id[-321] == pytest.approx(0.07, rel=1e-9)
    assert per_id[411] + per_id[-411] == pytest.approx(4.3e-4, rel=1e-9)  # Table 1, D+-
    names = dict(zip(exposure["pdgid"].to_list(), exposure["meson"].to_list(), strict=True))
    assert names[321] == "K+" and names[-321] == "K-"


def test_units_on_threads_give_the_same_blocks_as_one_thread():
    """Units on two threads, or one, or with the compiled kernels spread over numba's threads
    (large batches from the main thread): every block is the same, to the bit, in the same
    order, and so are the sample counts."""
    from dipscan.physics.decays import kernels

    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                             / "geometry_modes_delta0p01.toml")  # paper, volume and photon modes
    model = make_model(scenario.model.kind, **dict(scenario.model.params))
    masses = np.array([0.02, 0.3])
    channels = [model.channels(float(m)) for m in masses]
    ids = {c.parent_pdgid for cs in channels for c in cs}
    parents = {spec.beam: Parents.by_pdgid(load_parents(spec.beam, ids, []))
               for spec in scenario.experiments}
    runs = [sample_blocks(scenario, model, masses, channels, parents, threads=n) for n in (1, 2)]
    saved = kernels.PARALLEL_MIN_ROWS
    kernels.PARALLEL_MIN_ROWS = 0
    try:
        runs.append(sample_blocks(scenario, model, masses, channels, parents, threads=1))
    finally:
        kernels.PARALLEL_MIN_ROWS = saved
    (first, counts), others = runs[0], runs[1:]
    assert len(first) > 10 and sum(counts.values()) > 0
    for blocks, other_counts in others:
        assert other_counts == counts
        assert [(b.experiment, b.mass_index, b.channel, b.l_start_m) for b in blocks] == \
            [(b.experiment, b.mass_index, b.channel, b.l_start_m) for b in first]
        for a, b in zip(first, blocks, strict=True):
            assert a.weight.tobytes() == b.weight.tobytes()
            assert a.betagamma.tobytes() == b.betagamma.tobytes()


def test_in_order_keeps_the_order_and_stops_at_the_first_error():
    import threading
    import time

    from dipscan.scan.pipeline import in_order

    def slow_square(x):
        time.sleep(0.002 * (x % 3))  # finish out of order
        return x * x, threading.current_thread().name

    results = list(in_order(slow_square, list(range(40)), threads=2))
    assert [r for r, _ in results] == [x * x for x in range(40)]
    assert len({name for _, name in results}) == 2  # both threads worked

    started = []

    def fails_at_five(x):
        started.append(x)
        if x == 5:
            raise ValueError("unit 5")
        return x

    with pytest.raises(ValueError, match="unit 5"):
        list(in_order(fails_at_five, list(range(1000)), threads=2))
    assert len(started) < 20  # the units queued behind the error were not run


def test_a_species_without_a_table_is_reported_and_the_others_are_read():
    omitted: list[str] = []
    frame = load_parents("u70", {111, -553, 553}, omitted)  # no Upsilon at sqrt(s) = 11.5 GeV
    assert omitted == ["u70: no table for PDG id 553; its channels are left out"]
    assert frame["pdg_id"].unique().to_list() == [111] and frame.height > 0
    assert load_parents("u70", {553}, []).height == 0
