"""The compiled Dalitz proposals against the numpy reference, and the compiled sampler's law.

Both paths turn the same uniforms into proposals with the same operations in the same order, so
they must agree bit for bit; the accept-reject loop is shared, so the same Generator state then
gives the very same accepted set.
"""

import numpy as np
import pytest
from scipy import stats
from test_dalitz import M1, M2, M3, M, _marginal_chi2

from dipscan.physics.decays import dalitz, kernels
from dipscan.physics.models.meson_widths import a4_sampler
from dipscan.physics.models.neutrino_dipole import a7_sampler

SAMPLERS = {
    "generic": lambda: dalitz.DalitzSampler(lambda a, b: a * a * b, M, M1, M2, M3),
    "pi0 -> gamma chi1 chi2": lambda: a4_sampler(0.1349768, 0.0922, 0.03, 0.0303),
    "eta -> gamma chi1 chi2, wide split": lambda: a4_sampler(0.547862, 0.0922, 0.05, 0.3),
    "K+ -> gamma mu N": lambda: a7_sampler(0.493677, 0.1557, 0.2243, 0.105658, 0.2),
}


@pytest.mark.parametrize("name", SAMPLERS)
def test_compiled_proposals_equal_numpy_bit_for_bit(name):
    sampler = SAMPLERS[name]()
    du, dv = np.diff(sampler.u_edges), np.diff(sampler.v_edges)
    cum = np.cumsum((sampler.bound * du[:, None] * dv[None, :]).ravel())
    rng = np.random.default_rng(3)
    uniforms = rng.random(50_000), rng.random(50_000), rng.random(50_000)
    uniforms[0][:3] = 0.0, 1.0 - 2**-53, 0.5  # first cell, last cell, a middle one
    ref = sampler.proposals(cum, *uniforms)
    fast = kernels.dalitz_proposals(sampler)(cum, *uniforms)
    for label, a, b in zip(("iu", "iv", "m12sq", "m23sq", "jacobian"), ref, fast, strict=True):
        np.testing.assert_array_equal(b, a, err_msg=f"{name}: {label}")
    assert ref[0].min() == 0 and ref[0].max() == sampler.bound.shape[0] - 1


@pytest.mark.parametrize("name", SAMPLERS)
def test_compiled_sampler_accepts_the_same_set(name):
    sampler = SAMPLERS[name]()
    ref = sampler.sample(30_000, np.random.default_rng(21))
    fast = sampler.sample(30_000, np.random.default_rng(21), proposals=kernels.dalitz_proposals(sampler))
    for a, b in zip(ref, fast, strict=True):
        np.testing.assert_array_equal(b, a)


def test_compiled_sampler_follows_the_matrix_element_and_repairs_its_envelope():
    msq = lambda a, b: a * a * b  # noqa: E731  (strongly non-flat)
    sampler = dalitz.DalitzSampler(msq, M, M1, M2, M3)
    sampler.bound = sampler.bound * 0.2  # unsafe envelope: the restarts must repair it
    fast = kernels.dalitz_proposals(sampler)
    m12sq, m23sq = sampler.sample(100_000, np.random.default_rng(7), proposals=fast)
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
    n_cells, n_v = sampler.bound.size, sampler.bound.shape[1]
    rng = np.random.default_rng(12)
    one = np.zeros(n_cells)
    one[n_cells // 3] = 1.0
    edges = np.arange(kernels.GUIDE_BINS) / kernels.GUIDE_BINS
    r = np.concatenate([edges, np.nextafter(edges, 1.0), np.nextafter(edges[1:], 0.0),
                        rng.random(50_000), [1.0 - 2**-53]])
    for masses in (rng.exponential(1.0, n_cells) * (rng.random(n_cells) > 0.4), one,
                   np.full(n_cells, 1e-300)):
        cum = np.cumsum(masses)
        ref = np.minimum(np.searchsorted(cum, r * cum[-1], side="right"), cum.size - 1)
        iu, iv, *_ = kernels.dalitz_proposals(sampler)(cum, r, r, r)
        np.testing.assert_array_equal(iu * n_v + iv, ref)
        assert np.unique(ref).size > 1 or masses is one
