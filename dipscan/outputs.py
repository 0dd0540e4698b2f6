"""Atomic output folders: a run writes into a staging folder and swaps it in only when complete.

An interrupted or failed run therefore leaves the previous outputs untouched and no
half-written file behind (the staging folder is removed on failure).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl


@contextlib.contextmanager
def staged_directory(target: Path) -> Iterator[Path]:
    """Yield a fresh staging folder beside `target`; on success it replaces `target` whole."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired = None
    if target.exists():
        retired = target.parent / f".{target.name}.retired-{os.getpid()}"
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def write_table(frame: pl.DataFrame, folder: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    written = []
    if "parquet" in formats:
        path = folder / f"{stem}.parquet"
        frame.write_parquet(path)
        written.append(path)
    if "csv" in formats:
        path = folder / f"{stem}.csv"
        frame.write_csv(path, float_precision=None)
        written.append(path)
    return written


def write_json(data: dict, path: Path) -> Path:
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return path
