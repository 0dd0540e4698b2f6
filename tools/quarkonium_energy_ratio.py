"""PYTHIA8 ratio of quarkonium cross sections in a forward window between two LHC energies.

The lhc14 beam preset normalises J/psi and Upsilon(1S) to LHCb measurements made at 13 TeV and
7 TeV.  The step from the measured energy to 14 TeV is taken from PYTHIA8 (same settings as the
preset's charmonium and bottomonium productions): this script prints
sigma(window, 14 TeV) / sigma(window, measured energy), with the window the measurement's
(2 < y < 4.5 on one side, pT below the measured maximum).  Its output is quoted, with the
settings and event counts, in scenarios/beams/lhc14.toml.

    .venv/bin/python tools/quarkonium_energy_ratio.py [events per run]
"""

from __future__ import annotations

import math
import sys

from dipscan.production.shard import new_pythia

RUNS = {
    # species: (pdgid, PYTHIA8 process, measured sqrt(s) [GeV], pT max [GeV])
    "jpsi": (443, "Charmonium:all = on", 13000.0, 14.0),
    "upsilon": (553, "Bottomonium:all = on", 7000.0, 15.0),
}
Y_MIN, Y_MAX = 2.0, 4.5


def window_cross_section_mb(pdgid: int, process: str, ecm_GeV: float, pt_max_GeV: float,
                            n_events: int, seed: int) -> tuple[float, int]:
    settings = ("Beams:idA = 2212", "Beams:idB = 2212", "Beams:frameType = 1",
                f"Beams:eCM = {ecm_GeV!r}", process, "PhaseSpace:pTHatMin = 0.5",
                "Random:setSeed = on", f"Random:seed = {seed}", "Print:quiet = on",
                "Next:numberCount = 0")
    pythia = new_pythia(settings)
    inside = 0
    for _ in range(n_events):
        if not pythia.next():
            continue
        ev = pythia.event
        for i in range(ev.size()):
            part = ev[i]
            if part.idAbs() == pdgid and part.iBotCopyId() == i:
                if Y_MIN < part.y() < Y_MAX and part.pT() < pt_max_GeV:
                    inside += 1
    sigma_gen_mb = pythia.infoPython().sigmaGen()
    return sigma_gen_mb * inside / n_events, inside


def main() -> None:
    n_events = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    for name, (pdgid, process, measured_GeV, pt_max) in RUNS.items():
        hi, n_hi = window_cross_section_mb(pdgid, process, 14000.0, pt_max, n_events, 14014)
        lo, n_lo = window_cross_section_mb(pdgid, process, measured_GeV, pt_max, n_events, 14014)
        ratio = hi / lo
        err = ratio * math.sqrt(1.0 / n_hi + 1.0 / n_lo)
        print(f"{name}: sigma(2<y<4.5, pT<{pt_max:g} GeV) at 14 TeV / {measured_GeV / 1000:g} TeV "
              f"= {ratio:.3f} +- {err:.3f} (stat.; {n_events} events per energy; "
              f"{n_hi} / {n_lo} mesons in the window)")


if __name__ == "__main__":
    main()
