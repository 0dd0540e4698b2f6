"""Kinematics: two-body momenta, boosts, polar coordinates, two-body decays, photon energies."""

import numpy as np
import pytest
from scipy import stats

from dipscan.physics.decays import kinematics as kin


def test_two_body_momentum_matches_energy_form():
    m, ma, mb = 3.0969, 0.4, 1.1
    ea = (m * m + ma * ma - mb * mb) / (2 * m)
    assert kin.two_body_momentum_GeV(m, ma, mb) == pytest.approx(
        np.sqrt(ea * ea - ma * ma), rel=1e-14
    )
    assert kin.two_body_momentum_GeV(m, 0.0, 0.0) == pytest.approx(m / 2, rel=1e-15)
    assert kin.two_body_momentum_GeV(1.0, 0.5, 0.5) == 0.0
    assert kin.two_body_momentum_GeV(1.0, 0.6, 0.5) == 0.0  # closed: no NaN


def test_kallen_symmetric_and_known_value():
    assert kin.kallen(9.0, 1.0, 4.0) == 81 + 1 + 16 - 2 * (9 + 36 + 4)
    assert kin.kallen(1.0, 2.0, 3.0) == kin.kallen(3.0, 1.0, 2.0)


def test_isotropic_unit_vectors_are_unit_and_isotropic():
    n_hat = kin.isotropic_unit_vectors(100_000, np.random.default_rng(1))
    assert np.allclose(np.linalg.norm(n_hat, axis=1), 1.0, atol=1e-14)
    assert abs(n_hat.mean(axis=0)).max() < 0.01
    assert np.mean(n_hat[:, 0] ** 2) == pytest.approx(1 / 3, abs=0.005)
    assert stats.kstest(n_hat[:, 2], stats.uniform(-1, 2).cdf).pvalue > 1e-3


def test_random_rotations_are_orthogonal_with_unit_determinant():
    r = kin.random_rotations(1000, np.random.default_rng(2))
    assert np.allclose(np.einsum("nij,nkj->nik", r, r), np.eye(3), atol=1e-13)
    assert np.allclose(np.linalg.det(r), 1.0, atol=1e-13)
    z_image = r[:, :, 2]  # uniformly distributed on the sphere for Haar rotations
    assert stats.kstest(z_image[:, 2], stats.uniform(-1, 2).cdf).pvalue > 1e-3


def test_boost_of_particle_at_rest_and_round_trip():
    rng = np.random.default_rng(3)
    beta = 0.9 * kin.isotropic_unit_vectors(50, rng) * rng.random((50, 1))
    m = 0.5
    rest = np.tile([m, 0.0, 0.0, 0.0], (50, 1))
    moving = kin.boost(rest, beta)
    gamma = 1 / np.sqrt(1 - np.sum(beta**2, axis=1))
    assert np.allclose(moving[:, 0], gamma * m, rtol=1e-13)
    assert np.allclose(moving[:, 1:], (gamma * m)[:, None] * beta, rtol=1e-12, atol=1e-15)
    p4 = kin.lab_from_polar(rng.random(50), rng.random(50) * np.pi, rng.random(50) * 6, 0.2)
    back = kin.boost(kin.boost(p4, beta), -beta)
    assert np.allclose(back, p4, rtol=1e-12, atol=1e-13)
    assert np.allclose(kin.invariant_mass_GeV(kin.boost(p4, beta)), 0.2, rtol=1e-10)


def test_boost_to_frame_keeps_digits_at_tev_boosts():
    # A pi0 at 7 TeV: 1 - beta ~ 2e-10. Boosting its rest-frame 4-vector must return it exactly.
    m = 0.1349768
    frame = kin.lab_from_polar(np.array([7000.0]), np.array([1e-6]), np.array([0.3]), m)
    rest = np.array([[m, 0.0, 0.0, 0.0]])
    assert np.allclose(kin.boost_to_frame(rest, frame, m), frame, rtol=1e-15, atol=0)
    # and it agrees with the velocity form at moderate boosts
    frame = kin.lab_from_polar(np.array([2.0]), np.array([0.4]), np.array([1.0]), m)
    p4 = kin.lab_from_polar(np.array([0.3]), np.array([2.0]), np.array([-1.0]), 0.01)
    beta = frame[:, 1:] / frame[:, :1]
    assert np.allclose(kin.boost_to_frame(p4, frame), kin.boost(p4, beta), rtol=1e-12)


def test_polar_round_trip_including_tiny_angles():
    p = np.array([1.0, 400.0, 7000.0, 0.3])
    theta = np.array([0.5, 1e-9, 3e-7, 3.0])
    phi = np.array([0.1, -2.0, 3.0, -0.5])
    p_out, t_out, f_out = kin.polar_of(kin.lab_from_polar(p, theta, phi, 0.5))
    assert np.allclose(p_out, p, rtol=1e-14)
    assert np.allclose(t_out, theta, rtol=1e-12)
    assert np.allclose(f_out, phi, rtol=1e-12)


def test_two_body_decay_conserves_four_momentum_and_is_isotropic():
    rng = np.random.default_rng(4)
    n, m_parent, ma, mb = 20_000, 0.78266, 0.1, 0.3
    parent = kin.lab_from_polar(
        rng.uniform(1, 300, n), rng.uniform(0, 0.1, n), rng.uniform(0, 6, n), m_parent
    )
    a, b = kin.decay_two_body(parent, ma, mb, rng, parent_mass_GeV=m_parent)
    assert np.allclose(a + b, parent, rtol=1e-12, atol=1e-11)
    assert np.allclose(kin.invariant_mass_GeV(a), ma, rtol=1e-6)
    assert np.allclose(kin.invariant_mass_GeV(b), mb, rtol=1e-6)
    # back in the parent rest frame: fixed momentum, isotropic direction
    beta = parent[:, 1:] / parent[:, :1]
    a_rest = kin.boost(a, -beta)
    q = kin.two_body_momentum_GeV(m_parent, ma, mb)
    assert np.allclose(np.linalg.norm(a_rest[:, 1:], axis=1), q, rtol=1e-8)
    cos_t = a_rest[:, 3] / np.linalg.norm(a_rest[:, 1:], axis=1)
    assert stats.kstest(cos_t, stats.uniform(-1, 2).cdf).pvalue > 1e-3


def test_two_body_decay_closed_channel_raises():
    parent = np.array([[1.0, 0.0, 0.0, 0.0]])
    with pytest.raises(ValueError):
        kin.decay_two_body(parent, 0.6, 0.5, np.random.default_rng(0))


def _brute_force_photon_energies(p, m, e_star, n, rng):
    llp = kin.lab_from_polar(np.full(n, p), np.zeros(n), np.zeros(n), m)
    photon_rest = np.concatenate(
        [np.full((n, 1), e_star), e_star * kin.isotropic_unit_vectors(n, rng)], axis=1
    )
    return kin.boost_to_frame(photon_rest, llp, m)[:, 0]


@pytest.mark.parametrize("p, m, e_star", [(50.0, 0.2, 0.01), (3.0, 1.0, 0.4), (0.05, 0.3, 0.1)])
def test_photon_energy_range_and_uniformity_against_monte_carlo(p, m, e_star):
    rng = np.random.default_rng(5)
    e = _brute_force_photon_energies(p, m, e_star, 50_000, rng)
    e_min, e_max = kin.photon_energy_range_GeV(p, m, e_star)
    assert e.min() >= e_min * (1 - 1e-12) and e.max() <= e_max * (1 + 1e-12)
    assert e.min() == pytest.approx(e_min, rel=1e-2, abs=1e-3 * e_max)
    assert e.max() == pytest.approx(e_max, rel=1e-3)
    assert stats.kstest(e, stats.uniform(e_min, e_max - e_min).cdf).pvalue > 1e-3


def test_photon_energy_range_without_cancellation_at_huge_boost():
    p, m, e_star = 1.0e4, 1.0e-3, 1.0e-4  # gamma ~ 1e7
    e_min, e_max = kin.photon_energy_range_GeV(p, m, e_star)
    # gamma^2 (1 - beta^2) = 1 exactly: e_min * e_max = E*^2
    assert e_min * e_max == pytest.approx(e_star**2, rel=1e-14)
    assert e_min + e_max == pytest.approx(2 * e_star * np.hypot(p, m) / m, rel=1e-14)


@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.5, 0.9, 2.0])
def test_threshold_efficiency_against_monte_carlo(threshold):
    p, m, e_star = 4.0, 0.5, 0.1  # lab photon energy between ~0.0062 and ~0.81 GeV
    n = 100_000
    e = _brute_force_photon_energies(p, m, e_star, n, np.random.default_rng(6))
    frac = np.mean(e > threshold)
    eff = kin.threshold_efficiency(p, m, e_star, threshold)
    assert abs(eff - frac) <= 4 * np.sqrt(max(frac * (1 - frac), 1 / n) / n)


def test_threshold_efficiency_limits_and_vectorisation():
    p = np.array([0.0, 0.0, 10.0, 10.0, 10.0])
    thr = np.array([0.05, 0.2, 0.0, 1e3, 1.0])
    eff = kin.threshold_efficiency(p, 0.5, 0.1, thr)
    assert eff.tolist()[:4] == [1.0, 0.0, 1.0, 0.0]
    e_min, e_max = kin.photon_energy_range_GeV(10.0, 0.5, 0.1)
    assert eff[4] == pytest.approx((e_max - 1.0) / (e_max - e_min), rel=1e-12)


def test_two_body_momentum_of_one_decay_is_the_array_formula_to_the_bit():
    rng = np.random.default_rng(11)
    masses = rng.uniform(0.05, 10.0, (2000, 3)) * np.array([1.0, 0.45, 0.45])
    masses[:3] = (0.1349768, 0.0, 0.0), (0.547862, 0.2, 0.3), (1.0, 0.2, 0.9)  # the last is closed
    want = kin.two_body_momentum_GeV(masses[:, 0], masses[:, 1], masses[:, 2])
    got = [kin.two_body_momentum_one_GeV(*row) for row in masses]
    np.testing.assert_array_equal(got, want)
    assert got[2] == 0.0 and min(got[:2]) > 0.0
