"""The compiled BaBar recast against the numpy reference (DIPSCAN_KERNELS=numpy).

Both paths draw the same random numbers in the same order; they differ only in the last bits of
cos and sin (C library against numpy's own) and in the order of the sum over samples (in order
against BLAS), so every event weight, decay length and yield agrees to ~1e-14 and the accepted
set is the same: a wrong cut, boost or weight shows up as a difference of order one.
"""

import math

import numpy as np
import pytest

from dipscan.limits import babar
from dipscan.limits.babar_kernels import _LINEAR, _SATURATED, event_yield

CASES = [(0.01, 0.005), (0.12, 0.01), (0.6, 0.1), (2.0, 0.05), (3.0, 0.1), (4.9, 0.01)]
COUPLINGS = np.geomspace(1e-8, 1e-1, 60)


def _both(monkeypatch, function, *args, **kwargs):
    out = {}
    for path in ("numpy", "compiled"):
        monkeypatch.setenv("DIPSCAN_KERNELS", path)
        out[path] = function(*args, **kwargs)
    return out["numpy"], out["compiled"]


@pytest.mark.parametrize("m1, delta", CASES)
def test_accepted_events_match_the_reference(monkeypatch, m1, delta):
    ref, fast = _both(monkeypatch, lambda: babar.babar_sample(m1, delta, np.random.default_rng(3),
                                                              n_samples=4000))
    assert fast.events_at_unit_coupling.size == ref.events_at_unit_coupling.size  # same set
    if m1 < 4.9:
        assert ref.events_at_unit_coupling.size > 100
    np.testing.assert_allclose(fast.events_at_unit_coupling, ref.events_at_unit_coupling,
                               rtol=1e-13, atol=0.0)
    np.testing.assert_allclose(fast.decay_length_at_unit_coupling_m,
                               ref.decay_length_at_unit_coupling_m, rtol=1e-13, atol=0.0)


@pytest.mark.parametrize("m1, delta", CASES)
def test_event_yield_matches_the_reference(monkeypatch, m1, delta):
    sample = babar.babar_sample(m1, delta, np.random.default_rng(4), n_samples=4000)
    ref, fast = _both(monkeypatch, sample.event_yield, COUPLINGS)
    assert np.array_equal(fast == 0.0, ref == 0.0)
    np.testing.assert_allclose(fast, ref, rtol=1e-13, atol=0.0)


def test_grid_matches_the_reference(monkeypatch):
    ref, fast = _both(monkeypatch, babar.babar_event_yield, [0.05, 1.0], 0.1, COUPLINGS, rng=2,
                      n_samples=3000)
    assert fast.shape == ref.shape == (2, 60)
    np.testing.assert_allclose(fast, ref, rtol=1e-13, atol=0.0)


def test_event_yield_keeps_the_shape_of_the_couplings(monkeypatch):
    sample = babar.babar_sample(0.3, 0.1, np.random.default_rng(6), n_samples=2000)
    ref, fast = _both(monkeypatch, sample.event_yield, COUPLINGS.reshape(6, 10))
    assert fast.shape == ref.shape == (6, 10)
    assert np.asarray(sample.event_yield(0.01)).shape == ()


def test_event_yield_limits():
    # Every chi2 inside: d^2 sum(w) exactly. Every chi2 far outside: d^4 R sum(w / lambda).
    rng = np.random.default_rng(1)
    events, lengths = rng.uniform(0.1, 1.0, 500), 10.0 ** rng.uniform(-9.0, -6.0, 500)
    d2 = np.array([1e-30, 1e4])
    out = event_yield(d2, lengths, events, 1.0)
    total = 0.0
    for w in events:  # in order, as the kernel sums
        total += w
    assert out[1] == 1e4 * total
    assert out[0] == pytest.approx(1e-60 * np.sum(events / lengths), rel=1e-12)
    assert np.array_equal(event_yield(d2, np.ones(0), np.zeros(0), 1.0), np.zeros(2))


def test_shortcuts_equal_the_c_library():
    # 1 - e^-a is 1.0 above _SATURATED and a below _LINEAR: what expm1 itself returns there.
    for a in (_SATURATED, _SATURATED * (1 + 1e-12), 50.0, 700.0, 1e10):
        assert -math.expm1(-a) == 1.0
    for a in (_LINEAR * (1 - 1e-12), 1e-17, 1e-100, 5e-324):
        assert -math.expm1(-a) == a
