"""One scenario from TOML to event grid and contours (no file I/O: see `dipscan.cli.run`)."""

from __future__ import annotations

import collections
import dataclasses
import functools
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from dipscan.errors import DipscanError
from dipscan.io.sample_cache import SampleCache
from dipscan.physics.decays.backend import kernel_choice, preload_kernels
from dipscan.physics.mesons import charge_conjugate_name, meson
from dipscan.physics.models import make_model
from dipscan.physics.models.base import Channel, Model
from dipscan.scan import events_cache
from dipscan.scan.bands import ExperimentBand, band_contours, band_event_columns, experiment_bands
from dipscan.scan.contours import contour_frame, iso_contours
from dipscan.scan.experiments import binned_weights, production_scale
from dipscan.scan.overlays import Overlay, build_overlays
from dipscan.scan.parents import BeamParents, LazyParents
from dipscan.scan.plan import (
    SamplingUnit,
    beam_shells,
    draw_unit,
    experiments_by_beam,
    make_unit,
    reads_shell,
)
from dipscan.scan.reduce import (
    DEFAULT_BIN_DEX,
    GridInputs,
    SampleBlock,
    event_counts,
    total_grid,
)
from dipscan.scan.sampling import LLPSamples, Parents, channel_rng

if TYPE_CHECKING:  # the configuration layer sits above: annotations only
    from dipscan.config.scenario import ExperimentSpec, Scenario

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class ScenarioResult:
    scenario: Scenario
    model: Model
    mass_GeV: np.ndarray
    coupling_GeVinv: np.ndarray
    events: pl.DataFrame
    contours: pl.DataFrame
    timings_s: dict[str, float] = field(default_factory=dict)
    omitted_channels: list[str] = field(default_factory=list)
    sample_counts: dict[str, int] = field(default_factory=dict)  # channel -> LLP samples drawn
    max_branching_ratio: float = 0.0
    levels: dict[str, float] = field(default_factory=dict)  # label -> contour level (events)
    overlays: list[Overlay] = field(default_factory=list)
    exposure: pl.DataFrame | None = None  # mesons produced per experiment and species
    bands: dict[str, ExperimentBand] = field(default_factory=dict)  # label -> uncertainty band
    summary: pl.DataFrame | None = None  # per experiment, filled when the outputs are written
    notes: list[str] = field(default_factory=list)  # why a valid scenario may be pointless
    events_source: str = "computed"  # or "events cache" (dipscan.scan.events_cache), or "off"
    cache_note: str | None = None  # a damaged cache entry found and recomputed

    def total_grid(self, label: str) -> np.ndarray:
        return total_grid(self.events, label, self.mass_GeV.size, self.coupling_GeVinv.size)


def _open_channels(model: Model, masses: np.ndarray) -> list[list[Channel]]:
    return [model.channels(float(m)) for m in masses]


#: What a sampling unit gives one scenario: its sample count and, per experiment that reads it,
#: the compressed blocks. A sweep computes these beside the samples (dipscan.scan.plan).
UnitBlocks = tuple[int, dict[str, list[SampleBlock]]]


def unit_blocks(seed: int, specs: list[ExperimentSpec], unit: SamplingUnit, samples: LLPSamples,
                e_star_GeV: float) -> UnitBlocks:
    """The unit's samples weighted for each experiment of `specs` that can see its shell."""
    shell = (unit.photon_floor_GeV, unit.photon_ceiling_GeV)
    out: dict[str, list[SampleBlock]] = {}
    for spec in specs:
        if not reads_shell(spec, shell):
            continue
        # Each experiment draws its photons from its own stream per shell: adding an
        # experiment to a scenario leaves the others' numbers unchanged. Only the "photon"
        # mode draws any (the stream costs more to seed than most paper-mode weights).
        own_rng = (channel_rng(seed, f"{unit.beam}/{spec.label}/{shell[0]!r}", unit.mass_index,
                               unit.channel) if spec.geometry.mode == "photon" else None)
        out[spec.label] = [SampleBlock(spec.label, unit.mass_index, unit.channel.name, weight,
                                       betagamma, l_start, l_end, weight_sq)
                           for (l_start, l_end), (weight, betagamma, weight_sq)
                           in binned_weights(spec, samples, e_star_GeV, own_rng, DEFAULT_BIN_DEX)]
    return samples.drawn, out  # parents decayed, whether or not the pre-cut kept their LLP


@dataclass(frozen=True)
class _Job:
    """One sampling unit and what its weights need."""

    specs: list[ExperimentSpec]
    e_star_GeV: float
    unit: SamplingUnit
    parents: Parents | LazyParents


def sample_blocks(scenario: Scenario, model: Model, masses: np.ndarray,
                  channels_per_mass: list[list[Channel]],
                  parents: dict[str, dict[int, Parents | LazyParents]],
                  progress: Progress | None = None, cache: SampleCache | None = None,
                  ready: dict[SamplingUnit, UnitBlocks] | None = None,
                  threads: int | None = None) -> tuple[list[SampleBlock], dict[str, int]]:
    """LLP samples drawn once per (beam, mass, channel, pre-cut shell), weighted for every
    experiment on that beam that can see the shell (dipscan.scan.plan).

    Each is a sampling unit: its blocks are taken from `ready` (computed by a sweep) when
    there, else its samples are read from `cache` or drawn; `parents` holds each beam's
    species by signed pdgid (`BeamParents.species`). Units run on `threads` threads (default:
    the cores this process may use; even small units, which are mostly Python, gain a little,
    as their kernels, random draws and numpy passes release the GIL); each draws from its own
    random streams and the results are taken in the order of the units, so the blocks are the
    same, to the bit, whatever the number of threads.
    """
    beams = experiments_by_beam(scenario)
    groups: list[list[_Job]] = []  # one per (beam, mass): the progress steps
    for beam, specs in beams.items():
        species = parents[beam]
        shells, theta = beam_shells(beam, specs)
        for i, mass in enumerate(masses):
            e_star = model.photon_energy_rest_GeV(float(mass))
            groups.append([_Job(specs, e_star,
                                make_unit(scenario, model, beam, shell, theta, i, float(mass),
                                          channel),
                                species[channel.parent_pdgid])
                           for channel in channels_per_mass[i] if channel.parent_pdgid in species
                           for shell in shells])

    def run(job: _Job) -> tuple[str, UnitBlocks]:
        got = ready.get(job.unit) if ready else None
        if got is None:
            samples = draw_unit(job.unit, model, job.parents, cache)
            got = unit_blocks(scenario.seed, job.specs, job.unit, samples, job.e_star_GeV)
        return job.unit.channel.name, got

    blocks: list[SampleBlock] = []
    counts: dict[str, int] = {}
    if threads is None:
        threads = available_cores()
    jobs = [job for group in groups for job in group]
    to_draw = [job for job in jobs if not (ready and job.unit in ready)]
    if threads > 1 and to_draw:
        _read_tables_to_draw(to_draw, cache)
    results = in_order(run, jobs, threads if to_draw else 1)
    for step, group in enumerate(groups, start=1):
        for job in group:
            name, (n_samples, by_label) = next(results)
            counts[name] = counts.get(name, 0) + n_samples
            for spec in job.specs:
                blocks += by_label.get(spec.label, [])
        if progress:
            progress("sampling", step, len(groups))
    return blocks, counts


def _read_tables_to_draw(jobs: list[_Job], cache: SampleCache | None) -> None:
    """Read, before the threads start, the parent tables of the units the cache cannot give:
    a table is then read once, here, and never by two threads at once."""
    kernels = kernel_choice()
    for job in jobs:
        if cache is None or not cache.path(job.unit.cache_key(job.parents.digest, kernels)).exists():
            job.parents.p_GeV  # noqa: B018 (LazyParents reads its beam's tables on first use)


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def in_order(function, items: list, threads: int, ahead: int = 4):
    """function(item) for every item, yielded in the order of items, computed on `threads`
    threads with at most threads + ahead results waiting (bounded memory)."""
    if threads <= 1 or len(items) <= 1:
        yield from map(function, items)
        return
    pool = ThreadPoolExecutor(threads)
    try:
        pending = collections.deque(pool.submit(function, item) for item in items[:threads + ahead])
        for item in items[threads + ahead:]:
            done = pending.popleft().result()
            pending.append(pool.submit(function, item))
            yield done
        while pending:
            yield pending.popleft().result()
    finally:  # on an error or an interrupt, units not started are dropped, not run
        pool.shutdown(wait=True, cancel_futures=True)


def grid_inputs(scenario: Scenario, model: Model, masses: np.ndarray, couplings: np.ndarray,
                channels_per_mass: list[list[Channel]]) -> GridInputs:
    """Branching ratios and LLP widths on the grid: the only places the coupling enters."""
    branching: dict[tuple[int, str], np.ndarray] = {}
    for i, mass in enumerate(masses):
        for channel in channels_per_mass[i]:
            branching[(i, channel.name)] = np.asarray(
                model.branching_ratio(channel, float(mass), couplings), dtype=float)
    return GridInputs(
        mass_GeV=masses, coupling_GeVinv=couplings,
        llp_width_per_d2=np.array([model.llp_width_per_d2(float(m)) for m in masses]),
        branching=branching,
        experiments=[s.label for s in scenario.experiments],
    )


def meson_name(pdgid: int) -> str:
    name = meson(pdgid).name
    return name if pdgid > 0 else charge_conjugate_name(name)


def meson_exposure(scenario: Scenario,
                   multiplicities: dict[str, list[tuple[int, float]]]) -> pl.DataFrame:
    """Mesons of each kind produced in each experiment: collisions x multiplicity (x A^0.29).

    `multiplicities`: per beam, (signed pdgid, mesons per collision) by pdgid
    (`dipscan.scan.parents.species_multiplicities`)."""
    rows = []
    for spec in scenario.experiments:
        for pdgid, multiplicity in multiplicities[spec.beam]:
            rows.append({"experiment": spec.label, "pdgid": int(pdgid), "meson": meson_name(pdgid),
                         "multiplicity": float(multiplicity),
                         "n_produced": production_scale(spec, pdgid) * multiplicity})
    return pl.DataFrame(rows, schema={"experiment": pl.String, "pdgid": pl.Int64, "meson": pl.String,
                                      "multiplicity": pl.Float64, "n_produced": pl.Float64})


def beam_tables(scenario: Scenario, channels_per_mass: list[list[Channel]], omitted: list[str],
                cache: SampleCache | None, report: Progress | None = None,
                summaries: bool = True) -> dict[str, BeamParents]:
    """Each beam's parent tables (dipscan.scan.parents), with their summaries when `summaries`
    (from the cache, else from the tables), never their arrays; species without a table noted
    in `omitted`."""
    parent_ids = {ch.parent_pdgid for chans in channels_per_mass for ch in chans}
    beams = list(dict.fromkeys(spec.beam for spec in scenario.experiments))
    tables = {}
    for k, beam in enumerate(beams):
        if report:
            report("tables", k, len(beams))
        tables[beam] = BeamParents(beam, parent_ids, omitted, cache)
        if summaries:
            if not tables[beam].summary_at_hand():
                # The tables are read now: this run is almost surely computing, so numba's
                # import and set-up overlap the reading (at worst idle work on a cache hit).
                preload_kernels()
            tables[beam].summary  # noqa: B018 (read now, so that this stage's time holds it)
    if report:
        report("tables", len(beams), len(beams))
    return tables


def mc_variance(scenario: Scenario) -> bool:
    """Whether the reduction carries the Monte Carlo variance."""
    return scenario.uncertainties.enabled and scenario.uncertainties.mc_statistics


def events_cached(scenario: Scenario, cache_dir: Path) -> bool:
    """Whether the scenario's exposure-free events are in the cache (dipscan.scan.events_cache):
    a sweep then draws none of its units. Reads the tables' summaries only."""
    cache = SampleCache.open(cache_dir)
    if cache is None:
        return False
    try:
        model = make_model(scenario.model.kind, **dict(scenario.model.params))
        tables = beam_tables(scenario, _open_channels(model, scenario.mass_grid.values()), [], cache,
                             summaries=False)
        if not all(table.summary_at_hand() for table in tables.values()):
            return False  # never computed here: the tables are not read for the question
        key = events_cache.events_key(scenario, tables, kernel_choice(), mc_variance(scenario))
    except (DipscanError, OSError):  # a damaged table: the scenario reports it when it runs
        return False
    return events_cache.cached(cache, key)


def max_branching_ratio(model: Model, masses: np.ndarray, channels_per_mass: list[list[Channel]],
                        couplings: np.ndarray) -> float:
    """The largest branching ratio on the grid (BR grows with d: it sits at the top coupling)."""
    top = couplings.max()
    return max((float(model.branching_ratio(ch, float(m), top))
                for m, chans in zip(masses, channels_per_mass, strict=True) for ch in chans),
               default=0.0)


def compute(scenario: Scenario, progress: Progress | None = None, cache_dir: Path | None = None,
            ready: dict[SamplingUnit, UnitBlocks] | None = None,
            trim_cache: bool = True) -> ScenarioResult:
    """Sample LLPs once per (beam, mass, channel), weight them per experiment, reduce, scale by
    the exposure, contour. A scenario whose exposure-free events are in the cache
    (dipscan.scan.events_cache) skips the sampling, the weighting and the reduction.

    `ready`: the blocks of units a sweep has already computed for this scenario.
    `trim_cache`: bring the sample cache back to its size limit afterwards (a sweep does it
    once, at its end)."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    model = make_model(scenario.model.kind, **dict(scenario.model.params))
    masses = scenario.mass_grid.values()
    couplings = scenario.coupling_grid.values()
    channels_per_mass = _open_channels(model, masses)
    omitted: list[str] = []
    report = progress or (lambda stage, done, total: None)
    cache = SampleCache.open(cache_dir, background=True) if cache_dir is not None else None
    tables = beam_tables(scenario, channels_per_mass, omitted, cache, report)
    # Reads only the tables' summaries when cached: the arrays wait for a unit to draw.
    species = {beam: table.species for beam, table in tables.items()}
    timings["load_tables"] = time.perf_counter() - t0

    uncertainties = scenario.uncertainties
    variance = mc_variance(scenario)
    labels = [spec.label for spec in scenario.experiments]
    # Before anything that draws, weighs or reduces (or loads the compiled kernels): a scenario
    # computed before with another exposure only scales its stored grid (dipscan.scan.events_cache).
    key = events_cache.events_key(scenario, tables, kernel_choice(), variance) if cache else ""
    rejected = cache.rejected if cache else 0
    stored = events_cache.load(cache, key) if cache else None
    events_source = "off" if cache is None else "events cache" if stored else "computed"
    cache_note = (f"a damaged or unreadable events-cache entry in {cache.folder} was not used; "
                  "its events were computed again" if cache and cache.rejected > rejected else None)
    if stored is not None:
        report("events from the cache", 1, 1)
    else:  # only here are the samples drawn or read, weighed and reduced (the compiled kernels)
        preload_kernels()  # numba's import and set-up overlap what follows, in a thread
        t1 = time.perf_counter()
        blocks, counts = sample_blocks(scenario, model, masses, channels_per_mass, species,
                                       progress, cache, ready)
        timings["sampling"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        report("reduction", 0, 1)
        exposure_free = event_counts(
            blocks, grid_inputs(scenario, model, masses, couplings, channels_per_mass),
            variance=variance, threads=available_cores())
        stored = events_cache.StoredEvents(events_cache.by_position(exposure_free, labels), counts,
                                           max_branching_ratio(model, masses, channels_per_mass,
                                                               couplings))
        report("reduction", 1, 1)
        timings["reduction"] = time.perf_counter() - t2
        if cache:
            events_cache.store(cache, key, stored)
    events = events_cache.exposure_scaled(events_cache.labelled(stored.events, labels),
                                          scenario.experiments)
    counts = stored.sample_counts

    t3 = time.perf_counter()
    levels = {spec.label: contour_level(spec, scenario.output.n_events)
              for spec in scenario.experiments}
    frames = []
    for k, spec in enumerate(scenario.experiments):
        report("contours", k, len(scenario.experiments))
        grid = total_grid(events, spec.label, masses.size, couplings.size)
        frames.append(contour_frame(spec.label, iso_contours(masses, couplings, grid,
                                                             levels[spec.label])))
    report("contours", len(scenario.experiments), len(scenario.experiments))
    contours = pl.concat(frames).with_columns(band=pl.lit("central"))
    timings["contours"] = time.perf_counter() - t3
    t5 = time.perf_counter()
    bands: dict[str, ExperimentBand] = {}
    if uncertainties.enabled:
        parent_of = {ch.name: abs(ch.parent_pdgid) for chans in channels_per_mass for ch in chans}
        shape = (masses.size, couplings.size)
        bands = {spec.label: experiment_bands(spec, events, parent_of, uncertainties, shape)
                 for spec in scenario.experiments}
        contours = pl.concat([contours, *(band_contours(spec.label, masses, couplings,
                                                        bands[spec.label], levels[spec.label])
                                          for spec in scenario.experiments)])
        timings["bands"] = time.perf_counter() - t5
    events = band_event_columns(events.drop("n_events_mc_var", strict=False), bands)
    t4 = time.perf_counter()
    wanted = scenario.overlays.count()
    if wanted:
        report("overlays", 0, wanted)
    overlays = build_overlays(scenario, masses, couplings, cache_dir)
    if wanted:
        report("overlays", wanted, wanted)
    if overlays:
        contours = pl.concat([contours, *(o.contours.with_columns(band=pl.lit("central"))
                                          for o in overlays)])
        timings["overlays"] = time.perf_counter() - t4
    # Here, so that the cache's own thread writes the events grid while the contours are drawn.
    if cache and trim_cache:
        cache.trim()
    elif cache:  # entries written by the cache's own thread are on disk past here
        cache.flush()
    timings["compute_total"] = time.perf_counter() - t0
    return ScenarioResult(scenario, model, masses, couplings, events, contours, timings,
                          omitted, counts, stored.max_branching_ratio, levels, overlays, meson_exposure(
                              scenario, {beam: t.multiplicities for beam, t in tables.items()}),
                          bands, events_source=events_source, cache_note=cache_note)


def contour_level(spec: ExperimentSpec, sensitivity_events: float) -> float:
    """Events on the curve: the scenario's N for a sensitivity, the signal upper limit for a recast."""
    if spec.statistics is None:
        return sensitivity_events
    return _signal_upper_limit(spec.statistics)


@functools.cache
def _signal_upper_limit(statistics) -> float:
    """A recast's signal upper limit, once per process (the scenarios of a sweep share recasts)."""
    from dipscan.limits.statistics import signal_upper_limit

    return signal_upper_limit(**dataclasses.asdict(statistics))
