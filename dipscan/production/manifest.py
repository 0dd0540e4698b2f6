"""A beam's table folder: where it is, its ``manifest.json`` and the sha256 of its files.

Kept apart from ``dipscan.production.tables`` (the Parquet format, read with polars) because an
up-to-date rerun checks these digests and nothing else: it never loads polars.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dipscan.errors import TableError
from dipscan.io.digest import file_sha256
from dipscan.io.paths import resolve_tables_dir
from dipscan.production.beams import FORMAT_VERSION

MANIFEST = "manifest.json"


def regenerate_fix(beam: str) -> str:
    return f"regenerate with `make tables` or `dipscan tables generate {beam}`"


def beam_dir(beam: str, tables_dir: Path | str | None = None) -> Path:
    return resolve_tables_dir(tables_dir) / beam


def read_manifest(beam: str, tables_dir: Path | str | None = None) -> dict[str, Any]:
    """The manifest of a beam's tables; TableError if it is missing or unreadable."""
    path = beam_dir(beam, tables_dir) / MANIFEST
    if not path.is_file():
        raise TableError(path, f"no meson tables for beam {beam!r} (manifest missing)", regenerate_fix(beam))
    try:
        manifest = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TableError(path, f"unreadable manifest ({exc})", regenerate_fix(beam)) from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("beam") != beam
        or not isinstance(manifest.get("tables"), list)
    ):
        raise TableError(path, f"not a manifest of beam {beam!r}", regenerate_fix(beam))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise TableError(
            path,
            f"table format {manifest.get('format_version')!r}, this dipscan reads format {FORMAT_VERSION}",
            regenerate_fix(beam),
        )
    return manifest


_FILE_DIGESTS: dict[tuple[str, int, int], str] = {}  # (path, bytes, mtime_ns) -> sha256


def cached_file_sha256(path: Path) -> str:
    """sha256 of a table file, hashed once per process while the file is unchanged (same size
    and modification time): a run asks for it in several places (preflight, the sample-cache
    summary, the redraw check, provenance)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _FILE_DIGESTS:
        _FILE_DIGESTS[key] = file_sha256(path)
    return _FILE_DIGESTS[key]


def table_digests(beam: str, tables_dir: Path | None = None) -> dict[str, str]:
    """sha256 of every file of a beam's tables (Parquet files and manifest), for provenance."""
    directory = beam_dir(beam, tables_dir)
    manifest = read_manifest(beam, tables_dir)
    names = []
    for i, entry in enumerate(manifest["tables"]):
        name = entry.get("file") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not name or Path(name).name != name:
            raise TableError(directory / MANIFEST, f"tables[{i}].file: found {name!r}, "
                             "expected the name of a Parquet file of this beam", regenerate_fix(beam))
        names.append(name)
    names.append(MANIFEST)
    out = {}
    for name in sorted(names):
        path = directory / name
        if not path.is_file():
            raise TableError(path, f"table file of beam {beam!r} is missing", regenerate_fix(beam))
        out[name] = cached_file_sha256(path)
    return out
