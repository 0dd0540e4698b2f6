"""The example model of docs/extending.md: dark dipole with M2 - M1 fixed in GeV."""

import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dipscan import cli
from dipscan.errors import DipscanError
from dipscan.physics.mesons import meson
from dipscan.physics.models import MODEL_KINDS, Model, make_model

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.toml"
SPLITTING_GeV = 0.01


@pytest.fixture
def model():
    return make_model("dark_dipole_fixed_splitting", splitting_GeV=SPLITTING_GeV)


def test_registered_from_its_own_file(model):
    assert "dark_dipole_fixed_splitting" in MODEL_KINDS and isinstance(model, Model)


@pytest.mark.parametrize("m1", [0.02, 0.2, 1.5])
def test_same_physics_as_dark_dipole_at_delta_equal_splitting_over_m1(model, m1):
    """Two parametrisations of one operator: at delta = Delta/M1 every quantity must agree."""
    ratio = make_model("dark_dipole", delta=SPLITTING_GeV / m1)
    assert model.llp_mass_GeV(m1) == pytest.approx(ratio.llp_mass_GeV(m1), rel=1e-14)
    # A.1 in masses here, in delta there: an algebraic identity, checked to rounding.
    assert model.llp_width_per_d2(m1) == pytest.approx(ratio.llp_width_per_d2(m1), rel=1e-12)
    assert model.photon_energy_rest_GeV(m1) == pytest.approx(ratio.photon_energy_rest_GeV(m1), rel=1e-12)
    channels = model.channels(m1)
    assert channels == ratio.channels(m1) and channels
    for channel in channels:
        assert model.channel_width_per_d2(channel, m1) == pytest.approx(
            ratio.channel_width_per_d2(channel, m1), rel=1e-9)
        assert model.branching_ratio(channel, m1, 1e-3) == pytest.approx(
            ratio.branching_ratio(channel, m1, 1e-3), rel=1e-9)


def test_small_splitting_limit():
    """Delta << M1: Gamma/d^2 -> (2 M Delta)^3 / (2 pi M^3) = 4 Delta^3 / pi, independent of M1."""
    for m1 in (0.1, 1.0, 3.0):
        width = make_model("dark_dipole_fixed_splitting", splitting_GeV=1e-6).llp_width_per_d2(m1)
        assert width == pytest.approx(4e-18 / math.pi, rel=1e-5)


def test_llp_kinematics_conserve_energy(model):
    """The sampled chi2 cannot carry more energy than its parent; its mass shell is M1 + Delta."""
    channel = model.channels(0.2)[0]
    p, theta, _, _ = model.sample_llp(channel, 0.2, np.full(500, 50.0), np.zeros(500),
                                      np.random.default_rng(1))
    energy = np.hypot(p, model.llp_mass_GeV(0.2))
    parent_energy = math.hypot(50.0, meson(channel.parent_pdgid).mass_GeV)
    assert np.all(energy <= parent_energy * (1 + 1e-12)) and np.all(theta >= 0)


def test_parameters_are_checked_from_the_declaration():
    with pytest.raises(DipscanError, match="takes parameters splitting_GeV; unknown: delta"):
        make_model("dark_dipole_fixed_splitting", delta=0.1)
    for bad in (0.0, -1e-3, math.inf, True, "0.01"):
        with pytest.raises(DipscanError, match="splitting_GeV must be a finite number > 0"):
            make_model("dark_dipole_fixed_splitting", splitting_GeV=bad)


@pytest.mark.slow
def test_runs_end_to_end(tmp_path, capsys):
    text = TINY.read_text().replace('kind = "dark_dipole"\ndelta = 0.1',
                                    f'kind = "dark_dipole_fixed_splitting"\nsplitting_GeV = {SPLITTING_GeV}')
    assert "fixed_splitting" in text
    path = tmp_path / "fixed.toml"
    path.write_text(text)
    out = tmp_path / "out"
    assert cli.main(["run", str(path), "--output", str(out)]) == 0
    totals = pl.read_parquet(out / "events.parquet").filter(pl.col("channel") == "total")
    assert totals.height == 4 * 5 and totals["n_events"].max() > 0
    record = json.loads((out / "provenance.json").read_text())
    assert record["model"] == {"kind": "dark_dipole_fixed_splitting", "splitting_GeV": SPLITTING_GeV}
    capsys.readouterr()
    assert cli.main(["physics", "--model", "dark_dipole_fixed_splitting", "--splitting_GeV", "0.01",
                     "--mass", "0.2", "--coupling", "1e-3", "--format", "csv"]) == 0
    assert "branching_ratio,113," in capsys.readouterr().out
