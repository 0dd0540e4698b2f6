"""dipscan's PDG table is `particle`'s own (the newest table its default load reads), value for value."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dipscan.physics import pdg_table
from dipscan.physics.mesons import MESONS, LEPTON_MASS_GeV
from dipscan.physics.pdg import TABLE_FILE, UnknownParticle, derived_source, pdg_entry

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
    out[pdgid] = [p.name, p.mass, p.width, p.is_self_conjugate, len(Particle.all()) > 1000]
print(json.dumps(out))
"""


def test_the_committed_table_is_the_one_derived_from_the_installed_particle():
    # catches an upgrade of `particle` (new masses) and any hand edit of the derived table
    assert TABLE_FILE.read_text() == derived_source()


def test_every_particle_dipscan_uses_is_as_in_the_default_load_of_particle():
    # particle's own default load (particles and nuclei), in a fresh interpreter
    done = subprocess.run([sys.executable, "-c", _DEFAULT, json.dumps(IDS)], capture_output=True,
                          text=True, check=True)
    default = {int(k): v for k, v in json.loads(done.stdout).items()}
    assert all(v is None or v[4] for v in default.values())  # that load did include the nuclei
    assert sum(v is not None for v in default.values()) >= len(MESONS) + 4
    for pdgid in IDS:
        if default[pdgid] is None:
            with pytest.raises(UnknownParticle):
                pdg_entry(pdgid)
            continue
        p = pdg_entry(pdgid)
        assert [p.name, p.mass_MeV, p.width_MeV, p.is_self_conjugate] == default[pdgid][:4], pdgid
    assert LEPTON_MASS_GeV["mu"] == default[13][1] / 1000.0


def test_heavy_flavour_flags_follow_the_quark_content():
    assert pdg_entry(421).has_charm_or_bottom and pdg_entry(-521).has_charm_or_bottom
    assert pdg_entry(443).has_charm_or_bottom and pdg_entry(553).has_charm_or_bottom
    assert not pdg_entry(211).has_charm_or_bottom and not pdg_entry(333).has_charm_or_bottom
    assert len(pdg_table.ROWS) == len({row[0] for row in pdg_table.ROWS})  # one row per id


def test_a_run_does_not_import_particle():
    code = ("import sys, dipscan.cli.commands, dipscan.cli.run, dipscan.scan.pipeline; "
            "from dipscan.config.scenario import load_scenario; "
            "load_scenario('scenarios/na62_delta0p01.toml'); print('particle' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.stdout.strip() == "False"
