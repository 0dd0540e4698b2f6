"""BaBar mono-photon recast: e+e- -> gamma chi1 chi2, chi2 -> chi1 gamma (paper section 4.2).

Process. An initial-state photon is radiated and the rest of the energy makes chi1 chi2 through
the off-shell photon and the dipole vertex (`isr` for the factorisation, `dark_pair` for
sigma(e+e- -> chi1 chi2)(q^2) = (2 alpha d^2/3) K(q^2)); chi2 then decays to chi1 gamma. The
signal is two photons and missing energy.

Selection (CM frame; paper section 4.2 and the BaBar Upsilon(3S) single-photon search,
arXiv:0808.0017):
- leading photon E >= 2 GeV (the single-photon trigger), inside the trigger photon's fiducial
  region -0.31 < cos(theta*) < 0.6 used for the high-energy region of that search;
- subleading photon E >= 20 MeV inside the calorimeter, 15.8 deg < theta_lab < 141.8 deg (BaBar
  detector paper, NIM A479 (2002) 1), i.e. about -0.92 < cos(theta*) < 0.90 in the CM frame
  for the Upsilon(3S) boost beta*gamma = 0.53 (8.6 GeV e- on 3.1 GeV e+);
- missing energy sqrt(s) - E_gamma1 - E_gamma2 >= 50 MeV;
- chi2 decays within 1 m of the interaction point, about where the calorimeter starts
  (inner radius ~0.92 m), so that the decay photon showers in the calorimeter like a prompt one.
Sensitivity: the coupling that gives 10 signal events with 60 fb^-1 at sqrt(s) = M(Upsilon(3S)).

Approximations, each deliberate:
- the whole event is built in the CM frame; the decay length uses the CM chi2 momentum (the lab
  boost of PEP-II, beta*gamma = 0.53, changes it by tens of percent at most);
- the chi1 chi2 angular distribution in the gamma* rest frame is the Born one with respect to the
  beam axis (`dark_pair.chi_angular_density`), exact for collinear ISR and an approximation for
  the wide-angle photons selected here; it only moves momentum between chi1 and chi2;
- no detector resolution, efficiency or vacuum polarisation; no resonant Upsilon(3S) -> chi1 chi2
  (it has no ISR photon and fails the two-photon selection).

Couplings enter in two places only: the cross section (~ d^2) and the chi2 decay length
(~ 1/d^2). The kinematics are sampled once per mass and the coupling grid is a column operation.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dipscan.limits.dark_pair import chi2_width_GeV, chi_angular_density, sigma_ee_to_chi1chi2_GeVm2
from dipscan.limits.isr import sample_isr_photons
from dipscan.physics.constants import HBARC_GeV_m, MB_TO_GeVm2
from dipscan.physics.decays.backend import kernel_choice
from dipscan.physics.decays.kinematics import (
    boost_to_frame,
    isotropic_unit_vectors,
    two_body_momentum_GeV,
)

UPSILON_3S_MASS_GeV = 10.3551  # PDG (10355.1 MeV); the BaBar Upsilon(3S) run of arXiv:0808.0017
BABAR_LUMINOSITY_invfb = 60.0  # paper section 4.2
BABAR_REQUIRED_EVENTS = 10.0  # paper section 4.2 (following its ref. [31])
BABAR_MC_SAMPLES = 20000  # Monte Carlo events per mass point and ISR-photon stratum
FB_PER_GeVm2 = 1.0e12 / MB_TO_GeVm2  # 1 GeV^-2 = 0.3894 mb = 3.894e11 fb


@dataclass(frozen=True)
class BabarSelection:
    """Beam, exposure and cuts of the recast (CM-frame energies and angles, see module docstring)."""

    sqrt_s_GeV: float = UPSILON_3S_MASS_GeV
    luminosity_invfb: float = BABAR_LUMINOSITY_invfb
    leading_min_energy_GeV: float = 2.0
    leading_cos_range: tuple[float, float] = (-0.31, 0.6)
    subleading_min_energy_GeV: float = 0.020
    subleading_cos_range: tuple[float, float] = (-0.92, 0.90)
    missing_energy_min_GeV: float = 0.050
    decay_radius_m: float = 1.0


DEFAULT_SELECTION = BabarSelection()


@dataclass(frozen=True)
class BabarSample:
    """Accepted Monte Carlo events of one mass point, at the reference coupling d = 1 GeV^-1.

    events_at_unit_coupling: expected events each sample carries for the full luminosity if chi2
    decayed promptly; decay_length_at_unit_coupling_m: its CM decay length beta*gamma*c*tau.
    At coupling d the events scale by d^2 and the decay length by 1/d^2.
    """

    events_at_unit_coupling: np.ndarray
    decay_length_at_unit_coupling_m: np.ndarray
    decay_radius_m: float

    def event_yield(self, coupling_GeVinv) -> np.ndarray:
        """Expected signal events at each coupling (any shape); compiled (`babar_kernels`)
        unless DIPSCAN_KERNELS=numpy."""
        d2 = np.asarray(coupling_GeVinv, float) ** 2
        if kernel_choice() == "compiled":
            from dipscan.limits.babar_kernels import event_yield  # numba: imported on use

            return event_yield(d2.ravel(), self.decay_length_at_unit_coupling_m,
                               self.events_at_unit_coupling, self.decay_radius_m).reshape(d2.shape)
        flat = d2.reshape(-1, 1)
        # p_inside = 1 - exp(-R d^2 / lambda) per (coupling, sample), in one buffer: the grid
        # is tens of megabytes, so each temporary would cost a pass over memory.
        with np.errstate(divide="ignore", over="ignore"):
            p_inside = np.divide(self.decay_radius_m * flat, self.decay_length_at_unit_coupling_m)
            np.negative(p_inside, out=p_inside)
            np.expm1(p_inside, out=p_inside)
            np.negative(p_inside, out=p_inside)
        return (flat[:, 0] * (p_inside @ self.events_at_unit_coupling)).reshape(d2.shape)


@dataclass(frozen=True)
class BabarLimit:
    """Event-yield grid and its lower edge, ready for contouring at `required_events`."""

    mass_GeV: np.ndarray  # (n_mass,)
    coupling_GeVinv: np.ndarray  # (n_coupling,)
    event_yield: np.ndarray  # (n_mass, n_coupling)
    lower_edge_coupling_GeVinv: np.ndarray  # (n_mass,), NaN where never reached
    required_events: float


def babar_sample(
    m1_GeV: float,
    delta: float,
    rng: np.random.Generator,
    n_samples: int = BABAR_MC_SAMPLES,
    selection: BabarSelection = DEFAULT_SELECTION,
) -> BabarSample:
    """Sample e+e- -> gamma chi1 chi2 (chi2 -> chi1 gamma) for one mass and keep accepted events."""
    if not (m1_GeV > 0.0 and delta > 0.0):
        raise ValueError(f"need m1_GeV > 0 and delta > 0, got {m1_GeV}, {delta}")
    sel = selection
    m1, m2 = float(m1_GeV), float((1.0 + delta) * m1_GeV)
    sqrt_s = sel.sqrt_s_GeV
    x_max = 1.0 - (m1 + m2) ** 2 / sqrt_s**2
    x_lead = 2.0 * sel.leading_min_energy_GeV / sqrt_s
    x_sub = 2.0 * sel.subleading_min_energy_GeV / sqrt_s
    cos_lo, cos_hi = sel.subleading_cos_range  # the widest acceptance any photon can have

    strata = []
    if x_max > x_lead:  # the ISR photon can pass the leading-photon threshold
        strata.append((x_lead, x_max))
    # A soft ISR photon needs a decay photon above the leading threshold: possible only if the
    # hardest chi2 (x -> 0) boosts its photon that far.
    e_star = (m2 - m1) * (m2 + m1) / (2.0 * m2)
    e_chi2_max = (sqrt_s**2 + m2**2 - m1**2) / (2.0 * sqrt_s)
    e_gamma_max = e_star * (e_chi2_max + np.sqrt(max(e_chi2_max**2 - m2**2, 0.0))) / m2
    if e_gamma_max >= sel.leading_min_energy_GeV and min(x_lead, x_max) > x_sub:
        strata.append((x_sub, min(x_lead, x_max)))

    events, lengths = [], []
    width_unit = float(chi2_width_GeV(m1, delta, 1.0))
    for x_lo, x_hi in strata:
        x, cos_isr, w = sample_isr_photons(x_lo, x_hi, cos_lo, cos_hi, n_samples, rng)
        ev, lam = _accepted_events(x, cos_isr, w, m1, m2, e_star, width_unit, sel, rng)
        events.append(ev)
        lengths.append(lam)
    if not events:
        return BabarSample(np.zeros(0), np.ones(0), sel.decay_radius_m)
    ev, lam = np.concatenate(events), np.concatenate(lengths)
    keep = ev > 0.0
    return BabarSample(ev[keep], lam[keep], sel.decay_radius_m)


def _accepted_events(x, cos_isr, w, m1, m2, e_star, width_unit, sel, rng):
    """(events, decay length at d = 1) per ISR photon: compiled (`babar_kernels`) on the same
    random numbers, in the same order, unless DIPSCAN_KERNELS=numpy."""
    if kernel_choice() == "numpy":
        return _accepted_events_numpy(x, cos_isr, w, m1, m2, e_star, width_unit, sel, rng)
    from dipscan.limits.babar_kernels import accepted_events  # numba: imported on use

    n = x.size
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    directions = [rng.uniform(low, high, n) for _ in range(2)  # isotropic_unit_vectors' draws
                  for low, high in ((-1.0, 1.0), (0.0, 2.0 * np.pi))]
    cuts = (sel.sqrt_s_GeV, sel.leading_min_energy_GeV, *sel.leading_cos_range,
            sel.subleading_min_energy_GeV, *sel.subleading_cos_range, sel.missing_energy_min_GeV,
            FB_PER_GeVm2, sel.luminosity_invfb)
    return accepted_events(x, cos_isr, w, phi, *directions, m1, m2, e_star, width_unit,
                           tuple(float(c) for c in cuts))


def _accepted_events_numpy(x, cos_isr, w, m1, m2, e_star, width_unit, sel, rng):
    n = x.size
    sqrt_s = sel.sqrt_s_GeV
    e_isr = 0.5 * x * sqrt_s
    phi = rng.uniform(0.0, 2.0 * np.pi, n)
    sin_isr = np.sqrt(1.0 - cos_isr**2)
    k_isr = e_isr[:, None] * np.stack(
        [sin_isr * np.cos(phi), sin_isr * np.sin(phi), cos_isr], axis=1
    )

    # The recoiling gamma*(q^2) and its chi1 chi2 pair.
    q2 = sqrt_s**2 * (1.0 - x)
    q = np.sqrt(q2)
    frame = np.concatenate([(sqrt_s - e_isr)[:, None], -k_isr], axis=1)
    n_chi1 = isotropic_unit_vectors(n, rng)
    angular_weight = 2.0 * chi_angular_density(n_chi1[:, 2], q2, m1, m2)
    p_star = two_body_momentum_GeV(q, m1, m2)
    chi2_rest = np.concatenate([np.hypot(p_star, m2)[:, None], -p_star[:, None] * n_chi1], axis=1)
    chi2 = boost_to_frame(chi2_rest, frame, q)

    # chi2 -> chi1 gamma, isotropic in the chi2 rest frame.
    n_gamma = isotropic_unit_vectors(n, rng)
    gamma_rest = np.concatenate([np.full((n, 1), e_star), e_star * n_gamma], axis=1)
    gamma_dec = boost_to_frame(gamma_rest, chi2, m2)
    e_dec = gamma_dec[:, 0]
    cos_dec = gamma_dec[:, 3] / np.maximum(e_dec, 1e-300)

    isr_leads = e_isr >= e_dec
    e_lead = np.where(isr_leads, e_isr, e_dec)
    e_sub = np.where(isr_leads, e_dec, e_isr)
    cos_lead = np.where(isr_leads, cos_isr, cos_dec)
    cos_sub = np.where(isr_leads, cos_dec, cos_isr)
    (lead_lo, lead_hi), (sub_lo, sub_hi) = sel.leading_cos_range, sel.subleading_cos_range
    accepted = (
        (e_lead >= sel.leading_min_energy_GeV)
        & (cos_lead > lead_lo)
        & (cos_lead < lead_hi)
        & (e_sub >= sel.subleading_min_energy_GeV)
        & (cos_sub > sub_lo)
        & (cos_sub < sub_hi)
        & (sqrt_s - e_isr - e_dec >= sel.missing_energy_min_GeV)
    )
    sigma_unit = sigma_ee_to_chi1chi2_GeVm2(q2, m1, m2, 1.0)
    events = w * sigma_unit * angular_weight * accepted * FB_PER_GeVm2 * sel.luminosity_invfb
    p_chi2 = np.linalg.norm(chi2[:, 1:], axis=1)
    decay_length = (p_chi2 / m2) * HBARC_GeV_m / width_unit
    return events, decay_length


def babar_event_yield(
    m1_GeV,
    delta: float,
    coupling_GeVinv,
    rng: np.random.Generator | int = 0,
    n_samples: int = BABAR_MC_SAMPLES,
    selection: BabarSelection = DEFAULT_SELECTION,
    rows: range | None = None,
) -> np.ndarray:
    """Expected BaBar signal events, shape (n_mass, n_coupling); with `rows`, only those rows
    of the grid (the same numbers, so that a grid can be computed in pieces).

    Each mass gets its own child stream of `rng` (a Generator, or an integer seed), so a mass
    point's result does not depend on which other masses are in the list.
    """
    masses = np.atleast_1d(np.asarray(m1_GeV, float))
    couplings = np.atleast_1d(np.asarray(coupling_GeVinv, float))
    children = _child_generators(rng, masses.size)
    rows = range(masses.size) if rows is None else rows
    out = np.zeros((len(rows), couplings.size))
    for k, i in enumerate(rows):
        out[k] = babar_sample(masses[i], delta, children[i], n_samples, selection).event_yield(couplings)
    return out


def lower_edge_coupling(
    sample: BabarSample, required_events: float = BABAR_REQUIRED_EVENTS
) -> float:
    """Smallest coupling giving `required_events` (NaN if the yield never gets there).

    The yield d^2 sum_i w_i (1 - exp(-R d^2/lambda_i)) rises monotonically with d, so the edge is
    unique; there is no upper edge (a prompt chi2 still gives the signal).
    """
    if sample.events_at_unit_coupling.size == 0:
        return float("nan")
    lo, hi = np.log(1e-12), np.log(1e3)

    def excess(log_d: float) -> float:
        return float(np.log(sample.event_yield(np.exp(log_d)) + 1e-300) - np.log(required_events))

    if excess(hi) < 0.0:
        return float("nan")
    from scipy import optimize  # here: reading a scenario's BaBar recast must not load scipy

    return float(np.exp(optimize.brentq(excess, lo, hi, xtol=1e-10)))


def babar_limit_curve(
    delta: float,
    masses_GeV,
    coupling_GeVinv=None,
    rng: np.random.Generator | int = 0,
    n_samples: int = BABAR_MC_SAMPLES,
    required_events: float = BABAR_REQUIRED_EVENTS,
    selection: BabarSelection = DEFAULT_SELECTION,
) -> BabarLimit:
    """Yield grid over (mass, coupling) plus the lower-edge coupling per mass (same samples)."""
    masses = np.atleast_1d(np.asarray(masses_GeV, float))
    couplings = (
        np.logspace(-7.0, 0.0, 141)
        if coupling_GeVinv is None
        else np.atleast_1d(np.asarray(coupling_GeVinv, float))
    )
    grid = np.zeros((masses.size, couplings.size))
    edge = np.full(masses.size, np.nan)
    for i, child in enumerate(_child_generators(rng, masses.size)):
        sample = babar_sample(masses[i], delta, child, n_samples, selection)
        grid[i] = sample.event_yield(couplings)
        edge[i] = lower_edge_coupling(sample, required_events)
    return BabarLimit(masses, couplings, grid, edge, float(required_events))


def recast_code_digest() -> str:
    """sha256 of the code behind `babar_event_yield` and the numpy version: part of the key of a
    cached recast, so an edited recast is never read back from an old cache entry."""
    import hashlib
    import sys
    from importlib import metadata

    from dipscan.limits import dark_pair, isr
    from dipscan.physics import constants
    from dipscan.physics.decays import kinematics

    h = hashlib.sha256(f"numpy=={metadata.version('numpy')}".encode())
    # The compiled twin by its file: importing it would load numba when nothing is computed.
    files = [m.__file__ for m in (sys.modules[__name__], constants, kinematics, dark_pair, isr)]
    for file in [*files, Path(__file__).with_name("babar_kernels.py")]:
        with open(file, "rb") as source:
            h.update(source.read())
    return h.hexdigest()


def _child_generators(rng, n: int) -> list[np.random.Generator]:
    parent = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(int(rng))
    return parent.spawn(n)
