"""The Polars reduction against hand-computed counts and the per-sample reference."""

import numpy as np
import polars as pl
import pytest

from dipscan.physics.constants import HBARC_GeV_m
from dipscan.scan.reduce import (
    GridInputs,
    SampleBlock,
    compress_block,
    event_counts,
    reference_event_counts,
    total_grid,
)


def _grid(masses, couplings, branching, experiments, width_per_d2):
    return GridInputs(mass_GeV=np.asarray(masses), coupling_GeVinv=np.asarray(couplings),
                      llp_width_per_d2=np.asarray(width_per_d2), branching=branching,
                      experiments=list(experiments))


def test_tiny_table_matches_hand_computation():
    # Two LLPs with beta*gamma 100 and 1000 and weights 2 and 3; one mass, two couplings.
    couplings = np.array([1e-3, 1e-2])
    width_per_d2 = 1e-12  # GeV^3, so Gamma = d^2 * 1e-12
    br = np.array([0.1, 0.5])
    grid = _grid([0.1], couplings, {(0, "rho0"): br}, ["X"], [width_per_d2])
    block = SampleBlock("X", 0, "rho0", np.array([2.0, 3.0]), np.array([100.0, 1000.0]), 10.0, 30.0)
    events = event_counts([block], grid, bin_dex=1e-6)
    for j, d in enumerate(couplings):
        ctau = HBARC_GeV_m / (width_per_d2 * d**2)
        expected = br[j] * sum(w * (np.exp(-10.0 / (bg * ctau)) - np.exp(-30.0 / (bg * ctau)))
                               for w, bg in [(2.0, 100.0), (3.0, 1000.0)])
        got = events.filter((pl.col("channel") == "total") & (pl.col("coupling_index") == j))
        assert got["n_events"].item() == pytest.approx(expected, rel=1e-12)
        per_channel = events.filter((pl.col("channel") == "rho0") & (pl.col("coupling_index") == j))
        assert per_channel["n_events"].item() == pytest.approx(expected, rel=1e-12)


def test_totals_are_sums_of_channels_and_grid_is_complete():
    rng = np.random.default_rng(3)
    masses, couplings = [0.1, 0.2, 0.3], np.logspace(-6, -2, 7)
    branching = {(i, ch): np.full(couplings.size, 0.01 * (i + 1)) for i in range(2)
                 for ch in ("a", "b")}
    grid = _grid(masses, couplings, branching, ["E1", "E2"], [1e-6] * 3)
    regions = {"E1": (50.0, 100.0), "E2": (5.0, 10.0)}
    blocks = [SampleBlock(e, i, ch, rng.random(50), 10 ** rng.uniform(0, 3, 50), *regions[e])
              for e in ("E1", "E2") for i in range(2) for ch in ("a", "b")]
    events = event_counts(blocks, grid)
    totals = events.filter(pl.col("channel") == "total")
    assert totals.height == 2 * 3 * 7  # mass 0.3 has no samples: zero rows still present
    channel_sum = (events.filter(pl.col("channel") != "total")
                   .group_by("experiment", "mass_index", "coupling_index").agg(pl.col("n_events").sum()))
    joined = totals.join(channel_sum, on=["experiment", "mass_index", "coupling_index"], how="left")
    np.testing.assert_allclose(joined["n_events"], joined["n_events_right"].fill_null(0.0), rtol=1e-12)
    assert totals.filter(pl.col("mass_index") == 2)["n_events"].sum() == 0.0


def test_binned_fast_path_matches_per_sample_reference():
    # Broad beta*gamma spectrum across the long- and short-lifetime regimes.
    rng = np.random.default_rng(11)
    couplings = np.logspace(-7, -2, 25)
    branching = {(0, "c"): 1e-3 * np.ones(25), (1, "c"): 2e-3 * np.ones(25)}
    grid = _grid([0.05, 0.5], couplings, branching, ["NA62"], [1e-4, 1e-2])
    # The second mass is split into two decay slices, as a position-dependent acceptance would be.
    blocks = [SampleBlock("NA62", 0, "c", rng.exponential(1.0, 20000),
                          10 ** rng.uniform(0.5, 4, 20000), 79.0, 217.0)]
    bg = 10 ** rng.uniform(0.5, 4, 20000)
    blocks += [SampleBlock("NA62", 1, "c", rng.exponential(1.0, 20000), bg, 79.0, 150.0),
               SampleBlock("NA62", 1, "c", rng.exponential(1.0, 20000), bg, 150.0, 217.0)]
    fast = event_counts(blocks, grid)
    reference = reference_event_counts(blocks, grid)
    got = np.stack([total_grid(fast, "NA62", 2, couplings.size)])
    significant = reference > 1e-4 * reference.max()  # the region where contours are drawn
    np.testing.assert_allclose(got[significant], reference[significant], rtol=1e-3)


def test_coupling_enters_as_d_squared_in_long_lifetime_limit():
    # For lambda >> L: N ~ BR * (L_f - L_i)/lambda ~ d^2 * d^2 when BR ~ d^2.
    couplings = np.array([1e-11, 2e-11])  # lambda ~ 1e11 m >> L
    br = 1e3 * couplings**2
    grid = _grid([0.1], couplings, {(0, "c"): br}, ["X"], [1e-3])
    events = event_counts([SampleBlock("X", 0, "c", np.ones(10), np.full(10, 50.0), 79.0, 217.0)], grid)
    n = total_grid(events, "X", 1, 2)[0]
    assert n[1] / n[0] == pytest.approx(16.0, rel=1e-7)


@pytest.mark.parametrize("spread", ["narrow", "at_rest"])
def test_compressed_bins_equal_the_sorted_unique_bins(spread):
    """The bins counted from the lowest occupied one are those of np.unique, in the same order,
    with the same sums in the same order: the same bytes."""
    rng = np.random.default_rng(9)
    bg = 10 ** rng.uniform(-2.0, 4.0, 5000)
    if spread == "at_rest":
        bg[17] = 0.0  # log10(0) = -inf: a span of bins no array should be allocated for
    weight = rng.exponential(1.0, 5000) * (rng.random(5000) > 0.3)
    block = SampleBlock("e", 0, "c", weight, bg, 1.0, 2.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        got = compress_block(block)
        positive = weight > 0
        w, b = weight[positive], bg[positive]
        _, index = np.unique(np.floor(np.log10(b) / 1e-2).astype(np.int64), return_inverse=True)
    w_sum = np.bincount(index, weights=w)
    assert got.weight.tobytes() == w_sum.tobytes()
    assert got.betagamma.tobytes() == (np.bincount(index, weights=w * b) / w_sum).tobytes()
    assert got.weight_sq.tobytes() == np.bincount(index, weights=w * w).tobytes()
    assert got.weight.size < w.size  # and bins do merge samples
