"""Checks before any computing: where the outputs go, the tables a scenario reads, its size.

`preflight` refuses a run that would fail or harm files later (an output location dipscan may not
replace or cannot write, too little disk space, a damaged table manifest) and a grid so large it
needs confirming; `scenario_notes` says when a valid scenario is pointless.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from dipscan.config.scenario import Scenario
from dipscan.errors import OutputError, ScenarioError
from dipscan.io.outputs import check_target
from dipscan.physics.constants import PROTON_MASS_GeV
from dipscan.physics.models import make_model
from dipscan.production.beams import load_beam
from dipscan.production.manifest import table_digests

# Rough cost model of a run, measured on na62_delta0p01 (94,800 event rows) and on a 300 x 400
# grid of the tiny example (776,000 rows): good to a factor of about two, enough to warn before
# a run takes hours or fills a disk.
CSV_BYTES_PER_ROW = 100  # events.csv: measured 90 and 93; 101 with the band columns (fig2)
PARQUET_BYTES_PER_ROW = 10  # events.parquet: measured 5.6 and 7.1; 8.9 with the band columns
PLOT_BYTES = 400_000  # png + pdf
MEMORY_BYTES_PER_ROW = 450  # peak resident memory per event row: measured 425
MEMORY_BASE_BYTES = 300_000_000  # interpreter, libraries and meson tables: measured 290 MB
SECONDS_PER_BLOCK = 4e-3  # sampling one (experiment, mass, channel), whatever its size
SECONDS_PER_SAMPLE = 3e-8  # each LLP sample of such a block
SECONDS_PER_ROW = 8e-6  # reduction and writing, per event row

# Above any of these the run stops unless confirmed ([scenario] confirm_large or --confirm-large).
LIMIT_MEMORY_BYTES = 4_000_000_000
LIMIT_OUTPUT_BYTES = 2_000_000_000
LIMIT_SECONDS = 2 * 3600
# Estimates are printed from this size on.
SHOW_SECONDS = 60
SHOW_OUTPUT_BYTES = 100_000_000

# A contour (and the "mass reach") needs a few cells along each axis to mean anything.
MIN_CONTOUR_POINTS = 4
DISK_MARGIN_BYTES = 10_000_000


@dataclass(frozen=True)
class Estimate:
    rows: int
    output_bytes: int
    memory_bytes: int
    seconds: float

    def describe(self) -> str:
        return (f"about {_duration(self.seconds)}, {_size(self.memory_bytes)} of memory and "
                f"{_size(self.output_bytes)} of output ({self.rows:,} event rows)")

    def over_limit(self) -> list[str]:
        over = []
        if self.memory_bytes > LIMIT_MEMORY_BYTES:
            over.append(f"memory above {_size(LIMIT_MEMORY_BYTES)}")
        if self.output_bytes > LIMIT_OUTPUT_BYTES:
            over.append(f"output above {_size(LIMIT_OUTPUT_BYTES)}")
        if self.seconds > LIMIT_SECONDS:
            over.append(f"time above {_duration(LIMIT_SECONDS)}")
        return over


def _size(n_bytes: float) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.1f} {unit}"
    return f"{n_bytes:.0f} B"


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _channels_per_mass(scenario: Scenario) -> list[int]:
    model = make_model(scenario.model.kind, **dict(scenario.model.params))
    return [len(model.channels(float(m))) for m in scenario.mass_grid.values()]


def estimate(scenario: Scenario) -> Estimate:
    """Rows of the event table (exact), and rough time, memory and output size."""
    per_mass = _channels_per_mass(scenario)
    n_exp = len(scenario.experiments)
    rows = n_exp * scenario.coupling_grid.points * sum(k + 1 for k in per_mass)  # + the totals
    formats = scenario.output.formats
    per_row = (CSV_BYTES_PER_ROW if "csv" in formats else 0) + (
        PARQUET_BYTES_PER_ROW if "parquet" in formats else 0)
    plots = PLOT_BYTES if {"png", "pdf"} & set(formats) else 0
    blocks = n_exp * sum(per_mass)
    seconds = (blocks * (SECONDS_PER_BLOCK + scenario.llp_samples_max * SECONDS_PER_SAMPLE)
               + rows * SECONDS_PER_ROW)
    return Estimate(rows=rows, output_bytes=rows * per_row + plots,
                    memory_bytes=MEMORY_BASE_BYTES + rows * MEMORY_BYTES_PER_ROW, seconds=seconds)


def max_photon_energy_GeV(beam_name: str) -> float:
    """Largest lab energy a photon from a p-p collision of this beam can have.

    Baryon number leaves at least two nucleons in the final state, so in the centre of mass a
    photon carries at most (s - 4 m_p^2) / (2 sqrt(s)); a fixed target boosts that forward by
    gamma (1 + beta) = (E_beam + m_p + p_beam) / sqrt(s). Any photon of the signal comes from a
    decay chain inside that final state, so it is bounded by this.
    """
    beam = load_beam(beam_name)
    m = PROTON_MASS_GeV
    sqrt_s = beam.sqrt_s_GeV
    e_cm = (sqrt_s**2 - 4 * m * m) / (2 * sqrt_s)
    if beam.frame == "collider":
        return e_cm
    energy = float(beam.beam_energy_GeV)
    return e_cm * (energy + m + math.sqrt(energy * energy - m * m)) / sqrt_s


def scenario_notes(scenario: Scenario) -> list[str]:
    """Plain notes for a valid but pointless scenario."""
    notes = []
    masses = scenario.mass_grid.values()
    per_mass = _channels_per_mass(scenario)
    if not any(per_mass):
        notes.append(f"no production channel is open anywhere on the mass grid "
                     f"({masses.min():g}-{masses.max():g} GeV): every event count is zero; "
                     "lower [grid.mass]")
    elif not all(per_mass):
        closed = masses[[k == 0 for k in per_mass]]
        notes.append(f"no production channel is open for {closed.size} of {masses.size} masses "
                     f"({closed.min():g}-{closed.max():g} GeV): they count zero events")
    for i, spec in enumerate(scenario.experiments):
        top = max_photon_energy_GeV(spec.beam)
        if spec.photon_threshold_GeV >= top:
            notes.append(f"experiment[{i}] ({spec.label}): photon_threshold_GeV = "
                         f"{spec.photon_threshold_GeV:g} is above the largest photon energy the "
                         f"{spec.beam} beam allows ({top:.4g} GeV): it sees no events")
    for axis, grid in (("mass", scenario.mass_grid), ("coupling", scenario.coupling_grid)):
        if grid.points < MIN_CONTOUR_POINTS:
            notes.append(f"grid.{axis}.points = {grid.points}: too coarse for a contour (the curve "
                         f"and the mass reach are straight lines between {grid.points} points); "
                         f"use at least {MIN_CONTOUR_POINTS}")
    return notes


def check_tables(scenario: Scenario) -> None:
    """Every beam preset and table manifest the scenario reads is readable and complete."""
    for beam in dict.fromkeys(spec.beam for spec in scenario.experiments):
        load_beam(beam)
        table_digests(beam)


def _free_bytes(target: Path) -> int:
    for candidate in (target, *target.parents):
        if candidate.is_dir():
            return shutil.disk_usage(candidate).free
    return shutil.disk_usage(Path.cwd()).free


def preflight(scenario: Scenario, target: Path, confirm_large: bool = False) -> list[str]:
    """Raise if the run cannot or should not start; return notes to print before computing."""
    check_target(target, scenario.name)
    check_tables(scenario)
    size = estimate(scenario)
    notes = scenario_notes(scenario)
    over = size.over_limit()
    if over and not (confirm_large or scenario.confirm_large):
        raise ScenarioError(scenario.path, "grid", f"{scenario.mass_grid.points} x "
                            f"{scenario.coupling_grid.points} points, {size.describe()}",
                            f"a run within the limits ({'; '.join(over)}): make the grid coarser, "
                            "or confirm with `confirm_large = true` in [scenario] or "
                            "`--confirm-large`")
    free = _free_bytes(target)
    if free < size.output_bytes + DISK_MARGIN_BYTES:
        raise OutputError(target, f"needs about {_size(size.output_bytes)} of disk space, "
                          f"{_size(free)} free", "free some space or choose another --output")
    if size.seconds > SHOW_SECONDS or size.output_bytes > SHOW_OUTPUT_BYTES or over:
        notes.insert(0, f"estimate: {size.describe()}")
    return notes
