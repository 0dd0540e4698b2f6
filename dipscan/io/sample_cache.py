"""LLP samples kept on disk, addressed by everything that decides them.

One entry per sampling unit (beam, parent table, model kinematics, mass, channel, seed, pre-cuts,
sample cap, decay path, dipscan version and sampling code): the lab kinematics and weights of
the LLPs, which do not depend on the coupling, the exposure, the labels or the styles. A rerun
that changes only those reads every unit back instead of drawing it again.

- Where: ``outputs/.cache/samples/`` below the working folder (or ``$DIPSCAN_SAMPLE_CACHE``).
- Size: at most ``$DIPSCAN_SAMPLE_CACHE_MB`` megabytes (default 8192); after each scenario the
  least recently used entries are removed until the folder fits.
- Trust: each entry starts with its key and a CRC-32 of its arrays; an entry that does not
  match (torn write, disk fault, hand edit) is removed and the unit drawn again, never used.
- Layout: that first line, then the arrays' bytes one after the other, written straight from
  the arrays (no copy) and, in a run, by a thread of their own beside the sampling.
- Table summaries: beside the units, one small ``<sha256>.json`` record per parent table as a
  run reads it (which species it holds, their multiplicities and array digests), so that a run
  whose units are all cached need not read the table at all (dipscan.scan.parents). Same
  header, same checks, same size limit.
- Event grids: one ``<sha256>.events`` entry per scenario computation (dipscan.scan.events_cache):
  its event counts without the exposure, so that a rerun changing only the exposure (or labels,
  styles, N level) neither reads the units nor weighs and reduces them again. Same header, same
  checks, same size limit.
- Ownership: dipscan touches only the files it names here, ``<sha256>.llp``, ``<sha256>.json``,
  ``<sha256>.events`` and their temporaries ``.<sha256>.<llp|json|events>.tmp-<pid>-<token>``
  (dipscan.io.outputs.atomic_write); anything else in the folder is left alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import threading
import zlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dipscan.errors import DipscanError
from dipscan.io.cache_files import owned_files, remove_owned, with_temporaries
from dipscan.io.outputs import atomic_write

CACHE_ENV = "DIPSCAN_SAMPLE_CACHE"
MAX_MB_ENV = "DIPSCAN_SAMPLE_CACHE_MB"
DEFAULT_MAX_MB = 8192
SUFFIX = ".llp"
ARRAYS = ("weight", "p_GeV", "theta_rad", "phi_rad", "row")
DTYPES = (np.float64, np.float64, np.float64, np.float64, np.int64)  # 8 bytes each, little-endian
ITEM_BYTES = 8
FORMAT = 3  # bump when the entry layout changes
RECORD_SUFFIX = ".json"
EVENTS_SUFFIX = ".events"
_ENTRY_NAME = r"[0-9a-f]{64}\.(?:llp|json|events)"
_ENTRY = re.compile(_ENTRY_NAME)
_OWNED = with_temporaries(_ENTRY_NAME)
PENDING_WRITES = 16  # entries waiting for the writing thread at most
HEADER_BYTES = 64 + 1 + 8 + 1 + 16 + 1  # "<key> <crc32> <n_drawn>\n"
_ENDIAN = "<"  # entries are little-endian whatever the machine


def default_cache_dir(cache_root: Path) -> Path:
    """The samples folder: $DIPSCAN_SAMPLE_CACHE if set, else <cache_root>/samples."""
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path(cache_root) / "samples"


def max_bytes() -> int:
    raw = os.environ.get(MAX_MB_ENV, str(DEFAULT_MAX_MB))
    try:
        mb = float(raw)
    except ValueError:
        mb = -1.0
    if not (math.isfinite(mb) and mb >= 0.0):
        raise DipscanError(f"environment variable {MAX_MB_ENV}: found {raw!r}; "
                           "expected a size in megabytes >= 0 (0 turns the sample cache off)")
    return int(mb * 1e6)


def unit_key(parts: dict) -> str:
    """The content address of a sampling unit: sha256 of its canonical JSON description."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _header(key: str, body_crc: int, n_drawn: int) -> bytes:
    """First line of an entry: its key, a CRC-32 of the arrays' bytes (detects torn writes and
    disk faults at several GB/s; the key guards against a sound entry under a wrong name) and
    n_drawn, the parents decayed for the unit (its rows are those the pre-cut kept)."""
    return f"{key} {body_crc:08x} {n_drawn:016x}\n".encode("ascii")


def _body_crc(chunks, n: int, n_drawn: int) -> int:
    """CRC-32 of the arrays' bytes, seeded with their length and n_drawn."""
    crc = zlib.crc32(f"{len(ARRAYS)} {n} {n_drawn}".encode())
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
    return crc


def _n_drawn(header: bytes) -> int | None:
    """n_drawn from an entry's first line, or None if it is not one."""
    parts = header.split(b" ")
    try:
        return int(parts[2], 16) if len(parts) == 3 else None
    except ValueError:
        return None


def _record_header(key: str, payload: bytes) -> bytes:
    return f"{key} {zlib.crc32(payload):08x}\n".encode("ascii")


@dataclass
class SampleCache:
    folder: Path
    limit_bytes: int
    hits: int = 0
    misses: int = 0
    rejected: int = 0  # corrupt entries found, removed and recomputed
    # Entries written by one thread beside the sampling (`open(..., background=True)`): the
    # file system calls release the GIL, so a run drawing its units on one thread gets the
    # writes for free on the other core. At most PENDING_WRITES entries wait (bounded memory);
    # `flush` waits for them; an interpreter that exits still writes them first.
    background: bool = False
    _folder_made: bool = field(default=False, repr=False)  # created once, not for every entry
    _writer: ThreadPoolExecutor | None = field(default=None, repr=False)
    _room: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(PENDING_WRITES), repr=False)
    _pending: list[Future] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, cache_root: Path, background: bool = False) -> SampleCache | None:
        """The cache below `cache_root`, or None when its size limit is 0 (cache off);
        `background`: entries are written by a thread of their own (call `flush` or `trim`)."""
        limit = max_bytes()
        return cls(default_cache_dir(cache_root), limit, background=background) if limit > 0 else None

    def path(self, key: str) -> Path:
        return self.folder / f"{key}{SUFFIX}"

    def load(self, key: str) -> dict | None:
        """The arrays of an entry and its "n_drawn", or None if missing; a corrupt entry is removed."""
        path = self.path(key)
        try:
            with open(path, "rb") as file:
                stored = file.read(HEADER_BYTES)
                body = bytearray(max(os.fstat(file.fileno()).st_size - len(stored), 0))
                complete = file.readinto(body) == len(body) and not file.read(1)
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError:
            stored, body, complete = b"", bytearray(), False
        n_drawn = _n_drawn(stored)
        n, ragged = divmod(len(body), len(ARRAYS) * ITEM_BYTES)
        sound = (complete and not ragged and n_drawn is not None
                 and _header(key, _body_crc([body], n, n_drawn), n_drawn) == stored)
        if not sound:
            self._reject(path)
            return None
        with contextlib.suppress(OSError):  # another run may have trimmed it meanwhile
            os.utime(path)  # least recently used goes first
        self.hits += 1
        # Views of the one buffer read (no copy), each array in its own type.
        out = {name: np.frombuffer(body, np.dtype(dtype).newbyteorder(_ENDIAN), n, k * n * ITEM_BYTES)
               for k, (name, dtype) in enumerate(zip(ARRAYS, DTYPES, strict=True))}
        return {**out, "n_drawn": n_drawn}

    def store(self, key: str, arrays: dict) -> None:
        """Write an entry atomically (a reader sees no entry or the whole entry): the key, a
        checksum and "n_drawn" on the first line, then the five arrays' bytes one after the
        other (8 bytes a value, little-endian), written from the arrays themselves: no copy."""
        columns = [np.ascontiguousarray(arrays[name], dtype=np.dtype(dtype).newbyteorder(_ENDIAN))
                   for name, dtype in zip(ARRAYS, DTYPES, strict=True)]
        n, n_drawn = columns[0].size, int(arrays["n_drawn"])
        if any(column.shape != (n,) for column in columns):
            raise ValueError(f"sample-cache arrays of unequal lengths: {[c.shape for c in columns]}")
        chunks = [memoryview(column).cast("B") for column in columns]
        # The checksum is taken now, from the arrays as they are: an entry written later from
        # arrays changed meanwhile would fail its check and be drawn again, never trusted.
        header = _header(key, _body_crc(chunks, n, n_drawn), n_drawn)
        if not self.background:
            self._write(key, header, chunks)
            return
        with self._lock:  # units may be stored from several sampling threads at once
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="dipscan-sample-cache")
        self._room.acquire()  # at most PENDING_WRITES entries held in memory for writing
        pending = self._writer.submit(self._write, key, header, chunks)
        pending.add_done_callback(lambda _: self._room.release())
        self._pending.append(pending)

    def _write(self, key: str, header: bytes, chunks: list[memoryview]) -> None:
        def write(tmp: Path) -> None:
            with open(tmp, "wb") as file:
                file.write(header)
                for chunk in chunks:
                    file.write(chunk)

        with contextlib.suppress(OSError):  # a full or read-only disk costs speed, never results
            if not self._folder_made:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._folder_made = True
            atomic_write(self.path(key), write)

    def flush(self) -> None:
        """Wait until every entry handed to `store` is on disk (or given up on a disk error)."""
        while self._pending:
            self._pending.pop().result()

    def _reject(self, path: Path) -> None:
        self.rejected += 1
        self.misses += 1
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)

    def load_record(self, key: str) -> dict | None:
        """A small JSON record (a table summary), or None if missing; a corrupt one is removed."""
        def parse(payload: bytes) -> dict | None:
            record = json.loads(payload)
            return record if isinstance(record, dict) else None

        return self.load_entry(key, RECORD_SUFFIX, parse)

    def load_entry(self, key: str, suffix: str, parse):
        """`parse(payload)` of a checked entry (`store_bytes`), or None if missing. An entry that
        fails its check (torn write, disk fault, hand edit) or that `parse` refuses (returns None
        or raises ValueError) is removed and counted in `rejected`."""
        path = self.folder / f"{key}{suffix}"
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError:
            data = b""
        header, _, payload = data.partition(b"\n")
        try:
            value = parse(payload) if header + b"\n" == _record_header(key, payload) else None
        except ValueError:
            value = None
        if value is None:
            self._reject(path)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        self.hits += 1
        return value

    def store_record(self, key: str, record: dict) -> None:
        """Write a JSON record atomically, its key and a CRC-32 of the JSON on the first line."""
        self.store_bytes(key, RECORD_SUFFIX, json.dumps(record, sort_keys=True).encode(),
                         background=False)

    def store_bytes(self, key: str, suffix: str, payload, background: bool = True) -> None:
        """Write an entry atomically: its key and a CRC-32 of the payload on the first line,
        then the payload. `payload`: bytes, or a function giving them (called by the writing
        thread, when the cache has one and `background`)."""
        def write() -> None:
            data = payload() if callable(payload) else payload
            with contextlib.suppress(OSError):  # a full or read-only disk costs speed, never results
                self.folder.mkdir(parents=True, exist_ok=True)
                atomic_write(self.folder / f"{key}{suffix}",
                             lambda tmp: tmp.write_bytes(_record_header(key, data) + data))

        if not (self.background and background):
            write()
            return
        with self._lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(1, thread_name_prefix="dipscan-sample-cache")
        self._pending.append(self._writer.submit(write))

    def trim(self) -> int:
        """Remove least recently used entries until the folder fits the limit; bytes removed.
        Entries still being written are waited for first."""
        self.flush()
        entries = list_entries(self.folder)
        total = sum(size for _, size, _ in entries)
        removed = 0
        for path, size, _ in sorted(entries, key=lambda e: e[2]):
            if total - removed <= self.limit_bytes:
                break
            path.unlink(missing_ok=True)
            removed += size
        return removed


def list_entries(folder: Path) -> list[tuple[Path, int, float]]:
    """(path, bytes, last use) of every entry dipscan wrote in `folder`."""
    return owned_files(folder, _ENTRY)


def clear(folder: Path) -> tuple[int, int]:
    """Remove every entry (and leftover temporary file) dipscan wrote; (files, bytes) removed."""
    return remove_owned(folder, _OWNED)


def cache_info(folder: Path) -> str:
    """One line: where the cache is, how many entries (sampled units, table summaries, event
    grids) and bytes, and its limit."""
    entries = list_entries(folder)
    size = sum(size for _, size, _ in entries)
    records = sum(path.suffix == RECORD_SUFFIX for path, _, _ in entries)
    grids = sum(path.suffix == EVENTS_SUFFIX for path, _, _ in entries)
    limit = max_bytes()
    state = "off" if limit == 0 else f"limit {limit / 1e6:.0f} MB (${MAX_MB_ENV})"
    return (f"sample cache {folder}: {len(entries)} entries ({len(entries) - records - grids} "
            f"sampled units, {records} table summaries, {grids} event grids), "
            f"{size / 1e6:.1f} MB; {state}")
