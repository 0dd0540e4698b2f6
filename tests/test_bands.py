"""Uncertainty bands against analytic expectations: d^4 scaling, known variances, ordering."""

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from dipscan.config.scenario import load_scenario
from dipscan.config.uncertainties import ExponentInput, NormalisationInput, UncertaintySpec
from dipscan.errors import ScenarioError
from dipscan.scan.bands import band_field, experiment_bands, format_with_band
from dipscan.scan.contours import iso_contours
from dipscan.scan.pipeline import compute
from dipscan.scan.reduce import GridInputs, SampleBlock, compress_block, event_counts

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.toml"
MASSES = np.geomspace(0.1, 1.0, 5)
COUPLINGS = np.geomspace(1e-8, 1e-4, 41)


def _events(label: str, channels: dict[str, np.ndarray]) -> pl.DataFrame:
    """An events frame (channel and total rows) from per-channel (mass, coupling) grids."""
    n_mass, n_coupling = next(iter(channels.values())).shape
    index = {"experiment": label,
             "mass_index": np.repeat(np.arange(n_mass, dtype=np.int32), n_coupling),
             "coupling_index": np.tile(np.arange(n_coupling, dtype=np.int32), n_mass)}
    frames = [pl.DataFrame({**index, "channel": name, "n_events": grid.ravel(),
                            "n_events_mc_var": np.zeros(grid.size)})
              for name, grid in channels.items()]
    total = sum(channels.values())
    frames.append(pl.DataFrame({**index, "channel": "total", "n_events": total.ravel(),
                                "n_events_mc_var": np.zeros(total.size)}))
    return pl.concat(frames)


def _lower_edge(grid: np.ndarray, level: float) -> np.ndarray:
    """d of the lower (long-lifetime) branch of the N = level contour at each grid mass."""
    (m, d, branch), = iso_contours(MASSES, COUPLINGS, grid, level)
    lower = branch == "lower"
    order = np.argsort(m[lower])
    return np.interp(MASSES, m[lower][order], d[lower][order])


def test_normalisation_factor_moves_the_lower_edge_by_k_to_the_minus_quarter():
    # Long-lifetime regime: BR ~ d^2 and f_dec ~ 1/(c tau) ~ d^2, so N = c d^4 exactly.
    k = 1.7
    d4 = np.broadcast_to((COUPLINGS / 1e-6) ** 4, (MASSES.size, COUPLINGS.size)) * np.geomspace(
        1.0, 30.0, MASSES.size)[:, None]
    spec = SimpleNamespace(label="X", beam="b", target_mass_number=1.0)
    unc = UncertaintySpec(True, False, (NormalisationInput("b", 223, "omega", k - 1.0, "test"),))
    band = experiment_bands(spec, _events("X", {"omega -> chi chi": d4}), {"omega -> chi chi": 223},
                            unc, d4.shape)
    np.testing.assert_allclose(band.optimistic, k * d4, rtol=1e-12)
    np.testing.assert_allclose(band.pessimistic, d4 / k, rtol=1e-12)
    central = _lower_edge(d4, 3.0)
    np.testing.assert_allclose(_lower_edge(band.optimistic, 3.0) / central, k ** -0.25, rtol=1e-9)
    np.testing.assert_allclose(_lower_edge(band.pessimistic, 3.0) / central, k ** 0.25, rtol=1e-9)


def test_a_exponent_acts_on_heavy_flavour_only_as_a_power_of_a():
    light = np.full((2, 3), 10.0)
    jpsi = np.full((2, 3), 30.0)
    spec = SimpleNamespace(label="X", beam="b", target_mass_number=64.0)
    unc = UncertaintySpec(True, False, (), (ExponentInput("b", 0.05, "test"),))
    parents = {"omega": 223, "jpsi": 443}
    band = experiment_bands(spec, _events("X", {"omega": light, "jpsi": jpsi}), parents, unc,
                            light.shape)
    shift = 0.75 * 0.05 * np.log(64.0)  # heavy flavour carries 3/4 of the events
    np.testing.assert_allclose(band.optimistic, 40.0 * np.exp(shift), rtol=1e-12)
    # p-p (A = 1): the exponent does nothing
    pp = experiment_bands(SimpleNamespace(label="X", beam="b", target_mass_number=1.0),
                          _events("X", {"omega": light, "jpsi": jpsi}), parents, unc, light.shape)
    np.testing.assert_allclose(pp.optimistic, 40.0, rtol=1e-12)


def test_independent_species_add_in_quadrature_on_the_log_scale():
    a, b = np.full((1, 2), 5.0), np.full((1, 2), 15.0)
    unc = UncertaintySpec(True, False, (NormalisationInput("b", 111, "pi0", 0.2, "t"),
                                        NormalisationInput("b", 223, "omega", 0.5, "t")))
    band = experiment_bands(SimpleNamespace(label="X", beam="b", target_mass_number=1.0),
                            _events("X", {"pi0": a, "omega": b}), {"pi0": 111, "omega": 223},
                            unc, a.shape)
    s = np.hypot(0.25 * np.log(1.2), 0.75 * np.log(1.5))
    np.testing.assert_allclose(band.optimistic, 20.0 * np.exp(s), rtol=1e-12)
    np.testing.assert_allclose(band.pessimistic, 20.0 * np.exp(-s), rtol=1e-12)


def _one_block_counts(weights: np.ndarray, betagamma: float) -> tuple[float, float]:
    """(N, MC variance) at one grid point for one block of samples of equal boost."""
    grid = GridInputs(mass_GeV=np.array([0.5]), coupling_GeVinv=np.array([1e-5]),
                      llp_width_per_d2=np.array([1e-3]),
                      branching={(0, "c"): np.array([0.01])}, experiments=["X"])
    block = SampleBlock("X", 0, "c", weights, np.full(weights.size, betagamma), 100.0, 150.0)
    events = event_counts([compress_block(block)], grid, variance=True)
    total = events.filter(pl.col("channel") == "total")
    return float(total["n_events"][0]), float(total["n_events_mc_var"][0])


@pytest.mark.slow
def test_mc_variance_of_a_synthetic_sample_matches_its_known_variance():
    # Compound Poisson sample: n ~ Poisson(lam) LLPs with weights w ~ Exp(scale); then
    # Var(sum w) = lam E[w^2] = 2 lam scale^2, and sum w^2 estimates it without bias.
    rng = np.random.default_rng(11)
    lam, scale = 300, 2.0
    n_ref, _ = _one_block_counts(np.ones(1), 10.0)  # events per unit weight at this point
    counts, variances = [], []
    for _ in range(300):
        w = rng.exponential(scale, rng.poisson(lam))
        n, var = _one_block_counts(w, 10.0)
        np.testing.assert_allclose(var, n_ref**2 * np.sum(w * w), rtol=1e-9)
        counts.append(n)
        variances.append(var)
    known = 2.0 * lam * scale**2 * n_ref**2
    assert np.mean(variances) == pytest.approx(known, rel=0.03)
    assert np.var(counts, ddof=1) == pytest.approx(known, rel=0.2)


def test_compression_keeps_the_sum_of_squared_weights():
    rng = np.random.default_rng(3)
    w, bg = rng.exponential(1.0, 5000), 10 ** rng.uniform(0, 3, 5000)
    once = compress_block(SampleBlock("X", 0, "c", w, bg, 0.0, 1.0))
    twice = compress_block(once)
    assert once.weight.size < w.size
    for block in (once, twice):
        assert block.weight.sum() == pytest.approx(w.sum(), rel=1e-12)
        assert block.weight_sq.sum() == pytest.approx(np.sum(w * w), rel=1e-12)


@pytest.fixture(scope="module")
def tiny_result():
    return compute(load_scenario(TINY))


def test_band_ordering_everywhere(tiny_result):
    result = tiny_result
    for spec in result.scenario.experiments:
        band = result.bands[spec.label]
        central = result.total_grid(spec.label)
        assert np.all(band.optimistic >= central) and np.all(central >= band.pessimistic)
        assert np.any(band.optimistic > central)
        level = result.levels[spec.label]
        for i in range(central.shape[0]):  # lower edge in d: optimistic <= central <= pessimistic
            edges = [np.nonzero(g[i] >= level)[0] for g in (band.optimistic, central, band.pessimistic)]
            firsts = [e[0] if e.size else np.inf for e in edges]
            assert firsts[0] <= firsts[1] <= firsts[2]
        shade = band_field(band.pessimistic, band.optimistic, level)
        assert np.all((shade > 0) == ((band.optimistic > level) & (band.pessimistic < level)))


def test_band_outputs_and_central_numbers_unchanged(tiny_result):
    result = tiny_result
    assert set(result.contours["band"].unique()) == {"central", "pessimistic", "optimistic"}
    totals = result.events.filter(pl.col("channel") == "total")
    assert totals["n_events_pessimistic"].null_count() == 0
    channels = result.events.filter(pl.col("channel") != "total")
    assert channels["n_events_pessimistic"].null_count() == channels.height
    off = compute(replace(load_scenario(TINY), uncertainties=UncertaintySpec()))
    assert off.bands == {}
    assert off.events["n_events"].equals(result.events["n_events"])
    assert off.contours.drop("band").equals(
        result.contours.filter(pl.col("band") == "central").drop("band"))


def test_format_with_band():
    assert format_with_band(2.7e-6, 3.1e-6, 2.4e-6) == "2.7e-06 (+0.4 / -0.3)"
    assert format_with_band(0.544, 0.614, 0.485) == "0.54 (+0.07 / -0.059)"
    assert format_with_band(None, None, None) == "-"


def test_scenario_overrides_and_errors(tmp_path):
    text = TINY.read_text()
    path = tmp_path / "s.toml"
    path.write_text(text + "\n[uncertainties]\na_exponent_sigma = 0.1\n"
                           "[uncertainties.normalisation]\nomega = 0.4\n")
    unc = load_scenario(path).uncertainties
    omega = [n for n in unc.normalisation if n.species == "omega"]
    assert omega and omega[0].relative == 0.4 and omega[0].source == "scenario s.toml"
    assert all(a.sigma == 0.1 for a in unc.a_exponent)
    path.write_text(text + "\n[uncertainties]\nenabled = false\n")
    assert not load_scenario(path).uncertainties.enabled
    path.write_text(text + "\n[uncertainties.normalisation]\nomegaa = 0.4\n")
    with pytest.raises(ScenarioError, match="uncertainties.normalisation.omegaa.*did you mean 'omega'"):
        load_scenario(path)
    path.write_text(text + "\n[uncertainties.normalisation]\nomega = -1\n")
    with pytest.raises(ScenarioError, match="uncertainties.normalisation.omega"):
        load_scenario(path)
    path.write_text(text + "\n[uncertainties]\nenable = false\n")
    with pytest.raises(ScenarioError, match="uncertainties.enable"):
        load_scenario(path)


def test_provenance_lists_every_variation_with_its_source(tiny_result):
    from dipscan.cli.report import provenance, summary_frame

    record = provenance(tiny_result, {})
    inputs = record["uncertainties"]
    assert inputs["enabled"] and inputs["mc_statistics"]
    assert {n["species"] for n in inputs["normalisation"]} >= {"pi0", "eta", "omega", "jpsi"}
    assert all(n["source"] for n in inputs["normalisation"] + inputs["a_exponent"])
    assert record["normalisation"]["sps400"]["omega"]["normalisation"] == "paper"
    summary = summary_frame(tiny_result).row(0, named=True)
    names = {"normalisation:" + n["species"] for n in inputs["normalisation"]}
    assert summary["band_dominant_input"] in names | {"mc_statistics", "a_exponent"}
    assert summary["mass_reach_optimistic_GeV"] >= summary["mass_reach_GeV"] >= summary[
        "mass_reach_pessimistic_GeV"]
