"""Event grids without the exposure, kept in the sample cache: a rerun that changes only the
exposure (or labels, styles, the N level, overlays) skips the tables, the sampling, the weighting
and the reduction, and scales the stored grid instead.

The weights and the reduction count events for a fixed reference exposure,
`experiments.REFERENCE_COLLISIONS` collisions (the heavy-flavour A^0.29 factor, a property of the
target, stays in the weights). The experiment's exposure enters once, at the end, on every path
(cold, warm, sweep, Dask): N = N_reference x collisions / REFERENCE_COLLISIONS, and the Monte
Carlo variance x that ratio squared (`exposure_scaled`). So a cold run and a rerun from the
cache give the same bytes, and twice the exposure is exactly twice the events.

An entry is addressed by everything that decides the exposure-free grid and nothing else
(`events_key`): the model and all its parameters, the seed and sample cap, the mass and coupling
grids, each beam's tables (their summary key and array digests) and pre-cut shells, each
experiment's spec without its exposure, styles, statistics or label (the label stays only in
mode "photon", whose photon directions are drawn from a stream named after it), whether the
Monte Carlo variance is carried, the kernel choice, and the code that samples, weighs and
reduces. Labels are not stored: experiments are stored by position and named on reading.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from dipscan.io.sample_cache import EVENTS_SUFFIX, SampleCache, unit_key
from dipscan.scan.experiments import REFERENCE_COLLISIONS
from dipscan.scan.plan import beam_shells, experiments_by_beam, sampling_code_digest

if TYPE_CHECKING:  # the configuration layer sits above: annotations only
    from dipscan.config.scenario import ExperimentSpec, Scenario
    from dipscan.scan.parents import BeamParents

EVENTS_FORMAT = 2
#: Beyond the sampling code (`plan.SAMPLING_CODE`): the code that weighs, bins and reduces.
EVENTS_CODE = ("scan/experiments.py", "scan/geometry.py", "scan/response_kernels.py",
               "scan/reduce.py", "scan/pipeline.py", "scan/events_cache.py", "scan/parents.py",
               "config/presets.py", "physics/decays/fdec.py")
#: Fields of an experiment that do not change its exposure-free events.
NOT_IN_EVENTS = ("exposure", "label", "color", "linestyle", "description", "preset_path",
                 "statistics", "approximations")


@functools.cache
def events_code_digest() -> str:
    """sha256 of the sampling code digest and the weighing and reduction code."""
    root = Path(__file__).resolve().parents[1]  # the dipscan package
    h = hashlib.sha256(sampling_code_digest().encode())
    for name in EVENTS_CODE:
        h.update(name.encode() + b"\0" + (root / name).read_bytes())
    return h.hexdigest()


def experiment_identity(spec: ExperimentSpec) -> dict:
    """The fields of an experiment its exposure-free events depend on (module docstring)."""
    fields = dataclasses.asdict(spec)
    for name in NOT_IN_EVENTS:
        if name != "label" or spec.geometry.mode != "photon":
            fields.pop(name, None)
    fields["shape"] = spec.geometry.shape
    return fields


def events_key(scenario: Scenario, tables: dict[str, BeamParents], kernels: str,
               variance: bool) -> str:
    """The content address of a scenario's exposure-free event grid (module docstring).
    Reads the tables' summaries only (dipscan.scan.parents), never their arrays."""
    beams = {}
    for beam, specs in experiments_by_beam(scenario).items():
        shells, theta = beam_shells(beam, specs)
        table = tables[beam]
        beams[beam] = {"summary": table.summary_key, "shells": shells, "theta_rad": theta,
                       "species": sorted([pdgid, digest]
                                         for pdgid, (digest, _) in table.summary.items())}
    parts = {
        "format": EVENTS_FORMAT, "code": events_code_digest(), "kernels": kernels,
        "model": [scenario.model.kind, sorted(dict(scenario.model.params).items())],
        "seed": scenario.seed, "llp_samples_max": scenario.llp_samples_max,
        "mass_GeV": scenario.mass_grid.values().tolist(),
        "coupling_GeVinv": scenario.coupling_grid.values().tolist(),
        "beams": beams, "mc_variance": variance,
        "experiments": [json.loads(json.dumps(experiment_identity(spec), default=str))
                        for spec in scenario.experiments],
    }
    return unit_key(parts)


@dataclasses.dataclass
class StoredEvents:
    """What a scenario's computation leaves for the rest of `compute`: the events without the exposure
    (experiments by position), the LLP samples drawn per channel, and the largest branching
    ratio on the grid (kept: recomputing it needs every channel's width, a tenth of a second of
    Dalitz integrals on a rerun that otherwise computes almost nothing)."""

    events: pl.DataFrame  # as `reduce.event_counts`, "experiment" as its index in the scenario
    sample_counts: dict[str, int]
    max_branching_ratio: float

    def to_bytes(self) -> bytes:
        """One JSON line (the counts), then the frame in Arrow IPC."""
        buffer = io.BytesIO()
        buffer.write(json.dumps({"format": EVENTS_FORMAT,
                                 "sample_counts": list(self.sample_counts.items()),
                                 "max_branching_ratio": self.max_branching_ratio}).encode() + b"\n")
        self.events.write_ipc(buffer, compression="lz4")
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> StoredEvents | None:
        """The entry written by `to_bytes`, or None if it is not one."""
        head, _, body = payload.partition(b"\n")
        try:
            meta = json.loads(head)
            if meta.get("format") != EVENTS_FORMAT:
                return None
            counts = {str(name): int(n) for name, n in meta["sample_counts"]}
            max_br = float(meta["max_branching_ratio"])
            events = pl.read_ipc(io.BytesIO(body))
        except (ValueError, KeyError, TypeError, AttributeError, OSError, pl.exceptions.PolarsError):
            return None
        return cls(events, counts, max_br)


def by_position(events: pl.DataFrame, labels: list[str]) -> pl.DataFrame:
    """The events with each experiment's label replaced by its position in the scenario."""
    return events.with_columns(pl.col("experiment").replace_strict(
        {label: k for k, label in enumerate(labels)}, return_dtype=pl.Int32))


def labelled(events: pl.DataFrame, labels: list[str]) -> pl.DataFrame:
    """`by_position` undone: the labels put back, as one contiguous frame (the same bytes
    whether it was just computed or read back from the cache)."""
    return events.with_columns(pl.Series("experiment", labels, dtype=pl.String)
                               .gather(events["experiment"])).rechunk()


def exposure_scaled(events: pl.DataFrame, specs: list[ExperimentSpec]) -> pl.DataFrame:
    """Events for the reference exposure times each experiment's collisions over it (the
    Monte Carlo variance times that ratio squared)."""
    ratios = {spec.label: spec.exposure.n_collisions() / REFERENCE_COLLISIONS for spec in specs}
    factor = pl.col("experiment").replace_strict(ratios, return_dtype=pl.Float64)
    scaled = [pl.col("n_events") * factor]
    if "n_events_mc_var" in events.columns:
        squares = {label: n * n for label, n in ratios.items()}
        scaled.append(pl.col("n_events_mc_var")
                      * pl.col("experiment").replace_strict(squares, return_dtype=pl.Float64))
    return events.with_columns(scaled)


def load(cache: SampleCache, key: str) -> StoredEvents | None:
    """A sound entry, or None (missing; a damaged one is removed: see `SampleCache.rejected`)."""
    return cache.load_entry(key, EVENTS_SUFFIX, StoredEvents.from_bytes)


def store(cache: SampleCache, key: str, stored: StoredEvents) -> None:
    """Written by the cache's own thread when it has one (serialised there too)."""
    cache.store_bytes(key, EVENTS_SUFFIX, stored.to_bytes)


def cached(cache: SampleCache | None, key: str) -> bool:
    """Whether an entry exists (not checked: a damaged one is found, and recomputed, on reading)."""
    return cache is not None and cache.path(key).with_suffix(EVENTS_SUFFIX).exists()

