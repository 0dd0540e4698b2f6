"""The DUNE near detector, written in TOML alone (beam lbnf120, preset dune_nd), runs with both models."""

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dipscan.config.scenario import load_experiment_preset, load_scenario
from dipscan.scan.experiments import max_llp_angle_rad
from dipscan.scan.pipeline import compute

pytestmark = pytest.mark.slow

STUDY = """
[model]
{model}
[grid.mass]
min = {mmin}
max = {mmax}
points = 4
[grid.coupling]
min = 1e-7
max = 1e-3
points = 5
[sampling]
llp_samples_max = 2000
[[experiment]]
preset = "dune_nd"
[[experiment]]
preset = "dune_nd"
label = "DUNE ND, twice the protons"
pot = 2.2e22
"""


@pytest.fixture
def repo(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)


def run(tmp_path: Path, model: str, mmin: float, mmax: float):
    path = tmp_path / "dune.toml"
    path.write_text(STUDY.format(model=model, mmin=mmin, mmax=mmax))
    return compute(load_scenario(path))


def totals(result, label):
    return result.total_grid(label)


@pytest.mark.parametrize("model, mmin, mmax", [
    ('kind = "dark_dipole"\ndelta = 0.1', 0.02, 0.3),
    ('kind = "neutrino_dipole"\nflavour = "mu"', 0.02, 0.3),
])
def test_runs_with_both_models_and_scales_with_exposure(repo, tmp_path, model, mmin, mmax):
    result = run(tmp_path, model, mmin, mmax)
    nominal, doubled = totals(result, "DUNE ND 1.1e22 POT"), totals(result, "DUNE ND, twice the protons")
    assert nominal.max() > 3.0  # the detector reaches the N = 3 level somewhere on this grid
    np.testing.assert_allclose(doubled, 2.0 * nominal, rtol=1e-12)
    exposure = result.exposure.filter(pl.col("experiment") == "DUNE ND 1.1e22 POT")
    assert (exposure["n_produced"] > 0).all()


def test_neutrino_dipole_uses_the_charged_mesons_of_the_new_beam(repo, tmp_path):
    result = run(tmp_path, 'kind = "neutrino_dipole"\nflavour = "mu"', 0.02, 0.3)
    rows = result.exposure.filter(pl.col("experiment") == "DUNE ND 1.1e22 POT")
    pdgids = set(rows["pdgid"])
    assert {321, -321, 411, -411, 431, -431} <= pdgids
    # charm carries the graphite's A^0.29 on top of the multiplicity, kaons do not
    n = dict(zip(rows["pdgid"], rows["n_produced"], strict=True))
    mult = dict(zip(rows["pdgid"], rows["multiplicity"], strict=True))
    assert n[321] == pytest.approx(1.1e22 * mult[321])
    assert n[411] == pytest.approx(1.1e22 * mult[411] * 12.011**0.29)


def test_acceptance_is_the_far_face_of_the_argon_box(repo):
    spec = load_experiment_preset("dune_nd")
    assert max_llp_angle_rad(spec) == pytest.approx(math.atan(0.5 * math.hypot(7.0, 3.0) / 579.0))
