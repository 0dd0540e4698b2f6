"""The compiled decay chains against the straightforward numpy path, sample by sample.

Both paths draw the same random numbers from the same seeded Generator, so every LLP must agree
to rounding: a wrong sign, angle or boost in a kernel shows up as a difference of order one.
"""

import numpy as np
import pytest

from dipscan.physics.models import make_model

CASES = [
    ("dark_dipole", {"delta": 0.1}, 0.05),
    ("dark_dipole", {"delta": 0.01}, 0.3),
    ("neutrino_dipole", {"flavour": "mu"}, 0.2),
    ("neutrino_dipole", {"flavour": "tau"}, 0.1),
]


def parents(n, seed=7):
    rng = np.random.default_rng(seed)
    return 10.0 ** rng.uniform(-1.0, 3.0, n), rng.uniform(0.0, 0.3, n)


def llp_samples(kind, params, mass, channel, path, monkeypatch):
    monkeypatch.setenv("DIPSCAN_KERNELS", path)
    model = make_model(kind, **params)
    p, theta = parents(2000)
    return model.sample_llp(channel, mass, p, theta, np.random.default_rng(11))


@pytest.mark.parametrize(("kind", "params", "mass"), CASES)
def test_compiled_chain_matches_numpy_reference_sample_by_sample(kind, params, mass, monkeypatch):
    channels = make_model(kind, **params).channels(mass)
    assert {ch.kind for ch in channels} == {"two_body", "three_body"}
    for channel in channels:
        ref = llp_samples(kind, params, mass, channel, "numpy", monkeypatch)
        fast = llp_samples(kind, params, mass, channel, "compiled", monkeypatch)
        p_ref, theta_ref, phi_ref = ref
        np.testing.assert_allclose(fast[0], p_ref, rtol=1e-12, err_msg=channel.name)
        np.testing.assert_allclose(fast[1], theta_ref, rtol=1e-9, atol=1e-15, err_msg=channel.name)
        # phi wraps at +-pi: compare on the circle
        np.testing.assert_allclose(np.angle(np.exp(1j * (fast[2] - phi_ref))), 0.0, atol=1e-9,
                                   err_msg=channel.name)


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
