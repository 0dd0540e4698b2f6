"""Existing limits and targets drawn beside the experiments: BaBar, the thermal relic, literature.

Each overlay is exported like a sensitivity curve (rows of the contours table, with its own
label) and drawn by dipscan.plot.plotting from those rows. Overlays are plain data, so results can travel between
processes (local pools, Dask workers).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from dipscan.io.cache_files import owned_files, remove_owned, with_temporaries
from dipscan.io.outputs import atomic_write
from dipscan.limits import RELIC_LABEL
from dipscan.physics.decays.backend import kernel_choice
from dipscan.scan.contours import CONTOUR_SCHEMA, contour_frame, iso_contours

RELIC_MASS_POINTS = 30  # the relic line is smooth between resonances; solved on its own grid
RELIC_CACHE_VERSION = 3  # bump when dipscan.limits.relic changes its physics or its solver
#: The names of the cache files of overlays (their paths: babar_cache_path, relic_cache_path);
#: relic-*.parquet are relic lines of an earlier cache layout, never read now.
OVERLAY_CACHE_NAMES = {"relic lines": r"relic-[0-9a-f]{16}\.(?:line|parquet)",
                       "BaBar grids": r"babar-[0-9a-f]{16}\.grid"}


@dataclass
class Overlay:
    kind: str  # "babar" | "relic" | "literature" | "user"
    label: str
    contours: pl.DataFrame
    data: dict = field(default_factory=dict)  # the inputs behind the curve (BaBar grid, user curve)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # shown to the user and kept in provenance


def babar_cache_path(selection, delta: float, masses: np.ndarray, couplings: np.ndarray,
                     seed: int, cache_dir: Path | None) -> Path | None:
    """Cache entry of a BaBar event grid, keyed by every input of the recast."""
    if cache_dir is None:
        return None
    from dipscan.limits.babar import BABAR_MC_SAMPLES, recast_code_digest

    key = _digest({"selection": dataclasses.asdict(selection), "delta": delta,
                   "masses_GeV": masses.tolist(), "couplings_GeVinv": couplings.tolist(),
                   "seed": seed, "n_samples": BABAR_MC_SAMPLES, "code": recast_code_digest(),
                   "kernels": kernel_choice()})
    return cache_dir / f"babar-{key[:16]}.grid"


def _digest(parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def read_array_cache(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """A cached array (BaBar grid, relic line), or None if it is missing or corrupt (wrong
    header, size or checksum): a corrupt entry is never trusted, only computed again."""
    try:
        header, data = path.read_bytes().split(b"\n", 1)
        stored = json.loads(header)
        if stored == {"shape": list(shape), "sha256": hashlib.sha256(data).hexdigest()}:
            return np.frombuffer(data, dtype="<f8").reshape(shape).copy()
    except (OSError, ValueError):
        pass
    return None


def write_array_cache(path: Path, array: np.ndarray) -> None:
    """One JSON header line (shape, sha256 of the data), then the little-endian doubles."""
    data = np.ascontiguousarray(array, dtype="<f8").tobytes()
    header = json.dumps({"shape": list(array.shape), "sha256": hashlib.sha256(data).hexdigest()})
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: tmp.write_bytes(header.encode() + b"\n" + data))


def overlay_cache_info(folder: Path) -> str:
    """One line: where the overlay cache is, how many relic lines and BaBar grids, and bytes."""
    counts, size = [], 0
    for what, names in OVERLAY_CACHE_NAMES.items():
        files = owned_files(folder, re.compile(names))
        counts.append(f"{len(files)} {what}")
        size += sum(bytes_ for _, bytes_, _ in files)
    return f"overlay cache {folder}: {', '.join(counts)}, {size / 1e6:.1f} MB"


def clear_overlay_cache(folder: Path) -> tuple[int, int]:
    """Remove the relic lines and BaBar grids dipscan cached (and their leftover temporaries),
    nothing else; (files, bytes) removed."""
    return remove_owned(folder, with_temporaries("|".join(OVERLAY_CACHE_NAMES.values())))


def babar_events(selection, delta: float, masses: np.ndarray, couplings: np.ndarray, seed: int,
                 cache_dir: Path | None) -> np.ndarray:
    """BaBar signal events on the (mass, coupling) grid; computed once per input set and cached
    on disk (a corrupt entry is computed again and replaced)."""
    from dipscan.limits.babar import babar_event_yield

    path = babar_cache_path(selection, delta, masses, couplings, seed, cache_dir)
    if path is not None and path.exists():
        cached = read_array_cache(path, (masses.size, couplings.size))
        if cached is not None:
            return cached
    events = babar_event_yield(masses, delta, couplings, rng=seed, selection=selection)
    if path is not None:
        write_array_cache(path, events)
    return events


def babar_overlay(delta: float, masses: np.ndarray, couplings: np.ndarray, seed: int,
                  recast, cache_dir: Path | None = None) -> Overlay:
    """The BaBar recast defined by `recast` (a BabarRecast of the scenario's [overlays] babar)."""

    level = recast.required_events
    events = babar_events(recast.selection, delta, masses, couplings, seed, cache_dir)
    segments = iso_contours(masses, couplings, events, level)
    added = [c.name for c in recast.choices if c.origin == "added"]
    return Overlay("babar", recast.label, contour_frame(recast.label, segments),
                   {"masses": masses, "couplings": couplings, "events": events,
                    "level": level, "segments": segments, "color": recast.color,
                    "linestyle": recast.linestyle, "recast": recast.provenance()},
                   [f"{recast.label}: e+e- -> gamma chi1 chi2 Monte Carlo, {level:g} signal events, "
                    f"{recast.value('luminosity_invfb'):g} fb^-1 (scenarios/limits/{recast.name}.toml); "
                    "choices added to arXiv:2406.17599 sec. 4.2: " + (", ".join(added) or "none")])


def relic_masses(mass_min_GeV: float, mass_max_GeV: float) -> np.ndarray:
    """The relic line's own mass grid over a scenario's mass range."""
    return np.geomspace(mass_min_GeV, mass_max_GeV, RELIC_MASS_POINTS)


def relic_cache_path(delta: float, masses: np.ndarray, cache_dir: Path | None) -> Path | None:
    """Cache entry of a relic line; the kernels are in the key (compiled and numpy differ in the
    last bits)."""
    key = hashlib.sha256(json.dumps([RELIC_CACHE_VERSION, delta, masses.tolist(),
                                     kernel_choice()]).encode()).hexdigest()
    return cache_dir / f"relic-{key[:16]}.line" if cache_dir else None


def read_relic_cache(path: Path, masses: np.ndarray) -> np.ndarray | None:
    """The cached couplings of a relic line, or None if missing, corrupt or for other masses."""
    cached = read_array_cache(path, (2, masses.size))
    if cached is None or not np.array_equal(cached[0], masses):
        return None
    return cached[1]


def write_relic_cache(path: Path, masses: np.ndarray, couplings: np.ndarray) -> None:
    write_array_cache(path, np.stack([masses, couplings]))


def relic_line(delta: float, mass_min_GeV: float, mass_max_GeV: float,
               cache_dir: Path | None) -> tuple[np.ndarray, np.ndarray]:
    """(M1, d) with Omega h^2 = 0.12; solved once per (delta, mass range) and cached on disk
    (a corrupt entry is solved again and replaced)."""
    from dipscan.limits.relic import relic_coupling

    masses = relic_masses(mass_min_GeV, mass_max_GeV)
    path = relic_cache_path(delta, masses, cache_dir)
    if path is not None and path.exists():
        cached = read_relic_cache(path, masses)
        if cached is not None:
            return masses, cached
    couplings = np.asarray(relic_coupling(masses, delta), dtype=float)
    if path is not None:
        write_relic_cache(path, masses, couplings)
    return masses, couplings


def relic_overlay(delta: float, masses: np.ndarray, cache_dir: Path | None) -> Overlay:
    from dipscan.limits.relic import THERMAL_DM_MIN_MASS_GeV

    m, d = relic_line(delta, float(masses.min()), float(masses.max()), cache_dir)
    ok = np.isfinite(d)
    frame = pl.DataFrame({"experiment": RELIC_LABEL, "segment": 0, "point": np.arange(ok.sum()),
                          "branch": "relic", "mass_GeV": m[ok], "coupling_GeVinv": d[ok]},
                         schema=CONTOUR_SCHEMA)
    return Overlay("relic", RELIC_LABEL, frame,
                   {"mass_GeV": m[ok], "coupling_GeVinv": d[ok], "mass_min": float(masses.min()),
                    "disfavoured_below_GeV": THERMAL_DM_MIN_MASS_GeV},
                   ["thermal relic: chi1 chi2 coannihilation (Griest-Seckel), hadrons via a "
                    "parametrised R-ratio, Boltzmann equation solved numerically (compiled Radau IIA, "
                    "ln Omega to ~1e-6); Omega h^2 = 0.12"])


def literature_overlay(flavour: str) -> Overlay:
    from dipscan.limits.literature import neutrino_dipole_limits

    regions, warnings = neutrino_dipole_limits(flavour)
    frames = [pl.DataFrame({"experiment": r.name, "segment": 0, "point": np.arange(len(r.mass_GeV)),
                            "branch": "excluded", "mass_GeV": r.mass_GeV,
                            "coupling_GeVinv": r.coupling_GeVinv}, schema=CONTOUR_SCHEMA)
              for r in regions]
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=CONTOUR_SCHEMA)
    notes = [f"literature: {r.name} from {r.source}" for r in regions]
    return Overlay("literature", "literature", frame, {"regions": regions}, notes, list(warnings))


def user_curve_overlay(curve) -> Overlay:
    """A curve from the user's CSV, already in GeV and GeV^-1 (dipscan.config.user_curves)."""
    n = len(curve.mass_GeV)
    frame = pl.DataFrame({"experiment": curve.label, "segment": 0, "point": np.arange(n),
                          "branch": "excluded" if curve.region else "user",
                          "mass_GeV": np.array(curve.mass_GeV),
                          "coupling_GeVinv": np.array(curve.coupling_GeVinv)}, schema=CONTOUR_SCHEMA)
    return Overlay("user", curve.label, frame, {"curve": curve},
                   [f"user curve {curve.label!r}: {curve.file.name} (sha256 {curve.sha256[:12]}), "
                    f"source: {curve.source}"])


def overlay_grid_frame(overlays: list[Overlay]) -> pl.DataFrame | None:
    """Expected events of the overlays computed on the scan grid (BaBar), as a long table."""
    frames = []
    for overlay in overlays:
        if overlay.kind == "babar":
            masses, couplings = overlay.data["masses"], overlay.data["couplings"]
            frames.append(pl.DataFrame({
                "experiment": overlay.label, "mass_GeV": np.repeat(masses, couplings.size),
                "coupling_GeVinv": np.tile(couplings, masses.size),
                "n_events": np.asarray(overlay.data["events"], dtype=float).ravel()}))
    return pl.concat(frames) if frames else None


def build_overlays(scenario, masses: np.ndarray, couplings: np.ndarray,
                   cache_dir: Path | None) -> list[Overlay]:
    params = dict(scenario.model.params)
    out = []
    for recast in scenario.overlays.babar:
        out.append(babar_overlay(params["delta"], masses, couplings, scenario.seed, recast,
                                 cache_dir))
    if scenario.overlays.relic:
        out.append(relic_overlay(params["delta"], masses, cache_dir))
    if scenario.overlays.literature:
        out.append(literature_overlay(params["flavour"]))
    out.extend(user_curve_overlay(curve) for curve in scenario.overlays.curves)
    return out
