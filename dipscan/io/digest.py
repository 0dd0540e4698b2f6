"""Stable digests: canonical JSON of a configuration, sha256 of files and of column data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np


def canonical_json(obj: object) -> str:
    """JSON with sorted keys and no whitespace: equal configurations give equal strings.

    Floats are written with ``repr`` (shortest round-trip form), so the text does not depend on
    the platform.  ``inf`` is allowed (prescale bins end at infinity).
    """
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), allow_nan=True)


def config_digest(obj: object) -> str:
    """sha256 (hex) of the canonical JSON of ``obj``."""
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def arrays_sha256(*arrays: np.ndarray) -> str:
    """sha256 over the little-endian bytes of the given arrays, with their dtypes and lengths.

    Used as the content hash of a table's columns, independent of how Parquet encodes them.
    """
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        le = a.astype(a.dtype.newbyteorder("<"), copy=False)
        h.update(f"{le.dtype.str}:{le.size};".encode())
        h.update(le.tobytes())
    return h.hexdigest()
