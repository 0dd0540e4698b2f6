"""Parent meson tables of a run, read only when a sampling unit needs them.

Of a beam's tables a run needs: the samples of the species whose units must be drawn, a digest
of each species' arrays (part of every unit's cache key) and each species' multiplicity (the
exposure, N_M). The digests and multiplicities are kept in a small summary record in the sample
cache (dipscan.io.sample_cache), addressed by the bytes of the beam's table files and preset and
by the reading code, so a run whose units are all cached reads no table at all; any other run
reads the beam's tables once, on first need, and exactly as before (`load_parents`).
"""

from __future__ import annotations

import functools
import hashlib
import json
from functools import cached_property
from importlib import metadata
from pathlib import Path

import numpy as np
import polars as pl

from dipscan import __version__
from dipscan.io.sample_cache import RECORD_SUFFIX, SampleCache
from dipscan.production.beams import load_beam
from dipscan.production.manifest import table_digests
from dipscan.production.tables import load_meson_samples
from dipscan.scan.sampling import Parents

SUMMARY_FORMAT = 1
#: The code that turns table files into parent arrays: an edit to any of it is a new summary.
READING_CODE = ("production/tables.py", "production/normalise.py", "production/beams.py",
                "physics/pdg.py", "physics/pdg_table.py", "scan/parents.py", "scan/sampling.py", "scan/reduce.py")
READING_PACKAGES = ("polars", "numpy", "particle")


def load_parents(beam: str, pdgids: set[int], omitted: list[str]) -> pl.DataFrame:
    """Parent meson samples of a beam; species without a table are reported, never silently zero.

    Every available species is read in one pass (one preset, one manifest check)."""
    present = available_species(beam, pdgids, omitted)
    if not present:
        return pl.DataFrame(schema={"pdg_id": pl.Int32, "p_GeV": pl.Float64,
                                    "theta_rad": pl.Float64, "weight": pl.Float64})
    return load_meson_samples(beam, present)


def available_species(beam: str, pdgids: set[int], omitted: list[str]) -> list[int]:
    """The |pdgid| of `pdgids` that the beam has tables for; a note in `omitted` for the others."""
    # Tables are keyed by |pdgid|: one table holds both charges of K, D, Ds and B.
    wanted = sorted({abs(p) for p in pdgids})
    available = set(load_beam(beam).species)
    for pdgid in wanted:
        if pdgid not in available:
            omitted.append(f"{beam}: no table for PDG id {pdgid}; its channels are left out")
    return [pdgid for pdgid in wanted if pdgid in available]


def species_multiplicities(frame: pl.DataFrame) -> list[tuple[int, float]]:
    """(signed pdgid, mesons per collision) of every species in a parent table, by pdgid."""
    weights = frame.select("pdg_id", "weight").partition_by("pdg_id", maintain_order=True, as_dict=True)
    return sorted((int(pdgid), running_sum(part["weight"].to_numpy()))
                  for (pdgid,), part in weights.items())


def multiplicities_of(species: dict[int, Parents]) -> list[tuple[int, float]]:
    """As `species_multiplicities`, from a table already split by species."""
    return [(pdgid, running_sum(species[pdgid].weight)) for pdgid in sorted(species)]


def running_sum(weights: np.ndarray) -> float:
    """The sum in row order: its last bits do not depend on how a parallel sum splits the rows."""
    return float(np.cumsum(weights, dtype=np.float64)[-1])


@functools.cache
def _reading_code_digest() -> str:
    root = Path(__file__).resolve().parents[1]  # the dipscan package
    h = hashlib.sha256(__version__.encode())
    for name in READING_CODE:
        h.update(name.encode() + b"\0" + (root / name).read_bytes())
    for package in READING_PACKAGES:
        h.update(f"{package}=={metadata.version(package)}".encode())
    return h.hexdigest()


class LazyParents:
    """A species' parents as a sampling unit sees them: the digest now, the arrays on first use."""

    def __init__(self, digest: str, table: BeamParents, pdgid: int):
        self.digest, self._table, self._pdgid = digest, table, pdgid

    @property
    def _parents(self) -> Parents:
        return self._table.loaded[self._pdgid]

    @property
    def p_GeV(self):
        return self._parents.p_GeV

    @property
    def theta_rad(self):
        return self._parents.theta_rad

    @property
    def weight(self):
        return self._parents.weight


class BeamParents:
    """The parent tables of one beam for one run: read on first need, or never."""

    def __init__(self, beam: str, pdgids: set[int], omitted: list[str],
                 cache: SampleCache | None = None):
        self.beam, self.cache = beam, cache
        self.present = available_species(beam, pdgids, omitted)

    @cached_property
    def frame(self) -> pl.DataFrame:
        return load_parents(self.beam, set(self.present), [])

    @cached_property
    def loaded(self) -> dict[int, Parents]:
        return Parents.by_pdgid(self.frame)

    @cached_property
    def summary_key(self) -> str:
        parts = {"format": SUMMARY_FORMAT, "beam": self.beam, "species": self.present,
                 "tables": table_digests(self.beam),
                 "preset_sha256": hashlib.sha256(load_beam(self.beam).path.read_bytes()).hexdigest(),
                 "code": _reading_code_digest()}
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()

    def summary_at_hand(self) -> bool:
        """Whether `summary` can be had without reading the tables (held, or in the cache)."""
        return ("summary" in self.__dict__ or "loaded" in self.__dict__ or not self.present
                or (self.cache is not None
                    and (self.cache.folder / f"{self.summary_key}{RECORD_SUFFIX}").exists()))

    @cached_property
    def summary(self) -> dict[int, tuple[str, float]]:
        """signed pdgid -> (digest of its arrays, multiplicity); from the cache when it holds it."""
        if self.cache is not None and self.present:
            record = self.cache.load_record(self.summary_key)
            if record is not None and record.get("species"):
                return {int(pdgid): (digest, float(total))
                        for pdgid, digest, total in record["species"]}
        multiplicities = dict(multiplicities_of(self.loaded))
        summary = {pdgid: (parents.digest, multiplicities[pdgid])
                   for pdgid, parents in self.loaded.items()}
        if self.cache is not None and self.present:
            self.cache.store_record(self.summary_key, {"species": [
                [pdgid, digest, total] for pdgid, (digest, total) in summary.items()]})
        return summary

    @property
    def species(self) -> dict[int, Parents | LazyParents]:
        """signed pdgid -> its parents (the arrays read only if a unit is drawn)."""
        if "loaded" in self.__dict__:
            return self.loaded
        return {pdgid: LazyParents(digest, self, pdgid)
                for pdgid, (digest, _) in self.summary.items()}

    @property
    def multiplicities(self) -> list[tuple[int, float]]:
        return [(pdgid, total) for pdgid, (_, total) in sorted(self.summary.items())]
