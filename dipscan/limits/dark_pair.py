"""The chi1 chi2 pair coupled to a single s-channel photon through the dipole d chi2bar sigma chi1 F.

Production (e+e- -> chi1 chi2), annihilation (chi1 chi2 -> f fbar) and the chi2 lifetime, in the
convention of docs/physics.md, "The dipole coefficient": vertex 2 d sigma^{mu nu} k_mu eps_nu,
Gamma(chi2 -> chi1 gamma) = d^2 (M2^2 - M1^2)^3 / (2 pi M2^3).

All three processes share the off-shell-photon "width function" of appendix A.2,
    K(q^2) = (1 - Delta^2/q^2)^{3/2} (1 + 2 Sigma^2/q^2) (1 - Sigma^2/q^2)^{1/2},
Delta = M2 - M1, Sigma = M1 + M2, through the identity
    Gamma(gamma*(q^2) -> chi1 chi2) / Gamma(gamma*(q^2) -> mu+ mu-) = d^2 q^2 K(q^2) / (2 pi alpha)
(massless muons), so that with sigma(e+e- -> mu+mu-) = 4 pi alpha^2 / (3 s):
    sigma(e+e- -> chi1 chi2)(s) = (2 alpha d^2 / 3) K(s).
Electron masses are neglected (s >> m_e^2 everywhere this is used). Cross sections in GeV^-2.
"""

from __future__ import annotations

import numpy as np

from dipscan.physics.constants import ALPHA_EM


def dipole_k_factor(q2_GeV2, m1_GeV, m2_GeV) -> np.ndarray:
    """K(q^2) of appendix A.2; 0 at and below the threshold q^2 = (M1 + M2)^2."""
    q2 = np.asarray(q2_GeV2, float)
    sig2 = (np.asarray(m1_GeV, float) + np.asarray(m2_GeV, float)) ** 2
    del2 = (np.asarray(m2_GeV, float) - np.asarray(m1_GeV, float)) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.clip(1.0 - del2 / q2, 0.0, None)
        b = np.clip(1.0 - sig2 / q2, 0.0, None)
        k = a**1.5 * (1.0 + 2.0 * sig2 / q2) * np.sqrt(b)
    return np.where(q2 > sig2, k, 0.0)


def sigma_ee_to_mumu_GeVm2(s_GeV2) -> np.ndarray:
    """Point-like QED sigma(e+e- -> mu+mu-) = 4 pi alpha^2 / (3 s), massless muons."""
    return 4.0 * np.pi * ALPHA_EM**2 / (3.0 * np.asarray(s_GeV2, float))


def sigma_ee_to_chi1chi2_GeVm2(s_GeV2, m1_GeV, m2_GeV, coupling_GeVinv) -> np.ndarray:
    """sigma(e+e- -> gamma* -> chi1 chi2) = (2 alpha d^2 / 3) K(s), zero below threshold."""
    d = np.asarray(coupling_GeVinv, float)
    return 2.0 * ALPHA_EM * d * d / 3.0 * dipole_k_factor(s_GeV2, m1_GeV, m2_GeV)


def pair_momentum_squared_GeV2(s_GeV2, m_a_GeV, m_b_GeV) -> np.ndarray:
    """CM momentum squared lambda(s, ma^2, mb^2)/(4 s) in factorised form, clipped at 0."""
    s = np.asarray(s_GeV2, float)
    ma, mb = np.asarray(m_a_GeV, float), np.asarray(m_b_GeV, float)
    lam = (s - (ma + mb) ** 2) * (s - (ma - mb) ** 2)
    return np.clip(lam, 0.0, None) / (4.0 * s)


def sigma_chi1chi2_to_ffbar_GeVm2(
    s_GeV2, m1_GeV, m2_GeV, coupling_GeVinv, fermion_mass_GeV=0.0, colour_charge2=1.0
) -> np.ndarray:
    """sigma(chi1 chi2 -> gamma* -> f fbar) for a point-like fermion, by crossing e+e- -> chi1 chi2.

    Detailed balance with equal spin multiplicities (2 x 2 on both sides):
    sigma(chi1 chi2 -> e+e-) p_chi^2 = sigma(e+e- -> chi1 chi2) p_e^2 with p_e^2 = s/4. A fermion
    of mass m_f, charge Q_f and N_c colours multiplies this by N_c Q_f^2 beta_f (1 + 2 m_f^2/s)
    (the same factor that turns massless into massive sigma(e+e- -> mu+mu-)); colour_charge2 is
    N_c Q_f^2. The result is
        (2 alpha d^2/3) (1 - Delta^2/s)^{1/2} (1 + 2 Sigma^2/s) (1 - Sigma^2/s)^{-1/2} x N_c Q_f^2 F_f,
    whose 1/v behaviour at threshold makes sigma v finite: the annihilation is s-wave.
    """
    s = np.asarray(s_GeV2, float)
    p2_chi = pair_momentum_squared_GeV2(s, m1_GeV, m2_GeV)
    sigma_rev = sigma_ee_to_chi1chi2_GeVm2(s, m1_GeV, m2_GeV, coupling_GeVinv)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossed = np.where(p2_chi > 0.0, sigma_rev * (s / 4.0) / p2_chi, 0.0)
    return crossed * colour_charge2 * fermion_pair_factor(s, fermion_mass_GeV)


def fermion_pair_factor(s_GeV2, fermion_mass_GeV) -> np.ndarray:
    """beta_f (1 + 2 m_f^2/s): sigma(gamma* -> f fbar) of a massive over a massless fermion."""
    s = np.asarray(s_GeV2, float)
    mf2 = np.asarray(fermion_mass_GeV, float) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        beta2 = np.clip(1.0 - 4.0 * mf2 / s, 0.0, None)
    return np.sqrt(beta2) * (1.0 + 2.0 * mf2 / s)


def chi_angular_density(cos_theta, q2_GeV2, m1_GeV, m2_GeV) -> np.ndarray:
    """Normalised density of cos(theta) of chi1 in gamma*(q^2) -> chi1 chi2, theta to the beam.

    For e+e- -> gamma* -> chi1 chi2 (unpolarised beams, massless electrons) the squared amplitude
    of the dipole current is proportional to (1 + r) - (1 - r) cos^2(theta), r = Sigma^2/q^2: a
    pure sin^2 for massless chi (helicity flip), isotropic at threshold. Its integral,
    (4/3)(1 + 2 r), is the (1 + 2 Sigma^2/q^2) factor of A.2, which fixes the normalisation.
    """
    c = np.asarray(cos_theta, float)
    q2 = np.asarray(q2_GeV2, float)
    r = (np.asarray(m1_GeV, float) + np.asarray(m2_GeV, float)) ** 2 / q2
    return ((1.0 + r) - (1.0 - r) * c * c) / (4.0 / 3.0 * (1.0 + 2.0 * r))


def chi2_width_GeV(m1_GeV, delta, coupling_GeVinv) -> np.ndarray:
    """Gamma(chi2 -> chi1 gamma) = d^2 (M2^2 - M1^2)^3 / (2 pi M2^3), M2 = (1 + delta) M1 (eq. A.1).

    Only the radiative channel: chi2 -> chi1 e+e- adds about 0.1% and is neglected.
    """
    m1 = np.asarray(m1_GeV, float)
    m2 = (1.0 + np.asarray(delta, float)) * m1
    d = np.asarray(coupling_GeVinv, float)
    return d * d * ((m2 - m1) * (m2 + m1)) ** 3 / (2.0 * np.pi * m2**3)
