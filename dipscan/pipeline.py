"""One scenario from TOML to event grid and contours (no file I/O: see `dipscan.runner`)."""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from dipscan.contours import contour_frame, iso_contours
from dipscan.errors import TableError
from dipscan.experiments import sample_weights
from dipscan.models import make_model
from dipscan.models.base import Channel, Model
from dipscan.production.tables import load_meson_samples
from dipscan.reduce import GridInputs, SampleBlock, event_counts, total_grid
from dipscan.sampling import channel_rng, sample_channel
from dipscan.scenario import ExperimentSpec, Scenario

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

    def total_grid(self, label: str) -> np.ndarray:
        return total_grid(self.events, label, self.mass_GeV.size, self.coupling_GeVinv.size)


def _open_channels(model: Model, masses: np.ndarray) -> list[list[Channel]]:
    return [model.channels(float(m)) for m in masses]


def _load_parents(beam: str, pdgids: set[int], omitted: list[str]) -> pl.DataFrame:
    """Parent meson samples of a beam; species without a table are reported, never silently zero."""
    frames = []
    for pdgid in sorted(pdgids):
        try:
            frames.append(load_meson_samples(beam, [pdgid]))
        except TableError as err:
            if "not available" not in str(err):
                raise
            omitted.append(f"{beam}: no table for PDG id {pdgid}; its channels are left out")
            warnings.warn(omitted[-1], stacklevel=2)
    if not frames:
        return pl.DataFrame(schema={"pdg_id": pl.Int32, "p_GeV": pl.Float64,
                                    "theta_rad": pl.Float64, "weight": pl.Float64})
    return pl.concat(frames, how="vertical_relaxed")


def compute(scenario: Scenario, progress: Progress | None = None) -> ScenarioResult:
    """Sample LLPs once per (beam, mass, channel), weight them per experiment, reduce, contour."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    model = make_model(scenario.model.kind, **dict(scenario.model.params))
    masses = scenario.mass_grid.values()
    couplings = scenario.coupling_grid.values()
    channels_per_mass = _open_channels(model, masses)
    omitted: list[str] = []

    beams: dict[str, list] = {}
    for spec in scenario.experiments:
        beams.setdefault(spec.beam, []).append(spec)
    parent_ids = {ch.parent_pdgid for chans in channels_per_mass for ch in chans}
    parents = {beam: _load_parents(beam, parent_ids, omitted) for beam in beams}
    timings["load_tables"] = time.perf_counter() - t0

    t1 = time.perf_counter()
    blocks: list[SampleBlock] = []
    counts: dict[str, int] = {}
    total_steps = len(beams) * masses.size
    step = 0
    for beam, specs in beams.items():
        available = set(parents[beam]["pdg_id"].unique().to_list())
        floor = min(spec.photon_threshold_GeV for spec in specs)
        for i, mass in enumerate(masses):
            e_star = model.photon_energy_rest_GeV(float(mass))
            for channel in channels_per_mass[i]:
                if channel.parent_pdgid not in available:
                    continue
                rng = channel_rng(scenario.seed, beam, i, channel)
                samples = sample_channel(model, channel, float(mass), parents[beam], rng, floor,
                                         scenario.llp_samples_max)
                counts[channel.name] = counts.get(channel.name, 0) + len(samples)
                for spec in specs:
                    for (l_start, l_end), weight in sample_weights(spec, samples, e_star, rng):
                        keep = weight > 0
                        blocks.append(SampleBlock(spec.label, i, channel.name, weight[keep],
                                                  samples.betagamma[keep], l_start, l_end))
            step += 1
            if progress:
                progress("sampling", step, total_steps)
    timings["sampling"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    branching: dict[tuple[int, str], np.ndarray] = {}
    for i, mass in enumerate(masses):
        for channel in channels_per_mass[i]:
            branching[(i, channel.name)] = np.asarray(
                model.branching_ratio(channel, float(mass), couplings), dtype=float)
    grid = GridInputs(
        mass_GeV=masses, coupling_GeVinv=couplings,
        llp_width_per_d2=np.array([model.llp_width_per_d2(float(m)) for m in masses]),
        branching=branching,
        experiments=[s.label for s in scenario.experiments],
    )
    events = event_counts(blocks, grid)
    timings["reduction"] = time.perf_counter() - t2

    t3 = time.perf_counter()
    levels = {spec.label: contour_level(spec, scenario.output.n_events)
              for spec in scenario.experiments}
    contours = pl.concat([
        contour_frame(spec.label, iso_contours(masses, couplings,
                                               total_grid(events, spec.label, masses.size,
                                                          couplings.size),
                                               levels[spec.label]))
        for spec in scenario.experiments])
    timings["contours"] = time.perf_counter() - t3
    timings["compute_total"] = time.perf_counter() - t0
    max_br = max((float(np.max(v)) for v in branching.values()), default=0.0)
    return ScenarioResult(scenario, model, masses, couplings, events, contours, timings,
                          omitted, counts, max_br, levels)


def contour_level(spec: ExperimentSpec, sensitivity_events: float) -> float:
    """Events on the curve: the scenario's N for a sensitivity, the signal upper limit for a recast."""
    if spec.statistics is None:
        return sensitivity_events
    from dipscan.limits.statistics import signal_upper_limit

    return signal_upper_limit(**dataclasses.asdict(spec.statistics))
