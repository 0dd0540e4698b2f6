"""The PDG table dipscan loads (particles without nuclei) is the one `particle` loads by default."""

import json
import subprocess
import sys

from dipscan.physics.mesons import MESONS, LEPTON_MASS_GeV
from dipscan.physics.pdg import Particle, particle_table_path

IDS = sorted({*MESONS, *(-p for p in MESONS), 11, 13, 15, 2212})

_DEFAULT = """
import json, sys
from particle import Particle
out = {}
for pdgid in json.loads(sys.argv[1]):
    try:
        p = Particle.from_pdgid(pdgid)
    except Exception:
        out[pdgid] = None
        continue
    out[pdgid] = [p.name, p.mass, p.width, str(p.pdgid), len(Particle.all()) > 1000]
print(json.dumps(out))
"""


def test_every_particle_dipscan_uses_is_as_in_the_default_load_of_particle():
    # particle's own default load (particles and nuclei), in a fresh interpreter
    done = subprocess.run([sys.executable, "-c", _DEFAULT, json.dumps(IDS)], capture_output=True,
                          text=True, check=True)
    default = {int(k): v for k, v in json.loads(done.stdout).items()}
    assert all(v is None or v[4] for v in default.values())  # that load did include the nuclei
    assert sum(v is not None for v in default.values()) >= len(MESONS) + 4
    for pdgid in IDS:
        if default[pdgid] is None:
            continue
        p = Particle.from_pdgid(pdgid)
        assert [p.name, p.mass, p.width, str(p.pdgid)] == default[pdgid][:4], pdgid
    assert LEPTON_MASS_GeV["mu"] == default[13][1] / 1000.0


def test_dipscan_loads_the_newest_particle_table_without_nuclei():
    code = ("import dipscan.physics.constants; from particle import Particle; "
            "print(len(Particle.all()), *Particle.table_names())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    count, *names = done.stdout.split()
    assert int(count) < 1000 and len(names) == 1  # PDG particles only, no nuclei
    assert names[0].endswith(particle_table_path().name)
