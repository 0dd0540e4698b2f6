"""PDG particle data from the `particle` package, loaded without its table of nuclei.

`particle` loads, on first use, its PDG particle table (about 670 entries) together with about
5,900 nuclei; dipscan never asks for a nucleus (target mass numbers come from the presets), and
the nuclei take nine tenths of the loading time of every dipscan process. Importing this module
loads the particle table alone, the newest one the package ships, which is the one its default
load reads. Every module of dipscan that asks `particle` for a mass imports `Particle` from here.
"""

from __future__ import annotations

from particle import Particle, data


def particle_table_path():
    """The newest PDG particle table of the installed `particle` (what its default load reads)."""
    return max(data.basepath.glob("particle20[0-9][0-9].csv"), key=lambda p: p.name)


if not Particle.table_loaded():
    Particle.load_table(particle_table_path())

__all__ = ["Particle", "particle_table_path"]
