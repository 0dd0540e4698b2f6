"""Physical constants (docs/physics.md, "Units and constants"; PDG 2024). GeV and metres throughout."""

import math

HBARC_GeV_m = 1.973269804e-16  # hbar*c, CODATA 2018
ALPHA_EM = 1.0 / 137.035999  # fine-structure constant at q^2 = 0
E_CHARGE = math.sqrt(4.0 * math.pi * ALPHA_EM)  # Heaviside-Lorentz, natural units
G_FERMI_GeVm2 = 1.1663788e-5  # Fermi constant [GeV^-2], PDG
ELECTRON_MASS_GeV = 0.51099895e-3
MB_TO_GeVm2 = 1.0 / 0.3893793721  # 1 mb = 2.568 GeV^-2  ((hbar c)^2 = 0.3894 GeV^2 mb)
