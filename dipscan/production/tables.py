"""Meson sample tables: the file format, writing, and strict reading.

``tables/<beam>/`` holds one Parquet file per species, ``<pdgid>_<name>.parquet``, and a
``manifest.json`` written last.  Each row is one meson in the lab frame:

=============  =======  ==================================================================
column         dtype    meaning
=============  =======  ==================================================================
``pdg_id``     Int32    PDG id; signed for species that are not their own antiparticle
``p_GeV``      Float32  momentum magnitude [GeV]
``theta_rad``  Float32  polar angle to the beam axis (+z) [rad]
``weight``     Float64  mesons per p-p collision (per proton on target) this row stands for
=============  =======  ==================================================================

The weights of one species sum to its multiplicity per p-p collision (Table 1 of
arXiv:2406.17599 where the beam preset says so).  The A^0.29 scaling of charm and beauty for a
nuclear target is *not* applied: the experiment applies its own target's factor.  Counting
convention (feed-down included) and prescales: see ``dipscan.production.beams``.

Every Parquet file carries its provenance in the key-value metadata entry ``dipscan.table``
(JSON: beam, species, configuration hash, generator version, settings, seed, events,
normalisation, prescales and a sha256 of the column data); ``manifest.json`` repeats it for the
whole beam with the sha256 of each file.  Reading checks all of it and raises ``TableError``
rather than returning a wrong or empty sample.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dipscan.errors import TableError
from dipscan.io.digest import arrays_sha256
from dipscan.io.outputs import atomic_write, atomic_write_text
from dipscan.physics.pdg import pdg_entry
from dipscan.production.beams import FORMAT_VERSION, Beam, load_beam
from dipscan.production.manifest import (
    MANIFEST,
    beam_dir,
    cached_file_sha256,
    read_manifest,
    regenerate_fix,
)
from dipscan.production.normalise import measured_scale, window_weight

SCHEMA: dict[str, pl.DataType] = {
    "pdg_id": pl.Int32(),
    "p_GeV": pl.Float32(),
    "theta_rad": pl.Float32(),
    "weight": pl.Float64(),
}
TABLE_META_KEY = "dipscan.table"
#: Relative tolerance on "weights sum to the multiplicity" when reading back.
WEIGHT_SUM_RTOL = 1e-9


class SpeciesNotAvailable(TableError):
    """The beam preset has no table for a requested species (not a damaged table)."""


# ----------------------------------------------------------------------------------------------
# Writing


def data_digest(df: pl.DataFrame) -> str:
    """sha256 of the column data (independent of the Parquet encoding)."""
    return arrays_sha256(*(df[c].to_numpy() for c in SCHEMA))


def write_table(path: Path, df: pl.DataFrame, meta: dict[str, Any]) -> None:
    """Write one species table atomically (temporary file, then rename)."""
    if dict(df.schema) != SCHEMA:
        raise ValueError(f"table schema {dict(df.schema)} is not {SCHEMA}")
    meta = dict(meta, data_sha256=data_digest(df))
    atomic_write(
        path,
        lambda tmp: df.write_parquet(
            tmp,
            compression="zstd",
            compression_level=19,
            statistics=True,
            metadata={TABLE_META_KEY: json.dumps(meta, sort_keys=True)},
        ),
    )


def write_manifest(directory: Path, manifest: dict[str, Any]) -> Path:
    return atomic_write_text(directory / MANIFEST, json.dumps(manifest, indent=2, sort_keys=False) + "\n")


# ----------------------------------------------------------------------------------------------
# Reading


def check_manifest_current(manifest: dict[str, Any], beam: Beam, path: Path) -> None:
    """The tables must come from the configuration the beam preset describes now.

    The number of events is taken from the manifest (a run with fewer events for a quick look is
    legitimate and recorded), everything else from the preset.
    """
    n_events = {p["name"]: p["n_events"] for p in manifest.get("config", {}).get("productions", [])}
    expected = beam.config_hash(n_events)
    if manifest.get("config_hash") != expected:
        raise TableError(
            path,
            f"tables of beam {beam.name!r} were generated from another configuration than {beam.path} now "
            f"describes (hash {str(manifest.get('config_hash'))[:12]} vs {expected[:12]})",
            regenerate_fix(beam.name),
        )


def _read_species(
    path: Path, beam: Beam, pdgid: int, entry: dict[str, Any], config_hash: str
) -> pl.DataFrame:
    fix = regenerate_fix(beam.name)
    if not path.is_file():
        raise TableError(path, f"table of pdg {pdgid} for beam {beam.name!r} is missing", fix)
    try:
        kv = pl.read_parquet_metadata(path)
        df = pl.read_parquet(path)
    except Exception as exc:  # polars raises several types for truncated or garbage files
        raise TableError(
            path, f"not a readable Parquet file (truncated or corrupt: {exc})", fix
        ) from exc
    missing = [c for c in SCHEMA if c not in df.columns]
    if missing:
        raise TableError(
            path, f"missing column(s) {', '.join(missing)}; expected {list(SCHEMA)}", fix
        )
    wrong = [
        f"{c} is {df.schema[c]} (expected {t})" for c, t in SCHEMA.items() if df.schema[c] != t
    ]
    if wrong:
        raise TableError(path, "wrong column type: " + "; ".join(wrong), fix)
    extra = [c for c in df.columns if c not in SCHEMA]
    if extra:
        raise TableError(path, f"unexpected column(s) {', '.join(extra)}", fix)
    try:
        meta = json.loads(kv[TABLE_META_KEY])
    except (KeyError, json.JSONDecodeError) as exc:
        raise TableError(
            path, f"no dipscan metadata ({TABLE_META_KEY}) in the Parquet file", fix
        ) from exc
    for key, want in (
        ("beam", beam.name),
        ("pdgid", pdgid),
        ("config_hash", config_hash),
        ("format_version", FORMAT_VERSION),
    ):
        if meta.get(key) != want:
            raise TableError(
                path,
                f"metadata {key} = {meta.get(key)!r} does not match the manifest/request ({want!r})",
                fix,
            )
    if df.height == 0 or df.height != meta.get("rows"):
        raise TableError(path, f"{df.height} rows, metadata says {meta.get('rows')}", fix)
    if data_digest(df) != meta.get("data_sha256"):
        raise TableError(path, "column data do not match their recorded sha256 (file altered)", fix)
    if entry.get("sha256") != cached_file_sha256(path):
        raise TableError(
            path, "file differs from the one recorded in manifest.json (mixed generations)", fix
        )
    ids = df["pdg_id"].to_numpy()
    if not np.all(np.abs(ids) == pdgid) or (not meta.get("signed") and np.any(ids < 0)):
        raise TableError(path, f"pdg_id values other than {pdgid}", fix)
    w = df["weight"].to_numpy()
    p = df["p_GeV"].to_numpy()
    th = df["theta_rad"].to_numpy()
    if not (np.all(np.isfinite(w)) and np.all(w > 0) and np.all(np.isfinite(p)) and np.all(p >= 0)):
        raise TableError(path, "non-finite or negative weights or momenta", fix)
    if not (np.all(th >= 0) and np.all(th <= np.float32(math.pi))):
        raise TableError(path, "polar angles outside [0, pi]", fix)
    mult = meta.get("normalisation", {}).get("multiplicity")
    if not isinstance(mult, (int, float)) or not math.isclose(
        w.sum(), mult, rel_tol=WEIGHT_SUM_RTOL
    ):
        raise TableError(
            path, f"weights sum to {w.sum():.6g}, metadata multiplicity is {mult!r}", fix
        )
    return df


def load_meson_samples(
    beam: str, pdgids: Iterable[int], tables_dir: Path | None = None
) -> pl.DataFrame:
    """Meson rows of the requested species for ``beam``, columns pdg_id, p_GeV, theta_rad, weight.

    Species are identified by |pdgid|: asking for 321 returns K+ and K- rows (signed pdg_id),
    whose weights sum to the K+ and K- multiplicities.  The rows of each species come in the
    order they were generated; species in the order asked for.  ``TableError`` if a table is
    missing, unreadable, of the wrong schema, or not from the configuration in the beam preset.
    """
    b = load_beam(beam)
    wanted: list[int] = []
    for pid in pdgids:
        a = abs(int(pid))
        if a not in wanted:
            wanted.append(a)
    if not wanted:
        return pl.DataFrame(schema=SCHEMA)
    directory = beam_dir(beam, tables_dir)
    for a in wanted:
        if a not in b.species:
            raise SpeciesNotAvailable(
                directory,
                f"species {a} is not available in the tables of beam {beam!r} (it provides "
                f"{', '.join(str(s) for s in b.species)})",
                f"add the species to {b.path} and regenerate with `dipscan tables generate {beam}`",
            )
    manifest = read_manifest(beam, tables_dir)
    check_manifest_current(manifest, b, directory / MANIFEST)
    entries = {e.get("pdgid"): e for e in manifest["tables"] if isinstance(e, dict)}
    frames = []
    for a in wanted:
        _, spec = b.meson(a)
        entry = entries.get(a)
        if entry is None:
            raise TableError(
                directory / MANIFEST,
                f"manifest lists no table for species {a} of beam {beam!r}",
                regenerate_fix(beam),
            )
        df = _read_species(directory / spec.file_name, b, a, entry, manifest["config_hash"])
        frames.append(df.with_columns(pl.col("weight") * data_normalisation(b, a, df)))
    return pl.concat(frames, how="vertical")


def data_normalisation(beam: Beam, pdgid: int, df: pl.DataFrame) -> float:
    """Load-time factor tying a species to its measurement (1 where the preset has none).

    The factor brings the weight inside the measured window (one hemisphere, +z) to the measured
    cross section over the measured inelastic cross section; the rest follows PYTHIA8's shape.
    """
    measured = beam.measured_for(pdgid)
    if measured is None:
        return 1.0
    mass_GeV = pdg_entry(pdgid).mass_MeV / 1000.0
    inside = window_weight(df["p_GeV"].to_numpy(), df["theta_rad"].to_numpy(),
                           df["weight"].to_numpy(), mass_GeV, measured.y_min, measured.y_max,
                           measured.pt_max_GeV)
    try:
        return measured_scale(inside, measured.window_multiplicity(beam.sigma_inel_mb))
    except ValueError:
        raise TableError(beam.path, f"the table of {measured.name} has no rows inside the "
                         f"measured window {measured.y_min} < y < {measured.y_max}",
                         "check [[normalisation.measured]] or regenerate the tables") from None
