"""The compiled relic cross section against the numpy reference (DIPSCAN_KERNELS=numpy), and the
g_* tabulation's skipped rows against the direct evaluation.

The compiled sigma_12 uses the C library's log, tanh and pow and |F|^2 without complex
division, so it agrees with numpy to a few units in the last place; a wrong threshold, step or
form factor shows up as a difference of order one.
"""

import numpy as np
import pytest

from dipscan.limits import dof, relic
from dipscan.limits.r_ratio import PION_CHARGED_MASS_GeV
from dipscan.limits.relic_kernels import sigma12

MASSES_GeV = [0.01, 0.07, 0.14, 0.3, 0.6, 1.0, 1.9, 3.5, 6.0]


def _s_grid(m1, m2):
    """sqrt(s) from threshold up through the rho, charm and beauty regions (and below it)."""
    root_s = np.concatenate([(m1 + m2) * np.array([0.5, 1.0]),
                             m1 + m2 + np.geomspace(1e-9, 15.0, 3000),
                             [2.0 * PION_CHARGED_MASS_GeV, 0.77526, 3.85, 10.7]])
    return root_s**2


@pytest.mark.parametrize("m1", MASSES_GeV)
@pytest.mark.parametrize("delta", [0.005, 0.1, 1.0])
def test_sigma12_matches_the_reference(m1, delta):
    m2 = (1.0 + delta) * m1
    s = _s_grid(m1, m2)
    ref = relic.sigma12_GeVm2(s, m1, m2)
    fast = sigma12(s, m1, m2, relic.LEPTON_MASSES_GeV)
    assert np.array_equal(fast == 0.0, ref == 0.0)  # closed below threshold, open above
    open_ = ref > 0.0
    assert open_.sum() > 2500
    np.testing.assert_allclose(fast[open_], ref[open_], rtol=4e-15, atol=0.0)


def test_sigma12_keeps_the_shape_of_its_input():
    s = _s_grid(0.3, 0.33)[:3000].reshape(60, 50)
    assert sigma12(s, 0.3, 0.33, relic.LEPTON_MASSES_GeV).shape == (60, 50)


@pytest.mark.parametrize("m1, delta", [(0.02, 0.005), (0.4, 0.01), (2.5, 0.1)])
def test_thermal_average_matches_the_reference(monkeypatch, m1, delta):
    x = np.geomspace(1.0, relic._x_end(delta), 60)
    out = {}
    for path in ("numpy", "compiled"):
        monkeypatch.setenv("DIPSCAN_KERNELS", path)
        out[path] = relic.coannihilation_sigma_v_GeVm2(x, m1, delta)
    assert np.all(out["numpy"] > 0.0)
    np.testing.assert_allclose(out["compiled"], out["numpy"], rtol=1e-14, atol=0.0)


def test_relic_coupling_matches_the_reference(monkeypatch):
    # The adaptive freeze-out integrator may accept other steps when its tables differ in the
    # last bits, so the lines agree to the solver's accuracy (~5e-7 in d), not to the last bit.
    masses = np.array([0.05, 0.8, 4.0])
    out = {}
    for path in ("numpy", "compiled"):
        monkeypatch.setenv("DIPSCAN_KERNELS", path)
        out[path] = relic.relic_coupling(masses, 0.05)
    np.testing.assert_allclose(out["compiled"], out["numpy"], rtol=1e-6, atol=0.0)


def _ideal_gas_every_row(species, temperature_GeV):
    """`dof._ideal_gas` without skipping: every species at every temperature."""
    u = np.linspace(0.0, 60.0, 3001)[None, :]
    g_tot, h_tot = np.zeros_like(temperature_GeV), np.zeros_like(temperature_GeV)
    for g, m, eta in species:
        z = (m / temperature_GeV)[:, None]
        p2 = np.clip(u * u - z * z, 0.0, None)
        with np.errstate(over="ignore", divide="ignore"):
            occ = np.where(u > z, 1.0 / (np.exp(u) + eta), 0.0)
        rho = np.trapezoid(u * u * np.sqrt(p2) * occ, u, axis=1)
        pressure = np.trapezoid(p2**1.5 * occ, u, axis=1) / 3.0
        g_tot += g * 15.0 / np.pi**4 * rho
        h_tot += g * 45.0 / (4.0 * np.pi**4) * (rho + pressure)
    return g_tot, h_tot


@pytest.mark.parametrize("species", ["_LEPTONS_AND_BOSONS", "_PARTONS", "_HADRONS"])
def test_degrees_of_freedom_skip_only_what_is_zero_or_repeated(species):
    t = 10.0 ** dof._GRID_LOG10_T
    fast = dof._ideal_gas(getattr(dof, species), t)
    ref = _ideal_gas_every_row(getattr(dof, species), t)
    for a, b in zip(fast, ref, strict=True):
        assert a.tobytes() == b.tobytes()


def test_scaled_k2_is_kve_of_order_two():
    from scipy import special

    from dipscan.limits.boltzmann import scaled_k2

    z = np.geomspace(1e-3, 1e5, 20000)
    np.testing.assert_allclose(scaled_k2(z), special.kve(2, z), rtol=2e-15, atol=0.0)
