"""PDG particle data (names, masses, widths), as the `particle` package gives them, without importing it.

Importing `particle` and loading its PDG table costs every dipscan process tens of milliseconds,
more than the rest of what a run imports beyond numpy and polars. dipscan therefore reads a
derived copy, `dipscan/physics/pdg_table.py`: every entry of the newest PDG table the installed
`particle` ships (the one its default load reads), restricted to the fields dipscan uses, with the
`particle` version and the sha256 of its source file. The tests regenerate it from `particle` and
require it to be equal, value for value; after an upgrade of `particle` rewrite it with
`python -m dipscan.physics.pdg`.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

TABLE_FILE = Path(__file__).with_name("pdg_table.py")


class UnknownParticle(KeyError):
    """A PDG id that is not in the PDG particle table."""


@dataclass(frozen=True)
class PdgEntry:
    """One particle of the PDG table. Masses and widths in MeV, as `particle` stores them."""

    pdgid: int
    name: str
    mass_MeV: float | None
    width_MeV: float | None
    is_self_conjugate: bool
    has_charm_or_bottom: bool


@functools.cache
def _entries() -> dict[int, PdgEntry]:
    from dipscan.physics.pdg_table import ROWS

    return {row[0]: PdgEntry(*row) for row in ROWS}


def pdg_entry(pdgid: int) -> PdgEntry:
    """The PDG entry of ``pdgid``; UnknownParticle if the PDG table has none."""
    try:
        return _entries()[int(pdgid)]
    except KeyError:
        raise UnknownParticle(pdgid) from None


def particle_table_path() -> Path:
    """The newest PDG particle table of the installed `particle` (what its default load reads)."""
    from particle import data

    return max(data.basepath.glob("particle20[0-9][0-9].csv"), key=lambda p: p.name)


def derived_rows() -> tuple[tuple, ...]:
    """Every entry of that table, from `particle` itself, in the field order of PdgEntry."""
    from particle import Particle

    Particle.load_table(particle_table_path())  # particles only: dipscan never asks for a nucleus
    return tuple(sorted((int(p.pdgid), p.name, p.mass, p.width, bool(p.is_self_conjugate),
                         bool(p.pdgid.has_charm or p.pdgid.has_bottom)) for p in Particle.all()))


def derived_source() -> str:
    """The text of `pdg_table.py` as derived from the installed `particle`."""
    from importlib import metadata

    source = particle_table_path()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    lines = [
        '"""PDG particle table derived from the `particle` package: do not edit (see dipscan/physics/pdg.py).',
        "",
        f"Source: particle {metadata.version('particle')}, data/{source.name} (sha256 {digest}).",
        "Rows: (pdgid, name, mass_MeV, width_MeV, is_self_conjugate, has_charm_or_bottom).",
        '"""',
        "",
        f"PARTICLE_VERSION = {metadata.version('particle')!r}",
        f"SOURCE_FILE = {source.name!r}",
        f"SOURCE_SHA256 = {digest!r}",
        "ROWS = (",
        *(f"    {row!r}," for row in derived_rows()),
        ")",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    TABLE_FILE.write_text(derived_source())
    print(f"wrote {TABLE_FILE}")
