"""Physical constants (docs/physics.md, "Units and constants"). GeV and metres throughout.

hbar*c from hepunits (CODATA 2018); masses from the PDG table that `particle` ships (2026, through
dipscan.physics.pdg); alpha (CODATA, 1/137.035999) and G_F (PDG) written here, as hepunits has neither.
"""

import math

import hepunits
from hepunits import constants as _codata

from dipscan.physics.pdg import pdg_entry

HBARC_GeV_m = _codata.hbarc / (hepunits.GeV * hepunits.m)  # hbar*c, CODATA 2018 (exact), hepunits
ALPHA_EM = 1.0 / 137.035999  # fine-structure constant at q^2 = 0
E_CHARGE = math.sqrt(4.0 * math.pi * ALPHA_EM)  # Heaviside-Lorentz, natural units
G_FERMI_GeVm2 = 1.1663788e-5  # Fermi constant [GeV^-2], PDG
ELECTRON_MASS_GeV = pdg_entry(11).mass_MeV / 1000.0  # PDG, particle package (MeV)
PROTON_MASS_GeV = pdg_entry(2212).mass_MeV / 1000.0  # PDG, particle package (MeV)
# 1 mb = 2.568 GeV^-2: (hbar c)^2 = 0.3894 GeV^2 mb, from hepunits
MB_TO_GeVm2 = 1.0 / (_codata.hbarc**2 / (hepunits.GeV**2 * hepunits.millibarn))
