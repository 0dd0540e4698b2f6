"""The compiled decay chains against the straightforward numpy path, sample by sample.

Both paths draw the same random numbers from the same seeded Generator, so every LLP must agree
to rounding: a wrong sign, angle or boost in a kernel shows up as a difference of order one.
"""

import numpy as np
import pytest

from dipscan.physics.decays.chains import NO_CUT, LabCut
from dipscan.physics.models import make_model

CASES = [
    ("dark_dipole", {"delta": 0.1}, 0.05),
    ("dark_dipole", {"delta": 0.01}, 0.3),
    ("neutrino_dipole", {"flavour": "mu"}, 0.2),
    ("neutrino_dipole", {"flavour": "tau"}, 0.1),
    ("neutrino_dipole", {"flavour": "e"}, 1.5),  # D, Ds and B decays (A.7), J/psi
]


def parents(n, seed=7):
    rng = np.random.default_rng(seed)
    return 10.0 ** rng.uniform(-1.0, 3.0, n), rng.uniform(0.0, 0.3, n)


def llp_samples(kind, params, mass, channel, path, monkeypatch, cut=NO_CUT, n=2000):
    monkeypatch.setenv("DIPSCAN_KERNELS", path)
    model = make_model(kind, **params)
    p, theta = parents(n)
    return model.sample_llp(channel, mass, p, theta, np.random.default_rng(11), cut)


def assert_same_llps(fast, ref, name):
    np.testing.assert_array_equal(fast.row, ref.row, err_msg=name)
    np.testing.assert_allclose(fast.p_GeV, ref.p_GeV, rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(fast.theta_rad, ref.theta_rad, rtol=1e-9, atol=1e-15, err_msg=name)
    # phi wraps at +-pi: compare on the circle
    np.testing.assert_allclose(np.angle(np.exp(1j * (fast.phi_rad - ref.phi_rad))), 0.0, atol=1e-9,
                               err_msg=name)


@pytest.mark.parametrize(("kind", "params", "mass"), CASES)
def test_compiled_chain_matches_numpy_reference_sample_by_sample(kind, params, mass, monkeypatch):
    channels = make_model(kind, **params).channels(mass)
    assert {ch.kind for ch in channels} == {"two_body", "three_body"}
    for channel in channels:
        ref = llp_samples(kind, params, mass, channel, "numpy", monkeypatch)
        fast = llp_samples(kind, params, mass, channel, "compiled", monkeypatch)
        np.testing.assert_array_equal(ref.row, np.arange(2000))
        assert_same_llps(fast, ref, channel.name)


# Cones that keep some of the LLPs of `parents` and drop others.
ANGLES = [0.003, 0.01, 0.1]


@pytest.mark.parametrize(("kind", "params", "mass"), CASES)
@pytest.mark.parametrize("theta_accept", ANGLES)
def test_fused_precut_keeps_what_the_reference_keeps(kind, params, mass, theta_accept,
                                                     monkeypatch):
    """The pre-cut inside the compiled chain keeps exactly the rows the numpy reference keeps
    (decided on its own theta), with the same kinematics."""
    cut = LabCut.from_acceptance(theta_accept)
    for channel in make_model(kind, **params).channels(mass):
        ref = llp_samples(kind, params, mass, channel, "numpy", monkeypatch, cut)
        fast = llp_samples(kind, params, mass, channel, "compiled", monkeypatch, cut)
        every = llp_samples(kind, params, mass, channel, "numpy", monkeypatch)
        assert 0 < ref.row.size < 2000, channel.name  # the cut bites, and keeps some
        assert_same_llps(fast, ref, channel.name)
        # the kept rows are the uncut sample's rows, untouched, and exactly those inside
        np.testing.assert_array_equal(ref.p_GeV, every.p_GeV[ref.row])
        np.testing.assert_array_equal(ref.row, np.flatnonzero(every.theta_rad <= cut.theta_max_rad))


def test_parallel_and_serial_chains_give_the_same_bytes(monkeypatch):
    """Above PARALLEL_MIN_ROWS the rows are spread over the threads: each row is still computed
    from its own random numbers, so one thread and all threads give the same bytes."""
    import numba

    from dipscan.physics.decays import kernels

    model = make_model("dark_dipole", delta=0.1)
    cut = LabCut.from_acceptance(0.01)
    monkeypatch.setenv("DIPSCAN_KERNELS", "compiled")
    p, theta = parents(kernels.PARALLEL_MIN_ROWS + 1000)
    results = {}
    for label, minimum, threads in (("serial", 10**9, 1), ("one", 0, 1), ("all", 0, None)):
        monkeypatch.setattr(kernels, "PARALLEL_MIN_ROWS", minimum)
        before = numba.get_num_threads()
        numba.set_num_threads(threads or numba.config.NUMBA_NUM_THREADS)
        try:
            results[label] = [model.sample_llp(ch, 0.05, p, theta, np.random.default_rng(5), cut)
                              for ch in model.channels(0.05)]
        finally:
            numba.set_num_threads(before)
    for label in ("one", "all"):
        for a, b in zip(results["serial"], results[label], strict=True):
            for x, y in zip(a, b, strict=True):
                assert x.tobytes() == y.tobytes(), label


@pytest.mark.parametrize(("floor", "theta_accept"), [(0.0, None), (1.0, None), (1.0, 5.5e-3),
                                                     (0.0, 0.02)])
def test_compiled_parent_selection_equals_the_reference(floor, theta_accept):
    from dipscan.physics.decays import kernels
    from dipscan.scan.sampling import parents_that_can_contribute, theta_limit

    rng = np.random.default_rng(2)
    p, theta = 10.0 ** rng.uniform(-1.0, 2.6, 200_000), rng.exponential(0.02, 200_000)
    m_parent, m_llp, e_star = 0.78265, 0.202, 0.002
    keep = parents_that_can_contribute(p, theta, m_parent, m_llp, e_star, floor, theta_accept)
    chosen = kernels.contributing_parents(p, theta, m_parent**2, e_star, m_llp, floor,
                                          theta_limit(m_llp, m_parent, e_star, floor, theta_accept))
    np.testing.assert_array_equal(chosen, np.flatnonzero(keep))
    if floor:  # without a photon floor there is no angular bound either (any LLP may be slow)
        assert 0 < chosen.size < p.size


def test_compiled_chain_is_deterministic(monkeypatch):
    model = make_model("dark_dipole", delta=0.1)
    channel = model.channels(0.05)[-1]
    monkeypatch.setenv("DIPSCAN_KERNELS", "compiled")
    p, theta = parents(5000)
    a = model.sample_llp(channel, 0.05, p, theta, np.random.default_rng(3))
    b = model.sample_llp(channel, 0.05, p, theta, np.random.default_rng(3))
    for x, y in zip(a, b, strict=True):
        assert x.tobytes() == y.tobytes()


def test_unknown_kernel_choice_is_one_line_error(monkeypatch):
    from dipscan.errors import DipscanError

    monkeypatch.setenv("DIPSCAN_KERNELS", "fortran")
    model = make_model("dark_dipole", delta=0.1)
    p, theta = parents(10)
    with pytest.raises(DipscanError, match="DIPSCAN_KERNELS.*fortran.*compiled, numpy"):
        model.sample_llp(model.channels(0.05)[0], 0.05, p, theta, np.random.default_rng(3))


def test_scenario_outputs_agree_between_paths(monkeypatch):
    """On a whole (tiny) scenario the compiled path reproduces the reference event counts and
    contours to rounding: the contours do not move."""
    from pathlib import Path

    from dipscan.config.scenario import load_scenario
    from dipscan.scan.pipeline import compute

    tiny = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.toml"
    results = {}
    for path in ("numpy", "compiled"):
        monkeypatch.setenv("DIPSCAN_KERNELS", path)
        results[path] = compute(load_scenario(tiny))
    ref, fast = results["numpy"], results["compiled"]
    np.testing.assert_allclose(fast.events["n_events"].to_numpy(), ref.events["n_events"].to_numpy(),
                               rtol=1e-12, atol=0.0)
    np.testing.assert_allclose(fast.contours["coupling_GeVinv"].to_numpy(),
                               ref.contours["coupling_GeVinv"].to_numpy(), rtol=1e-12)
    assert fast.sample_counts == ref.sample_counts
