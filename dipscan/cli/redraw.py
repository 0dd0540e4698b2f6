"""Redraw a finished run from its tables: `dipscan plot`, and `make` after a style-only edit.

A run records `compute_sha256`, a digest of everything that decides its numbers: the scenario
without its title, `[plot]` table and curve colours and line styles, the meson tables it reads,
the beams' sampling pre-cuts and dipscan's own computing code. When a scenario's digest matches
the one recorded in outputs/NAME, only the figure can have changed, so it is redrawn instead of
recomputed.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
from pathlib import Path

from dipscan.errors import DipscanError
from dipscan.io.outputs import atomic_write, record_files, write_failure, write_json
from dipscan.plot.record import FIGURE_FORMATS, read_provenance, restyle_meta

# Modules that draw, export, compare, report or guard runs: editing them never changes a number.
PRESENTATION_MODULES = frozenset({
    "cli/__init__.py", "cli/__main__.py", "cli/commands.py", "plot/__init__.py", "plot/plotting.py",
    "config/plotspec.py", "cli/redraw.py", "cli/hepdata.py", "cli/compare.py", "cli/run.py",
    "io/outputs.py", "cli/messages.py", "cli/progress.py", "cli/signals.py", "cli/preflight.py",
    "io/version.py", "cli/figures.py", "plot/record.py"})
STYLE_KEYS = ("color", "linestyle", "description", "preset_path")


@functools.cache  # once per process: a sweep checks every scenario against the same code
def code_digest() -> str:
    """sha256 over dipscan's computing modules (path and bytes), so a physics edit recomputes."""
    root = Path(__file__).resolve().parents[1]  # the dipscan package
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if path.relative_to(root).as_posix() in PRESENTATION_MODULES:
            continue
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def compute_digest(scenario) -> str:
    """Digest of the compute-relevant part of a scenario (see the module docstring)."""
    from dipscan.production.beams import load_beam
    from dipscan.production.manifest import table_digests

    experiments = []
    for spec in scenario.experiments:
        fields = dataclasses.asdict(spec)
        for key in STYLE_KEYS:
            fields.pop(key, None)
        experiments.append(fields)
    overlays = dataclasses.asdict(scenario.overlays)
    overlays["curves"] = [{"label": c.label, "sha256": c.sha256, "region": c.region,
                           "source": c.source, "mass_GeV": list(c.mass_GeV),
                           "coupling_GeVinv": list(c.coupling_GeVinv)}
                          for c in scenario.overlays.curves]
    payload = {
        "seed": scenario.seed, "model": [scenario.model.kind, dict(scenario.model.params)],
        "grids": [dataclasses.asdict(scenario.mass_grid), dataclasses.asdict(scenario.coupling_grid)],
        "llp_samples_max": scenario.llp_samples_max, "output": dataclasses.asdict(scenario.output),
        "experiments": experiments, "overlays": overlays,
        "uncertainties": dataclasses.asdict(scenario.uncertainties),
        "tables": {beam: table_digests(beam) for beam in sorted({s.beam for s in scenario.experiments})},
        "sampling": {beam: load_beam(beam).sampling for beam in sorted({s.beam for s in scenario.experiments})},
        "code": code_digest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def write_figures(data, paths: list[Path]) -> None:
    """Draw once, save every format, each file swapped in atomically (dipscan.io.outputs)."""
    from dipscan.plot.plotting import write_figure  # polars and contourpy: only when drawing

    def nest(i: int, temps: list[Path]) -> None:
        if i == len(paths):
            write_figure(data, temps, [p.suffix.lstrip(".") for p in paths])
            return
        atomic_write(paths[i], lambda tmp: nest(i + 1, [*temps, tmp]))

    nest(0, [])


def redraw(folder: Path, scenario=None, always: bool = False) -> tuple[list[Path], float]:
    """Redraw plot.png / plot.pdf of a run folder (restyled by `scenario` if given).

    Draws the figure formats the run wrote; with `always`, both when the run wrote neither.
    Returns the files written and the seconds taken. Only the plot files and provenance.json of
    the folder are replaced, each atomically.
    """
    t0 = time.perf_counter()
    folder = Path(folder)
    record = read_provenance(folder)
    meta = record.get("figure")
    if meta is None:
        raise DipscanError(f"{folder}/provenance.json: no 'figure' record (written by an older "
                           "dipscan); run the scenario again")
    if scenario is not None:
        meta = restyle_meta(meta, scenario)
    from dipscan.plot.plotting import figure_data_from_folder  # polars: only when drawing

    data = figure_data_from_folder(folder, meta)
    formats = [f for f in FIGURE_FORMATS if f in record.get("output_formats", FIGURE_FORMATS)]
    if not formats and always:
        formats = list(FIGURE_FORMATS)
    paths = [folder / f"plot.{ext}" for ext in formats]
    if paths:
        try:
            write_figures(data, paths)
        except OSError as err:
            raise write_failure(err, paths[0]) from err
    seconds = time.perf_counter() - t0
    record["figure"] = meta
    if scenario is not None:
        record["scenario"] = dict(record.get("scenario", {}), file=str(scenario.path),
                                  sha256=scenario.digest)
    record.setdefault("timings_s", {})["redraw"] = round(seconds, 4)
    write_json(record, folder / "provenance.json")
    record_files(folder, [p.name for p in paths])  # so the next run may replace the folder
    return paths, seconds


def figure_up_to_date(folder: Path, scenario) -> bool:
    """True when the run in `folder` already shows this scenario's figure: its figure record and
    scenario file are the ones it would write now and every plot file it wrote is still there.

    Then a rerun has nothing to write at all (the numbers are checked by `only_style_changed`).
    """
    try:
        record = read_provenance(folder)
    except DipscanError:
        return False
    meta = record.get("figure")
    if meta is None or record.get("scenario", {}).get("file") != str(scenario.path) \
            or record.get("scenario", {}).get("sha256") != scenario.digest:
        return False
    # Through JSON, as provenance.json stores it (tuples become lists).
    if json.loads(json.dumps(restyle_meta(meta, scenario))) != meta:
        return False
    formats = [f for f in FIGURE_FORMATS if f in record.get("output_formats", FIGURE_FORMATS)]
    return all((Path(folder) / f"plot.{ext}").is_file() for ext in formats)


def only_style_changed(scenario, folder: Path) -> bool:
    """True when `folder` holds a complete run whose numbers this scenario would reproduce."""
    path = Path(folder) / "provenance.json"
    if not path.is_file():
        return False
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    tables = all(any((Path(folder) / f"{stem}{suffix}").is_file() for suffix in (".parquet", ".csv"))
                 for stem in ("contours", "events"))
    return tables and "figure" in record and record.get("compute_sha256") == compute_digest(scenario)
