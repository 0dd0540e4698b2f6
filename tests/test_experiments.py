"""Experiment response: photon window, acceptance modes, exposure scaling."""

import dataclasses

import numpy as np
import pytest

from dipscan.config.scenario import load_experiment_preset
from dipscan.physics.decays.fdec import decay_probability
from dipscan.physics.decays.kinematics import boost_to_frame, isotropic_unit_vectors, lab_from_polar
from dipscan.physics.models.base import Channel
from dipscan.scan.experiments import (
    photon_window_efficiency,
    production_scale,
    sample_weights,
)
from dipscan.scan.geometry import Cone, Cylinder
from dipscan.scan.sampling import LLPSamples

RHO = Channel("rho0 -> chi1 chi2", 113, "two_body")
JPSI = Channel("J/psi -> chi1 chi2", 443, "two_body")


def _samples(rng, n=20000, m_llp=0.3, channel=RHO, theta_scale=4e-3):
    p = 10 ** rng.uniform(0.5, 2.5, n)
    theta = rng.exponential(theta_scale, n)
    phi = rng.uniform(-np.pi, np.pi, n)
    return LLPSamples(0.25, m_llp, channel, np.full(n, 1.0 / n), p, theta, phi)


def _with_geometry(spec, **changes):
    return dataclasses.replace(spec, geometry=dataclasses.replace(spec.geometry, **changes))


def test_photon_window_matches_brute_force_decays():
    rng = np.random.default_rng(5)
    s = _samples(rng, n=400)
    e_star = 0.02
    eff = photon_window_efficiency(s, e_star, 1.0, 3.0)
    llp = lab_from_polar(s.p_GeV, s.theta_rad, s.phi_rad, s.llp_mass_GeV)
    hits = np.zeros(len(s))
    for _ in range(400):
        rest = np.concatenate([np.full((len(s), 1), e_star),
                               e_star * isotropic_unit_vectors(len(s), rng)], axis=1)
        e_lab = boost_to_frame(rest, llp, s.llp_mass_GeV)[:, 0]
        hits += (e_lab >= 1.0) & (e_lab <= 3.0)
    np.testing.assert_allclose(hits / 400, eff, atol=0.09)
    assert abs(np.mean(hits / 400 - eff)) < 0.01


def test_heavy_flavour_scales_with_a_to_the_0p29():
    spec = load_experiment_preset("na62")
    light = production_scale(spec, 113)
    assert light == spec.exposure.n_collisions()
    assert production_scale(spec, 443) / light == pytest.approx(spec.target_mass_number**0.29)


def _events(spec, samples, ctau_m, rng):
    total = 0.0
    for (l_start, l_end), w in sample_weights(spec, samples, 0.05, rng):
        total += np.sum(w * decay_probability(l_start, l_end, samples.betagamma * ctau_m))
    return total


def test_volume_mode_on_a_cone_equals_the_paper_approximation():
    # A straight line from the target is inside a cone at every depth iff theta < theta_max,
    # so slicing the decay region must reproduce the single-slice count exactly.
    spec = load_experiment_preset("na62")
    paper = _with_geometry(spec, mode="paper", volume=Cone(spec.geometry.theta_max_rad))
    volume = _with_geometry(spec, mode="volume", volume=Cone(spec.geometry.theta_max_rad))
    rng = np.random.default_rng(1)
    s = _samples(rng)
    for ctau in (0.5, 20.0, 1e4, 1e9):
        assert _events(volume, s, ctau, rng) == pytest.approx(_events(paper, s, ctau, rng), rel=1e-9)


def test_photon_mode_approaches_paper_mode_for_collinear_photons():
    # Footnote 2: for highly boosted LLPs the photon is collinear with the LLP, so the photon
    # landing on the calorimeter (radius R at L_f) matches the LLP pointing inside R/L_f.
    spec = load_experiment_preset("na62")
    r_cal, z_cal = 1.2, 217.0
    cone = _with_geometry(spec, mode="paper", volume=Cone(np.arctan(r_cal / z_cal)),
                          theta_max_rad=np.arctan(r_cal / z_cal))
    photon = _with_geometry(spec, mode="photon", volume=Cone(0.1), theta_max_rad=0.1,
                            calorimeter_z_m=z_cal, calorimeter_radius_m=r_cal)
    photon = dataclasses.replace(photon, photon_threshold_GeV=0.0)
    cone = dataclasses.replace(cone, photon_threshold_GeV=0.0)
    rng = np.random.default_rng(2)
    s = _samples(rng, m_llp=0.01)
    s = dataclasses.replace(s, p_GeV=s.p_GeV * 100)  # beta*gamma ~ 1e4 to 1e6
    ratio = _events(photon, s, 1e3, rng) / _events(cone, s, 1e3, rng)
    assert ratio == pytest.approx(1.0, abs=0.01)


def test_photon_mode_loses_wide_photons_from_slow_llps():
    spec = load_experiment_preset("na62")
    photon = _with_geometry(spec, mode="photon", volume=Cylinder(1.0),
                            calorimeter_z_m=217.0, calorimeter_radius_m=1.2)
    photon = dataclasses.replace(photon, photon_threshold_GeV=0.0)
    paper = dataclasses.replace(spec, photon_threshold_GeV=0.0)
    rng = np.random.default_rng(3)
    s = _samples(rng, m_llp=2.0)  # beta*gamma ~ 1.5 to 150: photons open up to large angles
    assert _events(photon, s, 100.0, rng) < 0.9 * _events(paper, s, 100.0, rng)
