"""Prescales and normalisation arithmetic (pure functions, no PYTHIA8)."""

import math

import numpy as np
import pytest

from dipscan.production.normalise import (
    keep_mask,
    normalised_weights,
    prescale_factors,
    raw_multiplicity,
    split_weights,
)
from dipscan.production.shard import PYTHIA_SEED_MAX, shard_seeds


def test_prescale_bins_are_half_open_and_cover_all_angles():
    edges = np.array([0.01, 0.03, math.inf])
    factors = np.array([2.0, 5.0, 50.0])
    theta = np.array([0.0, 0.00999, 0.01, 0.02999, 0.03, 1.0, math.pi])
    assert prescale_factors(theta, edges, factors).tolist() == [2, 2, 5, 5, 50, 50, 50]
    # a last edge at exactly pi still takes theta = pi
    assert prescale_factors(
        np.array([math.pi]), np.array([0.1, math.pi]), np.array([1.0, 3.0])
    ).tolist() == [3.0]


def test_keep_fraction_is_one_over_factor():
    rng = np.random.default_rng(7)
    n = 400_000
    factor = np.full(n, 8.0)
    kept = keep_mask(factor, rng.random(n)).sum()
    expected = n / 8
    assert abs(kept - expected) < 5 * math.sqrt(expected)
    assert keep_mask(np.ones(5), rng.random(5)).all()  # factor 1 keeps everything


@pytest.mark.parametrize("multiplicity", [4.3, 0.021, 4.7e-6, 2.2e-9])
def test_weights_sum_to_the_multiplicity_and_follow_the_prescale(multiplicity):
    factor = np.array([1.0, 1.0, 25.0, 100.0, 1000.0, 3.0])
    w = normalised_weights(factor, multiplicity)
    assert math.isclose(w.sum(), multiplicity, rel_tol=1e-14)
    # a row kept one time in 25 stands for 25 times as many mesons as an unprescaled row
    assert w[2] / w[0] == pytest.approx(25.0, rel=1e-15)


def test_unbiased_estimate_of_a_forward_fraction():
    # 30% of mesons forward; forward kept 1 in 2, the rest 1 in 20: the weighted forward
    # fraction of the kept rows estimates 0.3.
    rng = np.random.default_rng(3)
    n = 2_000_000
    theta = np.where(rng.random(n) < 0.3, 0.001, 0.5)
    factor = prescale_factors(theta, np.array([0.01, math.inf]), np.array([2.0, 20.0]))
    keep = keep_mask(factor, rng.random(n))
    w = normalised_weights(factor[keep], 1.0)
    assert w[theta[keep] < 0.01].sum() == pytest.approx(0.3, abs=0.003)


def test_split_weights_normalise_each_sign_separately():
    ids = np.array([321, -321, 321, 321, -321])
    factor = np.array([1.0, 1.0, 2.0, 1.0, 4.0])
    w = split_weights(ids, factor, 0.29, 0.07)
    assert w[ids > 0].sum() == pytest.approx(0.29, rel=1e-14)
    assert w[ids < 0].sum() == pytest.approx(0.07, rel=1e-14)
    assert w[4] / w[1] == pytest.approx(4.0)


def test_normalising_nothing_is_an_error():
    with pytest.raises(ValueError):
        normalised_weights(np.array([]), 1.0)


def test_raw_multiplicity_modes():
    assert raw_multiplicity(4200, 1000, "per-event") == pytest.approx(4.2)
    # hard sample: 0.2 mesons per event in a process of 0.6 ub out of 40 mb
    assert raw_multiplicity(200, 1000, "cross-section", 6.0e-4, 40.0) == pytest.approx(
        0.2 * 6.0e-4 / 40.0
    )
    with pytest.raises(ValueError):
        raw_multiplicity(1, 1, "per-proton")


def test_shard_seeds_are_in_range_distinct_and_reproducible():
    seeds = [shard_seeds(240617599, "soft", i)[0] for i in range(500)]
    assert all(1 <= s <= PYTHIA_SEED_MAX for s in seeds)
    assert len(set(seeds)) == len(seeds)
    assert seeds == [shard_seeds(240617599, "soft", i)[0] for i in range(500)]
    assert shard_seeds(240617599, "charmonium", 0) != shard_seeds(240617599, "soft", 0)
    assert shard_seeds(1, "soft", 0) != shard_seeds(2, "soft", 0)


# ----------------------------------------------------------------------------------------------
# Prescaling a shard's rows (synthetic rows, no PYTHIA8)

from dipscan.production.shard import ShardTask, SpeciesTask, prescale_rows  # noqa: E402


def _task(species, symmetrise=False):
    return ShardTask(
        beam="b",
        production="soft",
        index=0,
        n_events=1,
        pythia_seed=1,
        numpy_entropy=(1, 2, 0, 1),
        settings=(),
        species=tuple(species),
        symmetrise=symmetrise,
        path="unused",
    )


def _rows(n, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.choice([111, 221, 321, -321], size=n)
    return {"pdg_id": ids, "p_GeV": rng.uniform(1, 100, n), "theta_rad": rng.uniform(0, 0.2, n)}


PI0 = SpeciesTask(111, False, (0.05, math.inf), (2.0, 10.0))
ETA = SpeciesTask(221, False, (math.inf,), (1.0,))
KPM = SpeciesTask(321, True, (math.inf,), (3.0,))


def test_adding_a_species_leaves_the_others_rows_unchanged():
    rows = _rows(5000)
    alone, _ = prescale_rows(_task([PI0]), rows)
    with_more, _ = prescale_rows(_task([ETA, PI0, KPM]), rows)
    assert alone.equals(with_more.filter(with_more["pdg_id"] == 111))
    assert set(with_more["pdg_id"].unique()) == {111, 221, 321, -321}


def test_counts_per_bin_and_factor_per_row():
    rows = _rows(20000)
    df, counts = prescale_rows(_task([PI0, ETA]), rows)
    pi0 = rows["theta_rad"][rows["pdg_id"] == 111]
    c = counts["111"]
    assert c["seen"] == pi0.size
    assert c["candidates_per_bin"] == [int((pi0 < 0.05).sum()), int((pi0 >= 0.05).sum())]
    kept = df.filter(df["pdg_id"] == 111)
    assert c["kept_per_bin"] == [
        int((kept["factor"] == 2).sum()),
        int((kept["factor"] == 10).sum()),
    ]
    assert np.all((kept["theta_rad"].to_numpy() < 0.05) == (kept["factor"].to_numpy() == 2))
    assert counts["221"]["kept_per_bin"] == [counts["221"]["seen"]]  # factor 1 keeps all


def test_symmetrised_rows_mirror_every_meson_once():
    rows = _rows(200)
    df, counts = prescale_rows(_task([ETA], symmetrise=True), rows)
    eta_theta = rows["theta_rad"][rows["pdg_id"] == 221]
    assert counts["221"]["seen"] == eta_theta.size  # mesons, not mirror images
    got = np.sort(df["theta_rad"].to_numpy())
    want = np.sort(np.concatenate([eta_theta, math.pi - eta_theta]).astype(np.float32))
    assert np.array_equal(got, want)
