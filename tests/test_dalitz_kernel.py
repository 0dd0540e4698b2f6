"""The compiled Dalitz accept-reject steps against the numpy reference, and the compiled
sampler's law.

Both paths turn the same uniforms into proposals, matrix elements, densities and bounds with the
same operations in the same order, so they must agree bit for bit (A.7's s12**3 to its last
bit); the accept-reject loop is shared, so the same Generator state then gives the very same
accepted set.
"""

import numpy as np
import pytest
from numba import njit
from scipy import stats
from test_dalitz import M1, M2, M3, M, _marginal_chi2

from dipscan.physics.decays import dalitz, dalitz_kernels
from dipscan.physics.models.meson_widths import a4_sampler
from dipscan.physics.models.neutrino_dipole import a7_sampler

SAMPLERS = {
    "generic": lambda: dalitz.DalitzSampler(lambda a, b: a * a * b, M, M1, M2, M3),
    "pi0 -> gamma chi1 chi2": lambda: a4_sampler(0.1349768, 0.0922, 0.03, 0.0303),
    "eta -> gamma chi1 chi2, wide split": lambda: a4_sampler(0.547862, 0.0922, 0.05, 0.3),
    "K+ -> gamma mu N": lambda: a7_sampler(0.493677, 0.1557, 0.2243, 0.105658, 0.2),
}


def _batch_inputs(sampler, n, seed=3):
    du, dv = np.diff(sampler.u_edges), np.diff(sampler.v_edges)
    cum = np.cumsum((sampler.bound * du[:, None] * dv[None, :]).ravel())
    rng = np.random.default_rng(seed)
    uniforms = rng.random(n), rng.random(n), rng.random(n)
    uniforms[0][:3] = 0.0, 1.0 - 2**-53, 0.5  # first cell, last cell, a middle one
    # a bound below the density in some cells, so that the count of violations is tested too
    bound = sampler.bound.ravel() * rng.choice([0.5, 1.0], sampler.bound.size, p=[0.05, 0.95])
    return cum, bound, uniforms


@pytest.mark.parametrize("name", SAMPLERS)
def test_compiled_batch_equals_numpy_bit_for_bit(name):
    sampler = SAMPLERS[name]()
    cum, bound, uniforms = _batch_inputs(sampler, 50_000)
    ref = sampler.batch(cum, bound, *uniforms)
    fast = dalitz_kernels.CompiledSteps(sampler).batch(cum, bound, *uniforms)
    labels = ("cell", "m12sq", "m23sq", "density", "bound", "violations")
    for label, a, b in zip(labels, ref, fast, strict=True):
        if label == "density" and name.startswith("K+"):
            # A.7 has numpy's pow for s12**3, which may differ in the last bit from s12 s12 s12
            np.testing.assert_allclose(b, a, rtol=1e-13, atol=0.0, err_msg=name)
        else:
            np.testing.assert_array_equal(b, a, err_msg=f"{name}: {label}")
    cell, g = ref[0], ref[3]
    iu = cell // sampler.bound.shape[1]
    assert iu.min() == 0 and iu.max() == sampler.bound.shape[0] - 1
    assert g.max() > 0.0 and 0 < ref[5] < g.size


@njit
def _twin(twin, m12sq, m23sq, constants, out):
    for i in range(m12sq.size):
        if twin == dalitz_kernels.A4:
            out[i] = dalitz_kernels._a4_msq(m12sq[i], m23sq[i], constants)
        else:
            out[i] = dalitz_kernels._a7_msq(m12sq[i], m23sq[i], constants)


@pytest.mark.parametrize("name", ["pi0 -> gamma chi1 chi2", "K+ -> gamma mu N"])
def test_compiled_matrix_element_twins_equal_numpy(name):
    """The twins of A.4 and A.7 on the whole Dalitz region, its edges included."""
    sampler = SAMPLERS[name]()
    rng = np.random.default_rng(4)
    u, v = rng.random(20_000), rng.random(20_000)
    u[:4], v[:4] = (0.0, 1.0, 0.0, 1.0), (0.0, 0.0, 1.0, 1.0)
    m12sq, m23sq, _ = sampler.to_invariants(u, v)
    ref = sampler.msq(m12sq, m23sq)
    fast = np.empty_like(ref)
    _twin(dalitz_kernels.TWINS[sampler.msq.kernel], m12sq, np.ascontiguousarray(m23sq),
          dalitz_kernels.CompiledSteps(sampler).constants, fast)
    np.testing.assert_allclose(fast, ref, rtol=1e-13 if name.startswith("K+") else 0.0, atol=0.0)
    assert np.all(np.isfinite(ref)) and ref.max() > 0.0


def test_compiled_accept_equals_numpy():
    rng = np.random.default_rng(8)
    n = 10_000
    r, b, g = rng.random(n), np.full(n, 2.0), 2.0 * rng.random(n)
    m12sq, m23sq = rng.random(n), rng.random(n)
    for n_out, n_got in ((n, 0), (n, 3000), (4000, 3900), (4000, 4000)):
        outs = []
        for accept in (dalitz.DalitzSampler.accept, dalitz_kernels.CompiledSteps.accept):
            out12, out23 = np.zeros(n_out), np.zeros(n_out)
            outs.append((accept(r, b, g, m12sq, m23sq, out12, out23, n_got), out12, out23))
        filled = outs[0][0]
        assert outs[1][0] == filled
        for a, c in zip(outs[0][1:], outs[1][1:], strict=True):
            np.testing.assert_array_equal(c[:filled], a[:filled])  # beyond: free to overwrite
            assert not c[:n_got].any()  # rows filled before are left alone
    keep = r * b < g
    assert outs[0][0] == 4000 and 0 < keep.sum() < n


@pytest.mark.parametrize("name", SAMPLERS)
def test_compiled_sampler_accepts_the_same_set(name):
    sampler = SAMPLERS[name]()
    ref = sampler.sample(30_000, np.random.default_rng(21))
    fast = sampler.sample(30_000, np.random.default_rng(21),
                          steps=dalitz_kernels.CompiledSteps(sampler))
    for a, b in zip(ref, fast, strict=True):
        np.testing.assert_array_equal(b, a)


def test_compiled_sampler_follows_the_matrix_element_and_repairs_its_envelope():
    msq = lambda a, b: a * a * b  # noqa: E731  (strongly non-flat)
    sampler = dalitz.DalitzSampler(msq, M, M1, M2, M3)
    sampler.bound = sampler.bound * 0.2  # unsafe envelope: the restarts must repair it
    m12sq, m23sq = sampler.sample(100_000, np.random.default_rng(7),
                                  steps=dalitz_kernels.CompiledSteps(sampler))
    lo, hi = dalitz.m12sq_range(m23sq, M, M1, M2, M3)
    assert np.all((m12sq >= lo - 1e-12) & (m12sq <= hi + 1e-12))
    chi2, dof = _marginal_chi2(m23sq, msq)
    assert stats.chi2.sf(chi2, dof) > 1e-3
    flat = lambda a, b: np.ones_like(a)  # noqa: E731
    chi2_flat, _ = _marginal_chi2(m23sq, flat)
    assert stats.chi2.sf(chi2_flat, dof) < 1e-6


def test_cell_guide_picks_the_searchsorted_cell_on_hard_envelopes():
    """Cells of zero mass (runs of equal cumulative values), all the mass in one cell, uniforms
    on the guide's bin edges and next to them: the compiled proposals pick searchsorted's cell."""
    sampler = SAMPLERS["generic"]()
    n_cells = sampler.bound.size
    rng = np.random.default_rng(12)
    one = np.zeros(n_cells)
    one[n_cells // 3] = 1.0
    edges = np.arange(dalitz_kernels.GUIDE_BINS) / dalitz_kernels.GUIDE_BINS
    r = np.concatenate([edges, np.nextafter(edges, 1.0), np.nextafter(edges[1:], 0.0),
                        rng.random(50_000), [1.0 - 2**-53]])
    for masses in (rng.exponential(1.0, n_cells) * (rng.random(n_cells) > 0.4), one,
                   np.full(n_cells, 1e-300)):
        cum = np.cumsum(masses)
        ref = np.minimum(np.searchsorted(cum, r * cum[-1], side="right"), cum.size - 1)
        cell, *_ = dalitz_kernels.CompiledSteps(sampler).batch(cum, np.zeros(n_cells), r, r, r)
        np.testing.assert_array_equal(cell, ref)
        assert np.unique(ref).size > 1 or masses is one


A4_CASES = [(0.1349768, 0.0922, 0.03, 0.0303), (0.547862, 0.0922, 0.05, 0.3),
            (0.95778, 0.0922, 0.2, 0.22), (0.547862, 0.0922, 1e-3, 1.01e-3)]


@pytest.mark.parametrize("masses", A4_CASES)
def test_compiled_a4_widths_and_envelopes_equal_numpy_bit_for_bit(masses, monkeypatch):
    """A.4 on the Dalitz lines of a width integral and of a sampler's envelope is evaluated by its
    compiled twin on the compiled path: the numbers must be numpy's, to the last bit."""
    from dipscan.physics.models.meson_widths import a4_matrix_element

    m_p, f_p, m1, m2 = masses
    got = {}
    for kernels in ("numpy", "compiled"):
        monkeypatch.setenv("DIPSCAN_KERNELS", kernels)
        msq = a4_matrix_element(m_p, f_p, m1, m2)
        sampler = dalitz.DalitzSampler(msq, m_p, 0.0, m1, m2)
        got[kernels] = (dalitz.three_body_width_GeV(msq, m_p, 0.0, m1, m2), sampler.bound,
                        sampler.efficiency)
    assert got["compiled"][0] == got["numpy"][0] > 0.0
    np.testing.assert_array_equal(got["compiled"][1], got["numpy"][1])
    assert got["compiled"][2] == got["numpy"][2]


@pytest.mark.parametrize("name", ["generic", "pi0 -> gamma chi1 chi2", "K+ -> gamma mu N"])
def test_density_grid_is_the_broadcast_density(name):
    sampler = SAMPLERS[name]()
    rng = np.random.default_rng(5)
    u, v = rng.random(37), rng.random(23)
    u[:2], v[:2] = (0.0, 1.0), (0.0, 1.0)
    np.testing.assert_array_equal(sampler.density_grid(u, v),
                                  sampler.density(u[:, None], v[None, :]))


def test_compiled_cell_maximum_is_numpys_nan_included():
    rng = np.random.default_rng(6)
    g = rng.random((7, 5, 6, 5))
    g[2, 3, 4, 1] = np.nan  # numpy's max propagates it: so must the compiled one
    g[3, 0, 0, 0] = np.nan  # at the first element of a cell too
    g[5] = -rng.random((5, 6, 5))  # negative values: the running maximum starts from the data
    got, want = dalitz_kernels.cell_max(g), g.max(axis=(1, 3))
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[2, 4]) and np.isnan(got[3, 0]) and np.isfinite(got[0]).all()
