"""LLP sampling: the exact pre-cut on parents and the unbiased subsampling."""

import numpy as np
import polars as pl
import pytest

from dipscan.physics.decays.kinematics import photon_energy_range_GeV
from dipscan.physics.mesons import MESONS
from dipscan.physics.models import make_model
from dipscan.scan.sampling import Parents, channel_rng, max_photon_energy_GeV, sample_channel


def _parents(pdgid, n, rng):
    frame = pl.DataFrame({"pdg_id": np.full(n, pdgid, dtype=np.int32),
                          "p_GeV": 10 ** rng.uniform(-0.5, 2.5, n),
                          "theta_rad": rng.exponential(0.02, n),
                          "weight": np.full(n, 0.5 / n)})
    return Parents.from_frame(frame, pdgid)


@pytest.mark.parametrize("pdgid", [113, 221])
def test_photon_bound_holds_for_every_decay(pdgid):
    model = make_model("dark_dipole", delta=0.1)
    mass = 0.1
    channel = next(c for c in model.channels(mass) if c.parent_pdgid == pdgid)
    rng = np.random.default_rng(4)
    parents = _parents(pdgid, 5000, rng)
    llp = sample_channel(model, channel, mass, parents, rng)
    _, e_max = photon_energy_range_GeV(llp.p_GeV, llp.llp_mass_GeV, model.photon_energy_rest_GeV(mass))
    bound = max_photon_energy_GeV(parents.p_GeV, MESONS[pdgid].mass_GeV,
                                  llp.llp_mass_GeV, model.photon_energy_rest_GeV(mass))
    assert np.all(e_max <= bound * (1 + 1e-12))
    assert np.max(e_max / bound) > 0.9  # and it is tight, not a loose cut


def test_floor_drops_only_parents_that_cannot_pass():
    model = make_model("dark_dipole", delta=0.01)
    mass = 0.2
    channel = next(c for c in model.channels(mass) if c.parent_pdgid == 223)
    parents = _parents(223, 4000, np.random.default_rng(5))
    all_llps = sample_channel(model, channel, mass, parents, channel_rng(1, "b", 0, channel))
    floored = sample_channel(model, channel, mass, parents, channel_rng(1, "b", 0, channel), 1.0)
    assert 0 < len(floored) < len(all_llps)
    e_star = model.photon_energy_rest_GeV(mass)
    _, e_max_all = photon_energy_range_GeV(all_llps.p_GeV, all_llps.llp_mass_GeV, e_star)
    assert len(floored) >= np.count_nonzero(e_max_all >= 1.0)


def test_subsampling_keeps_total_weight_and_is_reproducible():
    model = make_model("dark_dipole", delta=0.1)
    channel = next(c for c in model.channels(0.1) if c.parent_pdgid == 113)
    parents = _parents(113, 10000, np.random.default_rng(6))
    a = sample_channel(model, channel, 0.1, parents, channel_rng(3, "sps400", 2, channel), 0.0, 1000)
    b = sample_channel(model, channel, 0.1, parents, channel_rng(3, "sps400", 2, channel), 0.0, 1000)
    assert len(a) == 1000
    assert a.weight.sum() == pytest.approx(parents.weight.sum(), rel=1e-12)
    np.testing.assert_array_equal(a.p_GeV, b.p_GeV)
    c = sample_channel(model, channel, 0.1, parents, channel_rng(4, "sps400", 2, channel), 0.0, 1000)
    assert not np.array_equal(a.p_GeV, c.p_GeV)


@pytest.mark.parametrize(("kind", "params", "mass", "pdgid", "min_dropped"), [
    ("dark_dipole", {"delta": 0.01}, 0.1, 113, 0.5),  # small splitting: only fast LLPs count
    ("dark_dipole", {"delta": 0.1}, 0.02, 221, 0.2),
    ("neutrino_dipole", {"flavour": "mu"}, 0.2, 321, 0.0),  # E* = M/2: no angular bound
])
def test_angular_precut_never_drops_a_parent_that_could_contribute(kind, params, mass, pdgid,
                                                                   min_dropped):
    # Decay every parent, then check that no parent the cut would drop produced an LLP inside
    # the acceptance with a photon able to pass the floor.
    from dipscan.scan.sampling import parents_that_can_contribute

    model = make_model(kind, **params)
    channel = next(c for c in model.channels(mass) if c.parent_pdgid == pdgid)
    rng = np.random.default_rng(8)
    n = 60000
    parents = Parents(10 ** rng.uniform(0, 2.5, n), rng.uniform(0, 0.08, n), np.ones(n))
    theta_acc, floor = 5.5e-3, 1.0
    llp = sample_channel(model, channel, mass, parents, rng)
    e_star = model.photon_energy_rest_GeV(mass)
    _, e_max = photon_energy_range_GeV(llp.p_GeV, llp.llp_mass_GeV, e_star)
    useful = (llp.theta_rad < theta_acc) & (e_max >= floor)
    keep = parents_that_can_contribute(parents.p_GeV, parents.theta_rad,
                                       MESONS[pdgid].mass_GeV, llp.llp_mass_GeV, e_star, floor,
                                       theta_acc)
    assert useful.sum() > 50
    assert not np.any(useful & ~keep)
    assert (~keep).sum() >= min_dropped * n  # and where the bound bites, it removes work
