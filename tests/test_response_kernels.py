"""The compiled detector response and reduction against the numpy reference (DIPSCAN_KERNELS=numpy).

Both paths see the same samples; they differ only in the last bits of the C library's and
numpy's transcendental functions and in the order of a few sums, so every bin, weight and count
must agree to ~1e-14: a wrong cut, window or decay length shows up as a difference of order one.
"""

import dataclasses

import numpy as np
import polars as pl
import pytest

from dipscan.config.scenario import load_experiment_preset
from dipscan.physics.constants import HBARC_GeV_m
from dipscan.physics.models.base import Channel
from dipscan.scan.experiments import binned_weights
from dipscan.scan.geometry import Box, Cone, Cylinder, Frustum
from dipscan.scan.reduce import GridInputs, SampleBlock, compress_block, event_counts
from dipscan.scan.sampling import LLPSamples

RHO = Channel("rho0 -> chi1 chi2", 113, "two_body")
VOLUMES = [Cone(0.004), Cylinder(1.0), Box(2.0, 1.0), Frustum(1.0, 0.5, 3.0, 2.0)]


def _samples(n=5000, seed=5):
    rng = np.random.default_rng(seed)
    p = 10 ** rng.uniform(-0.5, 2.5, n)
    return LLPSamples(0.25, 0.3, RHO, rng.random(n) / n, p, rng.exponential(4e-3, n),
                      rng.uniform(-np.pi, np.pi, n))


def _both(monkeypatch, function, *args):
    out = {}
    for path in ("numpy", "compiled"):
        monkeypatch.setenv("DIPSCAN_KERNELS", path)
        out[path] = function(*args)
    return out["numpy"], out["compiled"]


def _spec(volume, mode, theta_max_rad, photon_max_GeV):
    spec = load_experiment_preset("na62")
    geometry = dataclasses.replace(spec.geometry, mode=mode, volume=volume,
                                   theta_max_rad=theta_max_rad)
    return dataclasses.replace(spec, geometry=geometry, photon_max_GeV=photon_max_GeV)


@pytest.mark.parametrize("volume", VOLUMES, ids=lambda v: v.NAME)
@pytest.mark.parametrize("mode, theta_max_rad", [("paper", 0.005), ("paper", None),
                                                 ("volume", None)])
@pytest.mark.parametrize("photon_max_GeV", [np.inf, 20.0])
def test_binned_weights_match_the_reference(monkeypatch, volume, mode, theta_max_rad,
                                            photon_max_GeV):
    spec = _spec(volume, mode, theta_max_rad, photon_max_GeV)
    ref, fast = _both(monkeypatch, binned_weights, spec, _samples(), 0.05, None, 1e-2)
    assert [ends for ends, _ in fast] == [ends for ends, _ in ref]
    accepted = 0
    for (_, (w_ref, bg_ref, w2_ref)), (_, (w, bg, w2)) in zip(ref, fast, strict=True):
        assert w.size == w_ref.size  # the same occupied bins
        accepted += w.size
        np.testing.assert_allclose(w, w_ref, rtol=1e-14)
        np.testing.assert_allclose(bg, bg_ref, rtol=1e-14)
        np.testing.assert_allclose(w2, w2_ref, rtol=1e-14)
    assert accepted > 0  # the geometry accepts something: the comparison is not empty


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the reference's log10(0) and its cast
def test_compress_block_matches_the_reference_on_wide_spans_and_llps_at_rest(monkeypatch):
    rng = np.random.default_rng(2)
    n = 3000
    bg = 10 ** rng.uniform(-3.0, 4.0, n)
    bg[:5] = 0.0  # LLPs at rest: log10 = -inf, the binning falls back to sorting the keys
    weight = rng.random(n) * (rng.random(n) < 0.8)
    block = SampleBlock("X", 0, "c", weight, bg, 1.0, 2.0)
    for bin_dex in (1e-2, 1e-9):  # 1e-9: a span of keys far wider than the samples
        ref, fast = _both(monkeypatch, compress_block, block, bin_dex)
        assert fast.weight.size == ref.weight.size
        for name in ("weight", "betagamma", "weight_sq"):
            np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=1e-14)
        assert fast.weight.sum() == pytest.approx(weight.sum(), rel=1e-12)


def _grid_and_blocks(seed=3, n_mass=4, n_coupling=60):
    rng = np.random.default_rng(seed)
    couplings = np.logspace(-8, -1, n_coupling)
    branching = {(i, ch): 0.01 * (i + 1) * couplings**2 for i in range(n_mass) for ch in ("a", "b")}
    grid = GridInputs(np.linspace(0.05, 1.0, n_mass), couplings,
                      10 ** rng.uniform(-8, -5, n_mass), branching, ["E1", "E2"])
    regions = {"E1": [(50.0, 100.0)], "E2": [(0.0, 5.0), (5.0, 10.0)]}
    blocks = [SampleBlock(e, i, ch, rng.random(400), 10 ** rng.uniform(0, 4, 400), *region)
              for e in ("E1", "E2") for i in range(n_mass - 1) for ch in ("a", "b")
              for region in regions[e]]
    return grid, blocks


@pytest.mark.parametrize("variance", [False, True])
def test_event_counts_match_the_reference(monkeypatch, variance):
    grid, blocks = _grid_and_blocks()
    ref, fast = _both(monkeypatch, event_counts, blocks, grid, 1e-2, variance)
    assert fast.columns == ref.columns
    assert fast.drop("n_events", "n_events_mc_var", strict=False).equals(
        ref.drop("n_events", "n_events_mc_var", strict=False))
    for column in ("n_events", "n_events_mc_var") if variance else ("n_events",):
        np.testing.assert_allclose(fast[column], ref[column], rtol=1e-13, atol=0.0)
        assert ((fast[column] == 0) == (ref[column] == 0)).all()  # the same underflows to 0
    assert fast.filter(pl.col("channel") == "total")["n_events"].max() > 0


def test_short_lived_llps_give_exactly_zero_and_long_lived_the_linear_limit(monkeypatch):
    # One bin at beta gamma = 10 decaying in [50, 100] m.  For c tau -> 0 every LLP decays
    # before the detector (exactly 0, not a denormal); for c tau >> L, f_dec -> (L_f - L_i)/lambda.
    monkeypatch.setenv("DIPSCAN_KERNELS", "compiled")
    couplings = np.array([1e-1, 1e-12])
    width_per_d2 = 1.0
    grid = GridInputs(np.array([0.1]), couplings, np.array([width_per_d2]),
                      {(0, "a"): np.ones(2)}, ["E"])
    block = SampleBlock("E", 0, "a", np.array([2.0]), np.array([10.0]), 50.0, 100.0)
    counts = event_counts([block], grid).filter(pl.col("channel") == "total")["n_events"]
    assert counts[0] == 0.0
    lam = 10.0 * HBARC_GeV_m / (width_per_d2 * couplings[1] ** 2)
    assert counts[1] == pytest.approx(2.0 * 50.0 / lam, rel=1e-6)


def test_event_counts_do_not_depend_on_the_number_of_threads(monkeypatch):
    monkeypatch.setenv("DIPSCAN_KERNELS", "compiled")
    grid, blocks = _grid_and_blocks(seed=8, n_mass=6)
    one = event_counts(blocks, grid, variance=True, threads=1)
    assert event_counts(blocks, grid, variance=True, threads=3).equals(one)


def test_exp_is_zero_where_the_crossing_skips_it():
    # The premise of the shortcut in `decay_exponents`: numpy's exp (the reference's) is exactly
    # 0 from EXP_IS_ZERO on, and just below its result is still (subnormal and) nonzero.
    from dipscan.scan.response_kernels import EXP_IS_ZERO

    a = EXP_IS_ZERO + np.concatenate([[0.0], np.geomspace(1e-12, 1e300, 2000)])
    assert np.all(np.exp(-a) == 0.0)
    assert np.exp(-np.array([745.0]))[0] > 0.0


def test_crossing_sums_equal_the_dense_evaluation_bit_for_bit():
    # Blocks whose f_dec runs from ~1 through the subnormals to exactly 0 across the couplings:
    # the compiled crossing (which skips exp where it is 0) against numpy's exp and expm1 on the
    # dense matrix, summed in the same row order.
    from dipscan.scan.reduce import _crossed_compiled

    rng = np.random.default_rng(8)
    blocks = [SampleBlock("e", 0, c, rng.uniform(0.5, 2.0, 300), 10 ** rng.uniform(0, 4, 300),
                          li, lf, rng.uniform(0.1, 4.0, 300))
              for c, li, lf in (("a", 100.0, 150.0), ("b", 0.0, 20.0), ("a", 30.0, 30.0))]
    ctau_m = np.geomspace(1e6, 1e-6, 90)
    keys = [("e", "a"), ("e", "b")]
    totals, totals_var = np.zeros((2, 90)), np.zeros((2, 90))
    _crossed_compiled(blocks, keys, ctau_m, totals, totals_var)
    ref, ref_var = np.zeros((2, 90)), np.zeros((2, 90))
    for block in blocks:
        lam = block.betagamma[:, None] * ctau_m[None, :]
        with np.errstate(divide="ignore", under="ignore"):
            a = block.l_start_m / lam if block.l_start_m > 0.0 else np.zeros_like(lam)
            b = (block.l_end_m - block.l_start_m) / lam if block.l_end_m > block.l_start_m \
                else np.zeros_like(lam)
            f = np.exp(-a) * -np.expm1(-b)
        acc, acc_var = np.zeros(90), np.zeros(90)
        for i in range(f.shape[0]):
            acc += block.weight[i] * f[i]
            acc_var += block.weight_sq[i] * (f[i] * f[i])
        row = keys.index((block.experiment, block.channel))
        ref[row] += acc
        ref_var[row] += acc_var
    assert np.any(totals[0] == 0.0) and np.any(totals[0] > 0.0)  # both regimes present
    assert totals.tobytes() == ref.tobytes() and totals_var.tobytes() == ref_var.tobytes()
