"""Sampling units: the pieces of work that draw LLP samples, planned before they are computed.

A unit is one (beam, model kinematics, seed, mass, channel, pre-cut shell, sample cap):
everything that decides its LLP samples and nothing else (no coupling, exposure, label or style).
Units with equal fields give the same samples, so a sweep computes each distinct unit once, and
the sample cache (`dipscan.io.sample_cache`) keeps them for the next run.

Pre-cuts belong to the beam, not to the scenario. A beam preset's `[sampling]` declares photon
floors F1 > F2 > ... and a widest angle; the parents are cut in shells of the largest photon
energy their LLP can give (exact bounds, `dipscan.scan.sampling.parents_that_can_contribute`):
above F1, between F2 and F1, ...  A scenario draws the shells its loosest threshold needs (one
more, down to that threshold, when it lies below the last floor), and each experiment reads only
the shells that can reach its own threshold. So scenarios with different thresholds share their
units, and an experiment's samples do not depend on the other experiments of its scenario. Only
an experiment accepting wider angles than the beam declares widens the cut, for its scenario;
a beam without `[sampling]` is cut with the loosest threshold and widest angle of the scenario's
experiments on it (one shell).
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dipscan import __version__
from dipscan.io.sample_cache import FORMAT, SampleCache, unit_key
from dipscan.physics.mesons import MESONS
from dipscan.physics.models.base import Channel, Model
from dipscan.scan.sampling import (
    LLPSamples,
    Parents,
    channel_rng,
    parents_that_can_contribute,
    sample_channel,
)
from dipscan.scan.sweep import Work, run_works

if TYPE_CHECKING:  # the configuration layer sits above: annotations only
    from dipscan.config.scenario import ExperimentSpec, Scenario

#: Units handed to one worker at a time in a sweep: enough tasks per worker to keep every core
#: busy to the end, few enough that reading a species' table once per task costs little.
TASKS_PER_WORKER = 24
MIN_UNITS_PER_TASK = 4
UNITS_PER_TASK = 200


@dataclass(frozen=True)
class SamplingUnit:
    beam: str
    model_kind: str
    model_params: tuple[tuple[str, object], ...]  # those the samples depend on (`sample_params`)
    seed: int
    mass_index: int  # enters the random stream (`channel_rng`)
    mass_GeV: float
    channel: Channel
    photon_floor_GeV: float  # the shell: parents whose LLP photon can reach the floor...
    photon_ceiling_GeV: float  # ...but not the ceiling (inf for the top shell)
    theta_accept_rad: float
    max_samples: int  # applied in each shell: a looser shell never thins a tighter one
    # Every parameter, to build the model in a worker; not part of the unit's identity.
    model_all_params: tuple[tuple[str, object], ...] = field(default=(), compare=False)

    def cache_key(self, parents_digest: str, kernels: str) -> str:
        return _cache_key(self, parents_digest, kernels, sampling_code_digest())


@functools.lru_cache(maxsize=65536)
def _cache_key(unit: SamplingUnit, parents_digest: str, kernels: str, code: str) -> str:
    # Once per unit and run: a run looks a unit up before its threads start and again to draw it.
    parts = {name: getattr(unit, name) for name in UNIT_FIELDS}
    parts.update(channel=[unit.channel.name, unit.channel.parent_pdgid, unit.channel.kind],
                 parents_sha256=parents_digest, kernels=kernels, code=code, format=FORMAT)
    return unit_key(parts)


#: The code that decides a unit's samples: any edit to it (not only a version bump) is a new key.
SAMPLING_CODE = ("scan/sampling.py", "scan/plan.py", "physics/mesons.py", "physics/constants.py",
                 "physics/pdg.py", "physics/pdg_table.py", "physics/decays", "physics/models")
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


UNIT_FIELDS = tuple(f.name for f in fields(SamplingUnit) if f.name not in ("channel", "model_all_params"))


def beam_precuts(specs: list[ExperimentSpec]) -> tuple[float, float]:
    """(photon floor, widest LLP angle) over the experiments on one beam: the loosest cuts."""
    from dipscan.scan.experiments import max_llp_angle_rad

    return (min(spec.photon_threshold_GeV for spec in specs),
            max(max_llp_angle_rad(spec) for spec in specs))


Shell = tuple[float, float]  # (photon floor, photon ceiling) in GeV


def beam_shells(beam: str, specs: list[ExperimentSpec]) -> tuple[list[Shell], float]:
    """The pre-cut shells a scenario draws on `beam` and their widest angle (module docstring)."""
    from dipscan.production.beams import load_beam

    own_floor, own_theta = beam_precuts(specs)
    declared = load_beam(beam).sampling
    if declared is None:
        return [(own_floor, math.inf)], own_theta
    shells: list[Shell] = []
    ceiling = math.inf
    for floor in declared.photon_floors_GeV:
        if own_floor >= ceiling:
            break
        shells.append((floor, ceiling))
        ceiling = floor
    if own_floor < ceiling:
        shells.append((own_floor, ceiling))
    return shells, max(declared.theta_accept_rad, own_theta)


def reads_shell(spec: ExperimentSpec, shell: Shell) -> bool:
    """Whether the experiment can see samples of the shell: its threshold lies below the
    ceiling (above it, no LLP of the shell gives a photon that passes; an exact bound)."""
    return spec.photon_threshold_GeV < shell[1]


def experiments_by_beam(scenario: Scenario) -> dict[str, list[ExperimentSpec]]:
    beams: dict[str, list[ExperimentSpec]] = {}
    for spec in scenario.experiments:
        beams.setdefault(spec.beam, []).append(spec)
    return beams


def make_unit(scenario: Scenario, model: Model, beam: str, shell: Shell, theta_accept_rad: float,
              mass_index: int, mass_GeV: float, channel: Channel) -> SamplingUnit:
    every = tuple(sorted(dict(scenario.model.params).items()))
    # A model that does not say which parameters its samples depend on keeps all of them.
    sample_params = getattr(model, "sample_params", None)
    kinematic = tuple(sorted(sample_params(channel).items())) if sample_params else every
    return SamplingUnit(beam, scenario.model.kind, kinematic, scenario.seed, mass_index,
                        float(mass_GeV), channel, float(shell[0]), float(shell[1]),
                        float(theta_accept_rad), scenario.llp_samples_max, every)


def scenario_units(scenario: Scenario) -> list[SamplingUnit]:
    """Every unit of a scenario, beam by beam, mass by mass, channel by channel."""
    from dipscan.physics.models import make_model

    model = make_model(scenario.model.kind, **dict(scenario.model.params))
    masses = scenario.mass_grid.values()
    units = []
    for beam, specs in experiments_by_beam(scenario).items():
        shells, theta = beam_shells(beam, specs)
        units += [make_unit(scenario, model, beam, shell, theta, i, float(mass), channel)
                  for i, mass in enumerate(masses) for channel in model.channels(float(mass))
                  for shell in shells]
    return units


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
    rng = channel_rng(unit.seed, f"{unit.beam}/{unit.photon_floor_GeV!r}-{unit.photon_ceiling_GeV!r}",
                      unit.mass_index, unit.channel)
    samples = sample_channel(model, unit.channel, unit.mass_GeV, shell_parents(unit, model, parents),
                             rng, unit.photon_floor_GeV, unit.max_samples, unit.theta_accept_rad)
    if cache:
        cache.store(key, samples.arrays())
    return samples


def shell_parents(unit: SamplingUnit, model: Model, parents: Parents) -> Parents:
    """The parents below the unit's photon ceiling (those above belong to the shell above);
    the floor and the angle are cut by `sample_channel` itself."""
    if not math.isfinite(unit.photon_ceiling_GeV) or parents.p_GeV.size == 0:
        return parents
    above = parents_that_can_contribute(
        parents.p_GeV, parents.theta_rad, MESONS[abs(unit.channel.parent_pdgid)].mass_GeV,
        model.llp_mass_GeV(unit.mass_GeV), model.photon_energy_rest_GeV(unit.mass_GeV),
        unit.photon_ceiling_GeV, unit.theta_accept_rad)
    below = np.flatnonzero(~above)  # indices: a gather by index is much faster than by mask
    return Parents(parents.p_GeV[below], parents.theta_rad[below], parents.weight[below])


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


def plan_sweep(scenarios: Iterable[Scenario], skip: Iterable[bool] = ()) -> SweepPlan:
    """The units of every scenario; none for those `skip` marks (their events are cached:
    dipscan.scan.pipeline.events_cached)."""
    skip = list(skip)
    per_scenario = [[] if k < len(skip) and skip[k] else scenario_units(s)
                    for k, s in enumerate(scenarios)]
    unique = list(dict.fromkeys(u for units in per_scenario for u in units))
    return SweepPlan(per_scenario, unique)


#: For each scenario that reads a task's units: its seed and its experiments on the task's beam.
Readers = dict[int, tuple[int, list["ExperimentSpec"]]]


def _draw_units_task(units: list[SamplingUnit], readers: list[list[int]], scenarios: Readers,
                     cache_root: str) -> dict[tuple[int, SamplingUnit], tuple]:
    """Worker side: draw (or read from the cache) units of one beam, model and parent species,
    keep them in the cache, and weight them for every scenario that reads them: the blocks
    each scenario takes instead of drawing the unit itself, keyed by (scenario index, unit)."""
    from dipscan.physics.decays.backend import preload_kernels
    from dipscan.physics.models import make_model
    from dipscan.scan.parents import BeamParents
    from dipscan.scan.pipeline import unit_blocks

    preload_kernels()  # once per worker: numba's import and set-up overlap the table reading
    cache = SampleCache.open(Path(cache_root))
    first = units[0]
    model = make_model(first.model_kind, **dict(first.model_all_params))
    # The table is read only if a unit is not in the cache (dipscan.scan.parents).
    species = BeamParents(first.beam, {u.channel.parent_pdgid for u in units}, [], cache).species
    # An experiment that several scenarios share with the same seed (a limit recast, a preset
    # left as it is) gives them the same blocks: weighted once per unit, sent once (pickle keeps
    # objects shared within one result). Numbered here, once: a spec is slow to hash.
    distinct: dict[tuple[int, ExperimentSpec], int] = {}
    numbered = {k: [(distinct.setdefault((seed, spec), len(distinct)), seed, spec)
                    for spec in specs] for k, (seed, specs) in scenarios.items()}
    out = {}
    for unit, indices in zip(units, readers, strict=True):
        if unit.channel.parent_pdgid not in species:
            continue
        samples = draw_unit(unit, model, species[unit.channel.parent_pdgid], cache)
        e_star = model.photon_energy_rest_GeV(unit.mass_GeV)
        weighted: dict[int, list | None] = {}
        for k in indices:
            by_label = {}
            for n, seed, spec in numbered[k]:
                if n not in weighted:
                    weighted[n] = unit_blocks(seed, [spec], unit, samples, e_star)[1].get(spec.label)
                if weighted[n] is not None:
                    by_label[spec.label] = weighted[n]
            out[(k, unit)] = (samples.drawn, by_label)
    return out  # the sample cache is trimmed once the sweep is over


def _table_rows(beam: str) -> dict[int, int]:
    """Rows of each species' table of a beam (its manifest); empty if the beam has no tables."""
    from dipscan.production.manifest import read_manifest

    try:
        return {int(t["pdgid"]): int(t["rows"]) for t in read_manifest(beam)["tables"]}
    except Exception:  # a missing or damaged table is reported by the scenarios that read it
        return {}


def unit_tasks(units: list[SamplingUnit], workers: int) -> list[list[SamplingUnit]]:
    """The units as pool tasks, the costliest first (cost: parent rows to decay, from the table
    manifests), so that both cores stay busy to the end and the small tasks fill the gaps.

    A task holds units of one beam, model and parent species, so a worker reads one table
    once for many units. Units whose species has no table are left out: nothing is drawn for
    them, and the scenarios report the missing table.
    """
    rows = {beam: _table_rows(beam) for beam in {u.beam for u in units}}
    cost = {u: min(rows[u.beam].get(abs(u.channel.parent_pdgid), 0), u.max_samples) for u in units}
    groups: dict[tuple, list[SamplingUnit]] = {}
    for unit in sorted((u for u in units if cost[u] > 0), key=cost.__getitem__, reverse=True):
        key = (unit.beam, unit.model_kind, unit.model_all_params, abs(unit.channel.parent_pdgid))
        groups.setdefault(key, []).append(unit)
    size = max(MIN_UNITS_PER_TASK, min(UNITS_PER_TASK, math.ceil(len(cost) / (TASKS_PER_WORKER
                                                                              * max(workers, 1)))))
    tasks = [group[i:i + size] for group in groups.values() for i in range(0, len(group), size)]
    return sorted(tasks, key=lambda task: sum(cost[u] for u in task), reverse=True)


def unit_works(plan: SweepPlan, scenarios: list[Scenario], cache_root: Path, workers: int,
               ready: list[dict[SamplingUnit, tuple]]) -> list[Work]:
    """Every distinct unit of the sweep as pool tasks, the costliest first: each is drawn once
    (or read from the sample cache) and weighted there for every scenario that reads it; the
    blocks go to `ready`, per scenario."""
    readers: dict[SamplingUnit, list[int]] = {}
    for k, units in enumerate(plan.per_scenario):
        for unit in dict.fromkeys(units):
            readers.setdefault(unit, []).append(k)
    on_beam = [experiments_by_beam(s) for s in scenarios]
    works = []
    for task in unit_tasks(plan.unique, workers):
        indices = [readers[u] for u in task]
        beam = task[0].beam
        wanted = {k: (scenarios[k].seed, on_beam[k][beam]) for ks in indices for k in ks}
        works.append(Work([(_draw_units_task, (task, indices, wanted, str(cache_root)))],
                          set(wanted), functools.partial(_take_blocks, ready)))
    return works


def _take_blocks(ready: list[dict[SamplingUnit, tuple]], results: list[dict]) -> None:
    for (k, unit), blocks in results[0].items():
        ready[k][unit] = blocks


def sweep_works(plan: SweepPlan, scenarios: list[Scenario], cache_root: Path,
                workers: int) -> tuple[list[Work], list[dict[SamplingUnit, tuple]]]:
    """Work of a sweep done on the pool before the scenarios that read it, the largest pieces
    first: the thermal-relic lines (a Boltzmann solution per mass), the BaBar recast grids,
    then every sampling unit, costliest first; each distinct piece once, whichever scenarios
    need it. The relic lines and BaBar grids go to the overlay cache, where the scenarios read
    them; the blocks of the units go, per scenario, to the dicts returned beside the works
    (`dipscan.scan.pipeline.compute(ready=...)`): the scenario then only reduces.
    A failed piece (a damaged table, say) is left to the scenarios that need it: each redoes
    it and reports it in one line, and the others go on."""
    ready: list[dict[SamplingUnit, tuple]] = [{} for _ in scenarios]
    works = (relic_works(scenarios, cache_root) + babar_works(scenarios, cache_root)
             + unit_works(plan, scenarios, cache_root, workers, ready))
    return works, ready


def prepare_sweep(plan: SweepPlan, scenarios: list[Scenario], pool: Executor, cache_root: Path,
                  workers: int) -> list[dict[SamplingUnit, tuple]]:
    """The work of `sweep_works`, all of it, before any scenario: per scenario, its blocks."""
    works, ready = sweep_works(plan, scenarios, cache_root, workers)
    run_works(works, pool, workers)
    return ready


def _babar_needs(scenario: Scenario, cache_root: Path) -> dict[Path, tuple]:
    """The scenario's BaBar recast grids not yet in the overlay cache: each cache file and the
    inputs of `dipscan.limits.babar.babar_event_yield`."""
    from dipscan.scan.overlays import babar_cache_path

    if not scenario.overlays.babar:
        return {}
    delta = dict(scenario.model.params)["delta"]
    masses, couplings = scenario.mass_grid.values(), scenario.coupling_grid.values()
    grids = {}
    for recast in scenario.overlays.babar:
        path = babar_cache_path(recast.selection, delta, masses, couplings, scenario.seed,
                                cache_root)
        if not path.exists():
            grids[path] = (masses, delta, couplings, scenario.seed, recast.selection)
    return grids


def babar_grids(scenarios: Iterable[Scenario], cache_root: Path) -> dict[Path, tuple]:
    """Each distinct BaBar recast grid of a sweep not yet in the overlay cache (`_babar_needs`)."""
    return {path: inputs for scenario in scenarios
            for path, inputs in _babar_needs(scenario, cache_root).items()}


def _babar_rows(masses, delta, couplings, seed, selection, start: int, stop: int) -> np.ndarray:
    from dipscan.limits.babar import babar_event_yield

    return babar_event_yield(masses, delta, couplings, rng=seed, selection=selection,
                             rows=range(start, stop))


def babar_works(scenarios: list[Scenario], cache_root: Path, chunk: int = 8) -> list[Work]:
    """The masses of each distinct BaBar grid spread over the pool (each mass has its own
    random stream, so the grid is the same numbers however it is split), written to the
    overlay cache once all are in."""
    needs = [_babar_needs(s, cache_root) for s in scenarios]
    grids = {path: inputs for need in needs for path, inputs in need.items()}
    works = []
    for path, inputs in grids.items():
        tasks = [(_babar_rows, (*inputs, i, min(i + chunk, inputs[0].size)))
                 for i in range(0, inputs[0].size, chunk)]
        works.append(Work(tasks, {k for k, need in enumerate(needs) if path in need},
                          functools.partial(_write_babar_grid, path)))
    return works


def _write_babar_grid(path: Path, parts: list[np.ndarray]) -> None:
    from dipscan.scan.overlays import write_array_cache

    write_array_cache(path, np.concatenate(parts))


def _relic_lines(lines: list[tuple[float, list[float]]]) -> list[list[float]]:
    from dipscan.limits.relic import relic_coupling

    return [[float(d) for d in relic_coupling(masses, delta)] for delta, masses in lines]


def _relic_needs(scenario: Scenario, cache_root: Path) -> dict[Path, tuple[float, np.ndarray]]:
    """The scenario's thermal-relic line if it is not yet in the overlay cache: its cache file,
    delta and masses."""
    from dipscan.scan.overlays import read_relic_cache, relic_cache_path, relic_masses

    if not scenario.overlays.relic:
        return {}
    grid = scenario.mass_grid.values()
    delta = dict(scenario.model.params)["delta"]
    masses = relic_masses(float(grid.min()), float(grid.max()))
    path = relic_cache_path(delta, masses, cache_root)
    return {} if read_relic_cache(path, masses) is not None else {path: (delta, masses)}


def relic_works(scenarios: list[Scenario], cache_root: Path) -> list[Work]:
    """The thermal-relic lines of a sweep not yet in the overlay cache, each solved once and
    written to the overlay cache. They are one task (about 0.06 s per mass), so that one worker
    only tabulates the degrees of freedom and loads the Boltzmann solver (a second each):
    being first, it runs beside the other pieces, and its masses are solved one by one, so the
    lines are the same numbers however they are grouped."""
    needs = [_relic_needs(s, cache_root) for s in scenarios]
    lines = {path: line for need in needs for path, line in need.items()}
    if not lines:
        return []
    task = [(delta, masses.tolist()) for delta, masses in lines.values()]
    return [Work([(_relic_lines, (task,))], {k for k, need in enumerate(needs) if need},
                 functools.partial(_write_relic_lines, lines))]


def _write_relic_lines(lines: dict[Path, tuple[float, np.ndarray]],
                       results: list[list[list[float]]]) -> None:
    from dipscan.scan.overlays import write_relic_cache

    for (path, (_, masses)), couplings in zip(lines.items(), results[0], strict=True):
        write_relic_cache(path, masses, np.array(couplings, dtype=float))
