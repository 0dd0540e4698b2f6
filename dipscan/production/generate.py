"""Generate the meson tables of a beam: sharded, parallel, cached and reproducible.

Each production of the beam preset is split into shards of ``shard_events`` events.  A shard's
PYTHIA8 seed and prescale streams are derived from the beam seed, the production name and the
shard index only, so the merged tables (shards concatenated in index order) are the same bytes
whatever the number of workers.  Finished shards are kept in
``tables/<beam>/.shards/<production>-<key>/`` where ``key`` hashes everything a shard depends
on: an interrupted run resumes, a changed setting starts a new cache, and more events reuse the
shards already made.  Normalisation is applied at the merge, so changing a multiplicity does not
rerun PYTHIA8.  Tables already matching the configuration hash are kept as they are unless
``force``.  Workers are spawned interpreters: a script calling this with several workers needs
the usual ``if __name__ == "__main__":`` guard.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import shutil
import sys
import time
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from rich.console import Console

from dipscan.errors import DipscanError, ScenarioError, TableError
from dipscan.io.digest import file_sha256
from dipscan.io.paths import resolve_tables_dir
from dipscan.production.beams import (
    FORMAT_VERSION,
    PYTHIA_VERSION,
    Beam,
    MesonSpec,
    Production,
    list_beams,
    load_beam,
)
from dipscan.production.manifest import MANIFEST, read_manifest
from dipscan.production.normalise import normalised_weights, raw_multiplicity, split_weights
from dipscan.production.shard import (
    ShardTask,
    configured_pythia,
    make_task,
    read_shard,
    run_shard,
    run_shard_in_worker,
    shard_payload_quietly,
    silenced_stdout,
    worker_init,
    write_shard,
)
from dipscan.production.tables import SCHEMA, write_manifest, write_table

#: Polar-angle cuts whose row counts are recorded (FASER 2, NA62/HIKE, SHiP acceptances).
ACCEPTANCE_CUTS_RAD = {"1p6mrad": 1.6e-3, "5p5mrad": 5.5e-3, "28mrad": 28e-3}

FEED_DOWN_TEXT = {
    "inclusive": (
        "every instance of the species in the PYTHIA8 event record is counted, including those from "
        "decays of heavier hadrons (feed-down); of a chain of carbon copies only the last is counted"
    )
}
TARGET_SCALING_TEXT = (
    "multiplicities are per p-p collision; the A^0.29 scaling of charm and beauty for a nuclear "
    "target is applied per experiment, not in these tables"
)


def _weight_unit(beam: Beam) -> str:
    per = f"per {beam.per}"
    if beam.frame == "fixed-target":
        per += " (per proton on target)"
    return f"mesons {per} represented by the row"


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


@dataclass
class _Plan:
    production: Production
    cache: Path
    tasks: list[ShardTask]


def _shard_sizes(n_events: int, shard_events: int) -> list[int]:
    sizes = [shard_events] * (n_events // shard_events)
    if n_events % shard_events:
        sizes.append(n_events % shard_events)
    return sizes


def plan_shards(beam: Beam, directory: Path, n_events: dict[str, int]) -> list[_Plan]:
    plans = []
    for prod in beam.productions:
        cache = directory / ".shards" / f"{prod.name}-{prod.shard_key(beam)[:16]}"
        tasks = [
            make_task(beam, prod, i, n, cache / f"{i:05d}-n{n}.parquet")
            for i, n in enumerate(_shard_sizes(n_events[prod.name], beam.shard_events))
        ]
        plans.append(_Plan(prod, cache, tasks))
    return plans


def check_settings(beam: Beam) -> None:
    """Let PYTHIA8 read every production's settings, so that an unknown key or a value out of
    range is reported against the preset before any work (initialisation is left to the shards:
    it costs about a second for SoftQCD:all)."""
    for i, prod in enumerate(beam.productions):
        task = make_task(beam, prod, 0, 1, Path("unused"))
        try:
            with silenced_stdout():
                configured_pythia(task.settings)
        except RuntimeError as exc:
            raise ScenarioError(
                beam.path,
                f"production[{i}].pythia",
                list(prod.pythia),
                f"settings PYTHIA8 {PYTHIA_VERSION} accepts ({exc})",
            ) from None


def _missing(plans: list[_Plan]) -> list[ShardTask]:
    return [t for plan in plans for t in plan.tasks if read_shard(Path(t.path), t) is None]


class _NoProgress:
    """The progress display when the caller shows none (tests, library use)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def add_task(self, description: str, total: int, completed: int = 0) -> int:
        return 0

    def advance(self, task: int, amount: int) -> None:
        return None


def _run_missing(plans: list[_Plan], todo: list[ShardTask], workers: int, progress,
                 executor: Executor | None = None) -> None:
    """Run the shards not yet in the cache, with a progress display.

    One worker runs them in this process; more use a pool of fresh (spawned) interpreters; an
    `executor` (e.g. a Dask client's) gets the shards instead and returns their bytes, written
    here. Either way each shard builds its own PYTHIA8 instance from its task alone.
    """
    todo_ids = {id(t) for t in todo}
    with progress:
        bars = {}
        for plan in plans:
            total = sum(t.n_events for t in plan.tasks)
            cached = sum(t.n_events for t in plan.tasks if id(t) not in todo_ids)
            bars[plan.production.name] = progress.add_task(
                plan.production.name, total=total, completed=cached
            )
        if executor is not None:
            futures = {executor.submit(shard_payload_quietly, t): t for t in todo}
            for fut in as_completed(futures):
                task = futures[fut]
                try:
                    write_shard(task, fut.result())
                except Exception as exc:
                    raise _shard_error(task, exc) from None
                progress.advance(bars[task.production], task.n_events)
            return
        if workers == 1 or not _main_reimportable():
            for task in todo:
                try:
                    with silenced_stdout():
                        run_shard(task)
                except Exception as exc:
                    raise _shard_error(task, exc) from exc
                progress.advance(bars[task.production], task.n_events)
            return
        ctx = get_context(
            "spawn"
        )  # a fresh interpreter per worker: no state shared with the caller
        with ProcessPoolExecutor(
            max_workers=min(workers, len(todo)), mp_context=ctx, initializer=worker_init
        ) as pool:
            pending: dict[Future, ShardTask] = {
                pool.submit(run_shard_in_worker, t): t for t in todo
            }
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in done:
                        task = pending.pop(fut)
                        try:
                            fut.result()
                        except Exception as exc:
                            raise _shard_error(task, exc) from None
                        progress.advance(bars[task.production], task.n_events)
            except BaseException:
                for fut in pending:
                    fut.cancel()
                raise


def _main_reimportable() -> bool:
    """Spawned workers re-import the caller's main script; a script read from stdin has none."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.exists(main_file)


def _shard_error(task: ShardTask, exc: BaseException) -> DipscanError:
    return DipscanError(
        f"beam {task.beam}: shard {task.index} of production {task.production!r} failed: {exc}"
    )


def _merge_counts(metas: list[dict[str, Any]]) -> dict[str, Any]:
    n = sum(m["counts"]["n_events"] for m in metas)
    # Each shard estimates sigma_gen from its own events: combine the estimates by event count.
    sigma_gen = sum(m["counts"]["sigma_gen_mb"] * m["counts"]["n_events"] for m in metas) / n
    err2 = sum((m["counts"]["sigma_err_mb"] * m["counts"]["n_events"]) ** 2 for m in metas) / n**2
    return {
        "n_events": n,
        "n_shards": len(metas),
        "n_elastic": sum(m["counts"]["n_elastic"] for m in metas),
        "n_failed": sum(m["counts"]["n_failed"] for m in metas),
        "n_tried": sum(m["counts"]["n_tried"] for m in metas),
        "sigma_gen_mb": sigma_gen,
        "sigma_gen_err_mb": math.sqrt(err2),
        "sigma_tot_mb": metas[0]["counts"]["sigma_tot_mb"],
        "sigma_el_mb": metas[0]["counts"]["sigma_el_mb"],
    }


def _species_counts(metas: list[dict[str, Any]], pdgid: int) -> dict[str, Any]:
    per = [m["species"][str(pdgid)] for m in metas]
    return {
        "seen": sum(s["seen"] for s in per),
        "seen_particle": sum(s["seen_particle"] for s in per),
        "seen_antiparticle": sum(s["seen_antiparticle"] for s in per),
        "candidates_per_bin": np.sum([s["candidates_per_bin"] for s in per], axis=0).tolist(),
        "kept_per_bin": np.sum([s["kept_per_bin"] for s in per], axis=0).tolist(),
    }


def _normalise(spec: MesonSpec, rows: pl.DataFrame, raw: float) -> tuple[np.ndarray, float]:
    factor = rows["factor"].to_numpy()
    if spec.split is not None:
        return split_weights(rows["pdg_id"].to_numpy(), factor, *spec.split), spec.split[
            0
        ] + spec.split[1]
    multiplicity = raw if spec.multiplicity is None else spec.multiplicity
    return normalised_weights(factor, multiplicity), multiplicity


def _species_table(
    beam: Beam,
    prod: Production,
    spec: MesonSpec,
    shards: pl.DataFrame,
    counts: dict[str, Any],
    metas,
    config_hash: str,
):
    rows = shards.filter(pl.col("pdg_id").abs() == spec.pdgid)
    sc = _species_counts(metas, spec.pdgid)
    if rows.height == 0 or (
        spec.split and (rows["pdg_id"] > 0).sum() * (rows["pdg_id"] < 0).sum() == 0
    ):
        raise DipscanError(
            f"beam {beam.name}: no {spec.name} rows kept from {counts['n_events']} events of production "
            f"{prod.name!r} ({sc['seen']} seen); raise n_events or lower the prescale in {beam.path}"
        )
    n = counts["n_events"]
    sigma_inel = counts["sigma_tot_mb"] - counts["sigma_el_mb"]
    inelastic_only = beam.per == "inelastic p-p collision"
    if inelastic_only and prod.raw_multiplicity == "per-event" and counts["n_elastic"]:
        raise DipscanError(
            f"beam {beam.name}: production {prod.name!r} made {counts['n_elastic']} elastic events but "
            f"the beam counts inelastic collisions only; use SoftQCD:inelastic in {beam.path}"
        )
    sigma_ref = sigma_inel if inelastic_only else counts["sigma_tot_mb"]
    raw = raw_multiplicity(sc["seen"], n, prod.raw_multiplicity, counts["sigma_gen_mb"], sigma_ref)
    # the same count per inelastic collision, for comparison whatever the beam's definition
    if prod.raw_multiplicity == "per-event":
        raw_inel = sc["seen"] / (n - counts["n_elastic"])
    else:
        raw_inel = raw * sigma_ref / sigma_inel
    weights, multiplicity = _normalise(spec, rows, raw)
    df = pl.DataFrame(
        {
            "pdg_id": rows["pdg_id"],
            "p_GeV": rows["p_GeV"],
            "theta_rad": rows["theta_rad"],
            "weight": weights,
        },
        schema=SCHEMA,
    )
    theta = df["theta_rad"].to_numpy()
    raw_split = None
    if spec.signed:
        raw_split = [
            raw * sc["seen_particle"] / max(sc["seen"], 1),
            raw * sc["seen_antiparticle"] / max(sc["seen"], 1),
        ]
    normalisation = {
        "multiplicity": multiplicity,
        "split": list(spec.split) if spec.split else None,
        "source": spec.source,
        "raw_multiplicity_mode": prod.raw_multiplicity,
        "raw_multiplicity_per_collision": raw,
        "raw_multiplicity_by_sign": raw_split,
        "raw_multiplicity_per_inelastic_collision": raw_inel,
        "per": beam.per,
        "raw_over_normalisation": raw / multiplicity,
        "sigma_gen_mb": counts["sigma_gen_mb"]
        if prod.raw_multiplicity == "cross-section"
        else None,
        "sigma_ref_mb": sigma_ref if prod.raw_multiplicity == "cross-section" else None,
        "sigma_tot_mb": counts["sigma_tot_mb"],
        "sigma_el_mb": counts["sigma_el_mb"],
    }
    meta = {
        "format_version": FORMAT_VERSION,
        "beam": beam.name,
        "pdgid": spec.pdgid,
        "name": spec.name,
        "signed": spec.signed,
        "config_hash": config_hash,
        "generator": f"PYTHIA {PYTHIA_VERSION}",
        "production": prod.name,
        "pythia_settings": [*beam.beam_settings(), *prod.pythia],
        "seed": beam.seed,
        "seeding": "shard i: Random:seed and prescale streams derived from (seed, production, i)",
        "n_events": n,
        "shard_events": beam.shard_events,
        "n_shards": counts["n_shards"],
        "feed_down": beam.feed_down + ": " + FEED_DOWN_TEXT[beam.feed_down],
        "target_scaling": TARGET_SCALING_TEXT,
        "weight_unit": _weight_unit(beam),
        "symmetrised": beam.symmetrise,
        "prescale": spec.config()["prescale"],
        "seen": sc["seen"],
        "candidates_per_bin": sc["candidates_per_bin"],
        "kept_per_bin": sc["kept_per_bin"],
        "rows": df.height,
        "rows_theta_lt": {k: int((theta < c).sum()) for k, c in ACCEPTANCE_CUTS_RAD.items()},
        "normalisation": normalisation,
    }
    return df, meta


def _manifest_current(
    beam: Beam, directory: Path, config_hash: str, tables_dir: Path
) -> list[Path] | None:
    """Paths of the existing tables if they match ``config_hash`` and the manifest; else None."""
    try:
        manifest = read_manifest(beam.name, tables_dir)
    except TableError:
        return None
    if manifest.get("config_hash") != config_hash:
        return None
    paths = []
    for entry in manifest["tables"]:
        path = directory / entry["file"]
        if not path.is_file() or file_sha256(path) != entry["sha256"]:
            return None
        paths.append(path)
    return paths + [directory / MANIFEST]


def generate_beam(
    beam: str,
    workers: int | None = None,
    force: bool = False,
    tables_dir: Path | None = None,
    n_events_override: int | None = None,
    console: Console | None = None,
    executor: Executor | None = None,
    progress=None,
) -> list[Path]:
    """Generate (or reuse) the meson tables of ``beam``; returns the table files and the manifest.

    ``workers`` defaults to the number of usable cores.  ``force`` discards the shard cache of the
    current configuration and reruns PYTHIA8.  ``n_events_override`` replaces the number of
    events of every production (quick looks, tests); it is recorded in the tables.
    ``executor`` (a concurrent.futures Executor, e.g. a Dask client's) runs the shards instead
    of the local process pool; each shard is seeded from its task alone, so the bytes agree.
    ``progress`` shows the events done per production (dipscan.cli.progress.event_progress);
    without it nothing is drawn.
    """
    console = console or Console(stderr=True)
    b = load_beam(beam)
    tdir = resolve_tables_dir(tables_dir)
    directory = tdir / b.name
    if n_events_override is not None and n_events_override < 1:
        raise DipscanError(
            f"n_events_override must be a positive number of events, got {n_events_override}"
        )
    n_events = {p.name: n_events_override or p.n_events for p in b.productions}
    config_hash = b.config_hash(n_events)
    if not force:
        existing = _manifest_current(b, directory, config_hash, tdir)
        if existing is not None:
            console.print(
                f"[green]tables/{b.name} up to date[/] (configuration {config_hash[:12]})"
            )
            return existing

    plans = plan_shards(b, directory, n_events)
    if force:
        for plan in plans:
            shutil.rmtree(plan.cache, ignore_errors=True)
    todo = _missing(plans)
    if todo:
        check_settings(b)
    workers = default_workers() if workers is None else max(1, int(workers))
    t0 = time.perf_counter()
    _run_missing(plans, todo, workers, progress or _NoProgress(), executor)
    elapsed = time.perf_counter() - t0

    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    entries = []
    productions_meta = []
    for plan in plans:
        loaded = [read_shard(Path(t.path), t) for t in plan.tasks]
        if any(x is None for x in loaded):
            raise DipscanError(
                f"beam {b.name}: shards of production {plan.production.name!r} vanished from {plan.cache}"
            )
        shards = pl.concat([x[0] for x in loaded], how="vertical")
        metas = [x[1] for x in loaded]
        counts = _merge_counts(metas)
        productions_meta.append(
            {"name": plan.production.name, "pythia": list(plan.production.pythia), **counts}
        )
        for spec in plan.production.mesons:
            df, meta = _species_table(b, plan.production, spec, shards, counts, metas, config_hash)
            path = directory / spec.file_name
            write_table(path, df, meta)
            written.append(path)
            entries.append(
                {
                    "file": spec.file_name,
                    "sha256": file_sha256(path),
                    "pdgid": spec.pdgid,
                    "name": spec.name,
                    "production": plan.production.name,
                    "rows": meta["rows"],
                    "rows_theta_lt": meta["rows_theta_lt"],
                    "multiplicity": meta["normalisation"]["multiplicity"],
                    "source": spec.source,
                    "raw_multiplicity_per_collision": meta["normalisation"][
                        "raw_multiplicity_per_collision"
                    ],
                    "bytes": path.stat().st_size,
                }
            )
    manifest = {
        "format_version": FORMAT_VERSION,
        "beam": b.name,
        "description": b.description,
        "config_hash": config_hash,
        "generator": {
            "name": "PYTHIA",
            "version": PYTHIA_VERSION,
            "python_package": f"pythia8mc {_pythia_package_version()}",
        },
        "conventions": {
            "weight": _weight_unit(b),
            "feed_down": FEED_DOWN_TEXT[b.feed_down],
            "target_scaling": TARGET_SCALING_TEXT,
            "note": b.note,
        },
        "config": b.generation_config(n_events),
        "productions": productions_meta,
        "tables": entries,
    }
    written.append(write_manifest(directory, manifest))
    keep = {p.name for p in written}
    for stale in directory.glob("*.parquet"):
        if stale.name not in keep:
            stale.unlink()
    _prune_shard_cache(directory, plans)
    n_run = sum(t.n_events for t in todo)
    console.print(
        f"[green]tables/{b.name}[/]: {len(written) - 1} tables; {n_run} events generated in {elapsed:.1f} s "
        f"with {workers} worker(s), {sum(n_events.values()) - n_run} taken from the shard cache"
    )
    return written


def _prune_shard_cache(directory: Path, plans: list[_Plan]) -> None:
    """Drop cached shards that the current configuration does not use (old settings)."""
    wanted = {Path(t.path) for plan in plans for t in plan.tasks}
    dirs = {plan.cache for plan in plans}
    for d in (directory / ".shards").glob("*"):
        if d not in dirs:
            shutil.rmtree(d, ignore_errors=True)
        else:
            for f in d.iterdir():
                if f not in wanted:
                    f.unlink()


def _pythia_package_version() -> str:
    try:
        return importlib.metadata.version("pythia8mc")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def generate_all(
    workers: int | None = None,
    force: bool = False,
    tables_dir: Path | None = None,
    beams: list[str] | None = None,
    console: Console | None = None,
    executor: Executor | None = None,
    progress=None,
) -> dict[str, list[Path]]:
    """``generate_beam`` for every beam preset (``make tables``)."""
    return {
        name: generate_beam(
            name, workers=workers, force=force, tables_dir=tables_dir, console=console,
            executor=executor, progress=progress,
        )
        for name in (beams or list_beams())
    }
