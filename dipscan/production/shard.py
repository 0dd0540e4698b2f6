"""One shard: a block of PYTHIA8 events with its own seed, reduced to prescaled meson rows.

A shard is the unit of parallel work and of caching.  Its content depends only on its
``ShardTask`` (settings, seeds, number of events, species and prescales), never on which process
ran it or when, so tables merged from shards in index order are the same bytes for any number of
workers.  The shard is written as a small Parquet file (columns ``pdg_id``, ``p_GeV``,
``theta_rad``, ``factor``) whose key-value metadata holds the event counts and cross sections.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dipscan.io.outputs import atomic_write_bytes
from dipscan.production.beams import PYTHIA_SEED_MAX, PYTHIA_VERSION, Beam, Production
from dipscan.production.normalise import keep_mask, prescale_factors

SHARD_META_KEY = "dipscan.shard"
ELASTIC_CODE = 102  # PYTHIA8 process code of elastic scattering (SoftQCD:elastic)
MAX_FAILED_EVENTS = 1000
SHARD_SCHEMA = {
    "pdg_id": pl.Int32,
    "p_GeV": pl.Float32,
    "theta_rad": pl.Float32,
    "factor": pl.Float64,
}


@dataclass(frozen=True)
class SpeciesTask:
    pdgid: int
    signed: bool
    theta_max_rad: tuple[float, ...]
    factor: tuple[float, ...]


@dataclass(frozen=True)
class ShardTask:
    beam: str
    production: str
    index: int
    n_events: int
    pythia_seed: int
    numpy_entropy: tuple[int, ...]
    settings: tuple[str, ...]
    species: tuple[SpeciesTask, ...]
    symmetrise: bool
    path: str

    def identity(self) -> dict[str, Any]:
        """What a cached shard file must match to be reused."""
        d = asdict(self)
        d.pop("path")
        return json.loads(json.dumps(d))  # tuples -> lists, as read back from JSON


def _stable_int(text: str) -> int:
    return zlib.crc32(text.encode())


def shard_seeds(beam_seed: int, production: str, index: int) -> tuple[int, tuple[int, ...]]:
    """PYTHIA8 seed and numpy entropy of one shard, derived from the beam seed alone.

    The PYTHIA8 seeds of the shards of a production are consecutive (mod the allowed range) from
    a base drawn from the beam seed and the production name, so no two shards share a seed.
    """
    base_ss = np.random.SeedSequence([beam_seed, _stable_int(production)])
    base = int(base_ss.generate_state(1, dtype=np.uint64)[0] % PYTHIA_SEED_MAX)
    pythia_seed = 1 + (base + index) % PYTHIA_SEED_MAX
    return pythia_seed, (beam_seed, _stable_int(production), index, 1)


def pythia_settings(beam: Beam, production: Production, seed: int) -> tuple[str, ...]:
    """Every PYTHIA8 setting of one shard, in the order they are read."""
    return (
        "Print:quiet = on",
        "Next:numberCount = 0",
        *beam.beam_settings(),
        *production.pythia,
        "Random:setSeed = on",
        f"Random:seed = {seed}",
    )


def make_task(
    beam: Beam, production: Production, index: int, n_events: int, path: Path
) -> ShardTask:
    pythia_seed, entropy = shard_seeds(beam.seed, production.name, index)
    species = tuple(
        SpeciesTask(
            m.pdgid,
            m.signed,
            tuple(b.theta_max_rad for b in m.prescale),
            tuple(b.factor for b in m.prescale),
        )
        for m in production.mesons
    )
    return ShardTask(
        beam=beam.name,
        production=production.name,
        index=index,
        n_events=n_events,
        pythia_seed=pythia_seed,
        numpy_entropy=entropy,
        settings=pythia_settings(beam, production, pythia_seed),
        species=species,
        symmetrise=beam.symmetrise,
        path=str(path),
    )


@contextlib.contextmanager
def silenced_stdout():
    """Send file descriptor 1 (where PYTHIA8 prints) to /dev/null for the duration."""
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def configured_pythia(settings: tuple[str, ...]):
    """A PYTHIA8 instance that has read ``settings`` (not initialised); RuntimeError naming the
    first setting it rejects, or if the installed PYTHIA8 is not the version of the presets."""
    import pythia8mc

    pythia = pythia8mc.Pythia("", False)
    version = f"{pythia.parm('Pythia:versionNumber'):.3f}"
    if version != PYTHIA_VERSION:
        raise RuntimeError(
            f"PYTHIA8 {version} is installed but the tables are defined for {PYTHIA_VERSION}"
        )
    for s in settings:
        if not pythia.readString(s):
            raise RuntimeError(f"PYTHIA8 rejected the setting {s!r}")
    return pythia


def new_pythia(settings: tuple[str, ...]):
    """An initialised PYTHIA8 instance; RuntimeError if a setting or the initialisation fails."""
    pythia = configured_pythia(settings)
    if not pythia.init():
        raise RuntimeError("PYTHIA8 initialisation failed with settings: " + "; ".join(settings))
    return pythia


def generate_events(task: ShardTask) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Run PYTHIA8 for one shard and return all recorded mesons (before prescaling) and counts."""
    pythia = new_pythia(task.settings)
    wanted = {s.pdgid for s in task.species}
    ids: list[int] = []
    p_GeV: list[float] = []
    theta: list[float] = []
    n_elastic = n_failed = 0
    for _ in range(task.n_events):
        while not pythia.next():
            n_failed += 1
            if n_failed > MAX_FAILED_EVENTS:
                raise RuntimeError(
                    f"PYTHIA8 failed to generate {n_failed} events in shard {task.index} of {task.production}"
                )
        # infoPython() returns a copy of PYTHIA8's Info: it must be fetched after each event.
        if pythia.infoPython().code() == ELASTIC_CODE:
            n_elastic += 1
        ev = pythia.event
        for i in range(ev.size()):
            part = ev[i]
            # Every instance counts (decayed ones included); a recoiled particle appears as a
            # chain of carbon copies, of which only the last one (final momentum) is the meson.
            if part.idAbs() in wanted and part.iBotCopyId() == i:
                ids.append(part.id())
                p_GeV.append(part.pAbs())
                theta.append(part.theta())
    info = pythia.infoPython()
    counts = {
        "n_events": task.n_events,
        "n_elastic": n_elastic,
        "n_failed": n_failed,
        "n_tried": int(info.nTried()),
        "sigma_gen_mb": float(info.sigmaGen()),
        "sigma_err_mb": float(info.sigmaErr()),
        "sigma_tot_mb": float(pythia.getSigmaTotal()),
        "sigma_el_mb": float(pythia.getSigmaPartial(2)),
    }
    rows = {
        "pdg_id": np.asarray(ids, dtype=np.int64),
        "p_GeV": np.asarray(p_GeV, dtype=np.float64),
        "theta_rad": np.asarray(theta, dtype=np.float64),
    }
    return rows, counts


def prescale_rows(
    task: ShardTask, rows: dict[str, np.ndarray]
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Apply the species prescales; returns the kept rows (in event order) and per-species counts.

    Each species draws its keep decisions from its own stream, seeded by the shard and the PDG
    id, so adding a species to a production leaves the other species' rows unchanged.
    """
    ids, p, th = rows["pdg_id"], rows["p_GeV"], rows["theta_rad"]
    if task.symmetrise:
        # Symmetric collider: every meson also stands at its mirror image theta -> pi - theta,
        # the pair sharing the meson's weight (the 1/2 cancels in the normalisation), which
        # doubles the statistics towards a detector on one side.
        ids, p, th = (
            np.concatenate([ids, ids]),
            np.concatenate([p, p]),
            np.concatenate([th, math.pi - th]),
        )
    factor = np.ones(ids.size)
    keep = np.zeros(ids.size, dtype=bool)
    species_counts: dict[str, Any] = {}
    for s in task.species:
        edges = np.asarray(s.theta_max_rad)
        sel = np.abs(ids) == s.pdgid
        factor[sel] = prescale_factors(th[sel], edges, np.asarray(s.factor))
        rng = np.random.default_rng(np.random.SeedSequence([*task.numpy_entropy, s.pdgid]))
        keep[sel] = keep_mask(factor[sel], rng.random(int(sel.sum())))
        bins = np.minimum(np.searchsorted(edges, th[sel], side="right"), edges.size - 1)
        seen = rows["pdg_id"][np.abs(rows["pdg_id"]) == s.pdgid]  # before any mirroring
        species_counts[str(s.pdgid)] = {
            "seen": int(seen.size),
            "seen_particle": int((seen > 0).sum()),
            "seen_antiparticle": int((seen < 0).sum()),
            "candidates_per_bin": np.bincount(bins, minlength=edges.size).tolist(),
            "kept_per_bin": np.bincount(bins[keep[sel]], minlength=edges.size).tolist(),
        }
    unsigned = [s.pdgid for s in task.species if not s.signed]
    store_ids = np.where(np.isin(np.abs(ids), unsigned), np.abs(ids), ids)
    df = pl.DataFrame(
        {
            "pdg_id": store_ids[keep].astype(np.int32),
            "p_GeV": p[keep].astype(np.float32),
            "theta_rad": th[keep].astype(np.float32),
            "factor": factor[keep],
        },
        schema=SHARD_SCHEMA,
    )
    return df, species_counts


def shard_payload(task: ShardTask) -> bytes:
    """Generate and prescale one shard; the Parquet bytes of the shard file, metadata inside.

    Returned rather than written so that a remote worker (Dask) needs no shared file system.
    """
    rows, counts = generate_events(task)
    df, species_counts = prescale_rows(task, rows)
    meta = {"task": task.identity(), "counts": counts, "species": species_counts}
    buffer = io.BytesIO()
    df.write_parquet(
        buffer, compression="zstd", statistics=False, metadata={SHARD_META_KEY: json.dumps(meta)}
    )
    return buffer.getvalue()


def write_shard(task: ShardTask, payload: bytes) -> None:
    """Store a shard's bytes at its cache path, atomically."""
    path = Path(task.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, payload)


def run_shard(task: ShardTask) -> None:
    """Generate, prescale and write one shard (atomically)."""
    write_shard(task, shard_payload(task))


def shard_payload_quietly(task: ShardTask) -> bytes:
    """`shard_payload` for a worker process (Dask): PYTHIA8's printout silenced, errors picklable."""
    try:
        with silenced_stdout():
            return shard_payload(task)
    except Exception as exc:
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


def worker_init() -> None:
    """Process-pool initialiser: PYTHIA8's own printout would garble the progress display."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)


def run_shard_in_worker(task: ShardTask) -> None:
    """``run_shard`` for a process pool: failures come back as plain RuntimeError (picklable)."""
    try:
        run_shard(task)
    except Exception as exc:  # re-raised in the parent as a DipscanError with the shard named
        raise RuntimeError(f"{type(exc).__name__}: {exc}") from None


def read_shard(path: Path, task: ShardTask) -> tuple[pl.DataFrame, dict[str, Any]] | None:
    """A cached shard if it is complete, readable and made by the same task; else None."""
    if not path.is_file():
        return None
    try:
        meta = json.loads(pl.read_parquet_metadata(path)[SHARD_META_KEY])
        if meta["task"] != task.identity():
            return None
        df = pl.read_parquet(path)
    except Exception:  # any unreadable cache entry is simply regenerated
        return None
    if dict(df.schema) != SHARD_SCHEMA:
        return None
    return df, meta
