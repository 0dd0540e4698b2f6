"""Output folders that only dipscan replaces, swapped in whole or not at all.

A run writes into a staging folder beside the target and swaps it in only when complete, so an
interrupted or failed run leaves the previous outputs untouched and no half-written file behind.

Every folder dipscan writes carries a marker file, ``.dipscan-output``. dipscan replaces only
folders with that marker (or empty ones); it refuses an existing file, a folder it did not write,
or a folder holding other results, before any computing (`check_target`). Staging and retired
folders of runs that died (their PID is in the name) are cleaned up by the next run; a retired
folder whose target is missing is put back, never deleted. Files and folders follow the umask.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import shutil
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dipscan.errors import OutputError

if TYPE_CHECKING:
    import polars as pl

MARKER = ".dipscan-output"
MARKER_FORMAT = 1
_SWAP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@dataclass
class SwapLog:
    """What this process has installed so far: an interrupt message must say it truthfully."""

    installed: list[Path] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)  # notes on stale and leftover folders

    def reset(self) -> None:
        self.installed.clear()
        self.leftovers.clear()


SWAPS = SwapLog()


# --------------------------------------------------------------------------- single files
def atomic_write(path: Path, write: Callable[[Path], object]) -> Path:
    """`write(tmp)` fills a temporary file beside `path`, which is then renamed onto it.

    The one place dipscan writes a file atomically: a reader sees the old file or the new one,
    never half of one, and a failed write leaves no temporary behind.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text))


# --------------------------------------------------------------------------- write errors
_ERRNO_FIX = {
    errno.ENOSPC: ("the disk is full (no space left on device)", "free some space and run again"),
    errno.EDQUOT: ("the disk quota is exceeded", "free some space and run again"),
    errno.EFBIG: ("the file size limit was reached (see `ulimit -f`)",
                  "raise the limit or write fewer formats in [output] formats"),
    errno.EACCES: ("permission denied", "make the folder writable or choose another --output"),
    errno.EPERM: ("permission denied", "make the folder writable or choose another --output"),
    errno.EROFS: ("the file system is read-only", "choose another --output"),
}
# Polars reports I/O failures in its own exception types, with the OS error number in the text.
_POLARS_ERRNO = re.compile(r"os error (\d+)")


def write_failure(err: BaseException, path: Path) -> OutputError:
    """One line for a failed write: which file, what happened, what to do."""
    code = getattr(err, "errno", None)
    if code is None:
        found = _POLARS_ERRNO.search(str(err))
        code = int(found.group(1)) if found else None
    problem, fix = _ERRNO_FIX.get(code, (str(err).splitlines()[0] if str(err) else type(err).__name__,
                                         "check the disk and run again"))
    return OutputError(path, f"cannot write: {problem}", f"{fix}; earlier outputs are untouched")


@contextlib.contextmanager
def _writing(path: Path, *errors: type[BaseException]) -> Iterator[None]:
    try:
        yield
    except (OSError, *errors) as err:
        raise write_failure(err, path) from err


def write_table(frame: pl.DataFrame, folder: Path, stem: str, formats: tuple[str, ...]) -> list[Path]:
    import polars as pl  # here, not at the top: an up-to-date rerun never loads polars

    written = []
    if "parquet" in formats:
        path = folder / f"{stem}.parquet"
        with _writing(path, pl.exceptions.PolarsError):
            frame.write_parquet(path)
        written.append(path)
    if "csv" in formats:
        path = folder / f"{stem}.csv"
        with _writing(path, pl.exceptions.PolarsError):
            frame.write_csv(path, float_precision=None)
        written.append(path)
    return written


def write_json(data: dict, path: Path) -> Path:
    with _writing(path):
        atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")
    return path


# --------------------------------------------------------------------------- folders
# What a run writes: a folder holding only these (with provenance.json) was written by a
# dipscan from before the marker existed.
OUTPUT_FILES = frozenset({"events.parquet", "events.csv", "contours.parquet", "contours.csv",
                          "summary.csv", "dominant_channels.csv", "band_dominance.csv",
                          "exposure.csv", "plot.png",
                          "plot.pdf", "provenance.json"})


def has_marker(folder: Path) -> bool:
    return (folder / MARKER).is_file() and not (folder / MARKER).is_symlink()


def written_by_dipscan(folder: Path) -> bool:
    if has_marker(folder):
        return True
    names = {p.name for p in folder.iterdir()}
    return "provenance.json" in names and names <= OUTPUT_FILES and not any(
        (folder / n).is_symlink() or not (folder / n).is_file() for n in names)


def _marker(folder: Path) -> dict:
    try:
        data = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def marker_scenario(folder: Path) -> str | None:
    return _marker(folder).get("scenario")


def foreign_files(folder: Path) -> list[str]:
    """Entries of a dipscan output folder that dipscan did not write there (a user's notes)."""
    recorded = _marker(folder).get("files")
    known = set(recorded) if isinstance(recorded, list) else set(OUTPUT_FILES)
    return sorted(p.name for p in folder.iterdir() if p.name not in known | {MARKER})


def _read_only(path: Path) -> bool:
    """No write permission, or no write bit at all (a folder the user protected, even for root)."""
    mode = path.stat().st_mode
    return not os.access(path, os.W_OK | os.X_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path.cwd()


def check_target(target: Path, scenario_name: str) -> None:
    """Refuse, before any computing, a target dipscan may not replace or cannot write."""
    target = Path(target)
    try:
        _check_target(target, scenario_name)
    except OSError as err:  # a folder that cannot even be listed
        raise OutputError(Path(err.filename or target), f"cannot be inspected ({err.strerror})",
                          "make it readable or choose another --output") from err


def _check_target(target: Path, scenario_name: str) -> None:
    choose = "choose another --output (a new folder, or one dipscan wrote)"
    if target.is_symlink():
        raise OutputError(target, "is a symbolic link; dipscan replaces only folders it wrote", choose)
    if target.exists():
        if not target.is_dir():
            raise OutputError(target, "exists and is not a folder dipscan wrote", choose)
        if written_by_dipscan(target):
            owner = marker_scenario(target)
            if owner is not None and owner != scenario_name:
                raise OutputError(target, f"holds the outputs of scenario {owner!r}, not "
                                  f"{scenario_name!r}", choose)
            foreign = foreign_files(target)
            if foreign:
                raise OutputError(target, "holds files dipscan did not write ("
                                  + ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
                                  + ")", "move them out of the folder, or " + choose)
        else:
            entries = sorted(p.name for p in target.iterdir())
            results = [p.name for p in target.iterdir()
                       if p.is_dir() and not p.is_symlink() and written_by_dipscan(p)]
            if results:
                raise OutputError(target, "holds the results of other scenarios ("
                                  + ", ".join(sorted(results)[:3]) + ")",
                                  f"give each scenario its own folder, e.g. --output {target / scenario_name}")
            if entries:
                raise OutputError(target, "is a folder dipscan did not write (it holds "
                                  + ", ".join(entries[:3]) + (", ..." if len(entries) > 3 else "")
                                  + "); dipscan never replaces it", choose)
        if _read_only(target):
            raise OutputError(target, "is read-only", "make it writable (chmod u+w) or " + choose)
    parent = _existing_ancestor(target.parent)
    if not parent.is_dir():
        raise OutputError(parent, "is not a folder, so the output folder cannot be created in it",
                          choose)
    if _read_only(parent):
        raise OutputError(parent, "is read-only: the output folder cannot be written there",
                          "make it writable (chmod u+w) or " + choose)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def clean_stale(target: Path) -> list[Path]:
    """Remove the staging and retired folders of dead runs for `target`; return what was done.

    Only folders named `.NAME.staging-PID-*` or `.NAME.retired-PID`, whose PID is not alive and
    which carry the marker, are touched. A retired folder whose target is missing is the last
    complete output of a run killed mid-swap: it is put back, not deleted.
    """
    target = Path(target)
    if not target.parent.is_dir():
        return []
    pattern = re.compile(rf"^\.{re.escape(target.name)}\.(staging|retired)-(\d+)(-[0-9a-f]+)?$")
    done = []
    for entry in sorted(target.parent.iterdir()):
        found = pattern.match(entry.name)
        if not found or entry.is_symlink() or not entry.is_dir() or _pid_alive(int(found.group(2))):
            continue
        if not (has_marker(entry) or not any(entry.iterdir())):  # killed before its marker
            continue
        if found.group(1) == "retired" and not target.exists():
            os.replace(entry, target)
        else:
            shutil.rmtree(entry)
        done.append(entry)
    return done


def record_files(folder: Path, names: list[str]) -> None:
    """Add files dipscan wrote later (a redrawn plot, an export) to a finished folder's marker."""
    data = _marker(folder)
    recorded = data.get("files")
    if has_marker(folder) and isinstance(recorded, list) and not set(names) <= set(recorded):
        write_marker(folder, data.get("scenario"), sorted(set(recorded) | set(names)))


def write_marker(folder: Path, scenario_name: str, files: list[str] | None = None) -> Path:
    """The marker names the scenario and, once complete, every file the run wrote."""
    data = {"written_by": "dipscan", "format": MARKER_FORMAT, "scenario": scenario_name,
            "files": files}
    return write_json(data, folder / MARKER)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT/SIGTERM over the two renames, so an interrupt sees a whole swap or none."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SWAP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _public(path: Path, staging: Path, target: Path) -> Path:
    """A file in the staging folder is named by where it was going: target/NAME."""
    try:
        return target / Path(path).relative_to(staging)
    except ValueError:
        return Path(path)


@contextlib.contextmanager
def staged_directory(target: Path, scenario_name: str | None = None) -> Iterator[Path]:
    """Yield a fresh staging folder beside `target`; on success it replaces `target` whole.

    `target` must be new, empty, or a folder dipscan wrote (see `check_target`). Every
    OSError becomes an OutputError naming the file; the staging folder is removed on any failure.
    """
    target = Path(target)
    name = scenario_name or target.name
    check_target(target, name)
    try:
        for folder in clean_stale(target):
            SWAPS.leftovers.append(f"cleaned up {folder.name}, left by a run that was killed")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.parent / f".{target.name}.staging-{os.getpid()}-{secrets.token_hex(4)}"
        staging.mkdir()  # mode 0777 minus the umask, like any folder the user makes
    except OSError as err:
        raise write_failure(err, Path(err.filename or target.parent)) from err
    retired = target.parent / f".{target.name}.retired-{os.getpid()}"
    try:
        write_marker(staging, name)
        yield staging
        write_marker(staging, name, sorted(p.name for p in staging.iterdir() if p.name != MARKER))
        check_target(target, name)  # something may have appeared there while computing
        with _signals_held():
            if target.exists():
                os.replace(target, retired)
            try:
                os.replace(staging, target)
            except OSError:
                if retired.exists():
                    os.replace(retired, target)
                raise
            SWAPS.installed.append(target)
    except OutputError as err:
        shutil.rmtree(staging, ignore_errors=True)
        if Path(err.path).is_relative_to(staging):
            raise OutputError(_public(Path(err.path), staging, target), err.problem,
                              err.fix) from err
        raise
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        where = _public(Path(err.filename), staging, target) if err.filename else target
        raise write_failure(err, where) from err
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if retired.exists():
        try:
            shutil.rmtree(retired)
        except OSError as err:
            SWAPS.leftovers.append(f"the previous outputs of {target} could not be removed from "
                                   f"{retired} ({err.strerror}); remove that folder by hand")
