"""Sampling units: the pieces of work that draw LLP samples, planned before they are computed.

A unit is one (beam, model kinematics, seed, mass, channel, pre-cuts, sample cap): everything
that decides its LLP samples and nothing else (no coupling, exposure, label or style). Units
with equal fields give the same samples, so a sweep computes each distinct unit once, and the
sample cache (`dipscan.io.sample_cache`) keeps them for the next run.

The pre-cuts (photon floor, widest accepted angle) are those of all experiments of the scenario
on the beam, so two scenarios share a unit only when their pre-cuts are equal: a unit drawn with
other cuts would consume the random numbers differently and change the bytes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
from collections.abc import Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dipscan import __version__
from dipscan.io.sample_cache import FORMAT, SampleCache, unit_key
from dipscan.physics.models.base import Channel, Model
from dipscan.scan.sampling import LLPSamples, Parents, channel_rng, sample_channel

if TYPE_CHECKING:  # the configuration layer sits above: annotations only
    from dipscan.config.scenario import ExperimentSpec, Scenario

#: Units handed to one worker at a time in a sweep: large enough to load a beam's table once
#: for many units, small enough to keep both cores busy.
UNITS_PER_TASK = 24


@dataclass(frozen=True)
class SamplingUnit:
    beam: str
    model_kind: str
    model_params: tuple[tuple[str, object], ...]
    seed: int
    mass_index: int  # enters the random stream (`channel_rng`)
    mass_GeV: float
    channel: Channel
    photon_floor_GeV: float
    theta_accept_rad: float
    max_samples: int

    def cache_key(self, parents_digest: str, kernels: str) -> str:
        parts = {name: getattr(self, name) for name in UNIT_FIELDS}
        parts.update(channel=[self.channel.name, self.channel.parent_pdgid, self.channel.kind],
                     parents_sha256=parents_digest, kernels=kernels, code=sampling_code_digest(),
                     format=FORMAT)
        return unit_key(parts)


#: The code that decides a unit's samples: any edit to it (not only a version bump) is a new key.
SAMPLING_CODE = ("scan/sampling.py", "scan/plan.py", "physics/mesons.py", "physics/constants.py",
                 "physics/pdg.py", "physics/decays", "physics/models")
#: Packages whose numbers enter the samples (random streams, compiled maths, PDG masses).
SAMPLING_PACKAGES = ("numpy", "numba", "particle")


@functools.cache
def sampling_code_digest() -> str:
    """sha256 of the dipscan version, the sampling code and the versions of the packages it uses."""
    from importlib import metadata

    root = Path(__file__).resolve().parents[1]  # the dipscan package
    h = hashlib.sha256(__version__.encode())
    for name in SAMPLING_CODE:
        for path in sorted([root / name] if name.endswith(".py") else (root / name).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    for package in SAMPLING_PACKAGES:
        h.update(f"{package}=={metadata.version(package)}".encode())
    return h.hexdigest()


UNIT_FIELDS = tuple(f.name for f in fields(SamplingUnit) if f.name != "channel")


def beam_precuts(specs: list[ExperimentSpec]) -> tuple[float, float]:
    """(photon floor, widest LLP angle) over the experiments on one beam: the loosest cuts."""
    from dipscan.scan.experiments import max_llp_angle_rad

    return (min(spec.photon_threshold_GeV for spec in specs),
            max(max_llp_angle_rad(spec) for spec in specs))


def experiments_by_beam(scenario: Scenario) -> dict[str, list[ExperimentSpec]]:
    beams: dict[str, list[ExperimentSpec]] = {}
    for spec in scenario.experiments:
        beams.setdefault(spec.beam, []).append(spec)
    return beams


def make_unit(scenario: Scenario, beam: str, precuts: tuple[float, float], mass_index: int,
              mass_GeV: float, channel: Channel) -> SamplingUnit:
    params = tuple(sorted(dict(scenario.model.params).items()))
    return SamplingUnit(beam, scenario.model.kind, params, scenario.seed, mass_index,
                        float(mass_GeV), channel, *precuts, scenario.llp_samples_max)


def scenario_units(scenario: Scenario) -> list[SamplingUnit]:
    """Every unit of a scenario, beam by beam, mass by mass, channel by channel."""
    from dipscan.physics.models import make_model

    model = make_model(scenario.model.kind, **dict(scenario.model.params))
    masses = scenario.mass_grid.values()
    return [make_unit(scenario, beam, beam_precuts(specs), i, float(mass), channel)
            for beam, specs in experiments_by_beam(scenario).items()
            for i, mass in enumerate(masses) for channel in model.channels(float(mass))]


def draw_unit(unit: SamplingUnit, model: Model, parents: Parents,
              cache: SampleCache | None) -> LLPSamples:
    """The unit's LLP samples: from the cache when a sound entry exists, else drawn (and kept)."""
    from dipscan.physics.decays.backend import kernel_choice

    key = unit.cache_key(parents.digest, kernel_choice()) if cache else ""
    llp_mass = model.llp_mass_GeV(unit.mass_GeV)
    if cache:
        arrays = cache.load(key)
        if arrays is not None:
            return LLPSamples.from_arrays(unit.mass_GeV, llp_mass, unit.channel, arrays)
    rng = channel_rng(unit.seed, unit.beam, unit.mass_index, unit.channel)
    samples = sample_channel(model, unit.channel, unit.mass_GeV, parents, rng,
                             unit.photon_floor_GeV, unit.max_samples, unit.theta_accept_rad)
    if cache:
        cache.store(key, samples.arrays())
    return samples


@dataclass(frozen=True)
class SweepPlan:
    per_scenario: list[list[SamplingUnit]]
    unique: list[SamplingUnit]

    @property
    def total(self) -> int:
        return sum(len(units) for units in self.per_scenario)

    @property
    def shared_fraction(self) -> float:
        """Fraction of the units of all scenarios that another scenario computes for them."""
        return 1.0 - len(self.unique) / self.total if self.total else 0.0


def plan_sweep(scenarios: Iterable[Scenario]) -> SweepPlan:
    per_scenario = [scenario_units(s) for s in scenarios]
    unique = list(dict.fromkeys(u for units in per_scenario for u in units))
    return SweepPlan(per_scenario, unique)


def _draw_units_task(units: list[SamplingUnit], cache_root: str) -> int:
    """Worker side: draw and cache units of one beam and model; the number drawn."""
    from dipscan.physics.models import make_model
    from dipscan.scan.pipeline import _load_parents

    cache = SampleCache.open(Path(cache_root))
    if cache is None:
        return 0
    first = units[0]
    model = make_model(first.model_kind, **dict(first.model_params))
    table = _load_parents(first.beam, {u.channel.parent_pdgid for u in units}, [])
    species = Parents.by_pdgid(table)
    for unit in units:
        if unit.channel.parent_pdgid in species:
            draw_unit(unit, model, species[unit.channel.parent_pdgid], cache)
    return len(units)


def submit_shared_units(plan: SweepPlan, pool: Executor, cache_root: Path,
                        workers: int) -> list[Future]:
    """Submit to the pool, to be drawn into the sample cache, every unit that two or more
    scenarios need; the scenarios then read those back instead of each drawing its own copy.
    Units of one scenario only are left to it."""
    counts: dict[SamplingUnit, int] = {}
    for units in plan.per_scenario:
        for unit in dict.fromkeys(units):
            counts[unit] = counts.get(unit, 0) + 1
    shared = [u for u in plan.unique if counts[u] > 1]
    groups: dict[tuple, list[SamplingUnit]] = {}
    for unit in shared:
        groups.setdefault((unit.beam, unit.model_kind, unit.model_params), []).append(unit)
    size = max(1, min(UNITS_PER_TASK, math.ceil(len(shared) / max(2 * workers, 1))))
    tasks = [group[i:i + size] for group in groups.values() for i in range(0, len(group), size)]
    return [pool.submit(_draw_units_task, task, str(cache_root)) for task in tasks]


def prepare_sweep(plan: SweepPlan, scenarios: list[Scenario], pool: Executor, cache_root: Path,
                  workers: int, samples: bool = True) -> None:
    """Work several scenarios of a sweep share, done once on the pool before the scenarios run:
    the thermal-relic lines and (with `samples`) the shared sampling units."""
    relic = submit_relic_lines(scenarios, pool, cache_root)
    for future in submit_shared_units(plan, pool, cache_root, workers) if samples else []:
        # A failure here (a damaged table, say) is left to the scenarios that need the unit:
        # each redoes it and reports it in one line, and the others go on.
        with contextlib.suppress(Exception):
            future.result()
    finish_relic_lines(relic)


def _relic_chunk(masses: list[float], delta: float) -> list[float]:
    from dipscan.limits.relic import relic_coupling

    return [float(d) for d in relic_coupling(masses, delta)]


def submit_relic_lines(scenarios: Iterable[Scenario], pool: Executor, cache_root: Path,
                       chunk: int = 3) -> dict[Path, tuple[np.ndarray, list[Future]]]:
    """Each distinct thermal-relic line of a sweep not yet in the overlay cache, its masses
    spread over the pool (each mass is solved on its own, so the line is the same numbers
    however it is split)."""
    from dipscan.scan.overlays import relic_cache_path, relic_masses

    lines = {}
    for scenario in scenarios:
        if scenario.overlays.relic:
            grid = scenario.mass_grid.values()
            delta = dict(scenario.model.params)["delta"]
            masses = relic_masses(float(grid.min()), float(grid.max()))
            path = relic_cache_path(delta, masses, cache_root)
            if not path.exists():
                lines[path] = (delta, masses)
    return {path: (masses, [pool.submit(_relic_chunk, masses[i:i + chunk].tolist(), delta)
                            for i in range(0, masses.size, chunk)])
            for path, (delta, masses) in lines.items()}


def finish_relic_lines(lines: dict[Path, tuple[np.ndarray, list[Future]]]) -> None:
    from dipscan.scan.overlays import write_relic_cache

    for path, (masses, parts) in lines.items():
        try:
            couplings = np.array([d for part in parts for d in part.result()], dtype=float)
        except Exception:  # left to the scenarios, as in `prepare_sweep`
            continue
        write_relic_cache(path, masses, couplings)
