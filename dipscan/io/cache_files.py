"""The files dipscan wrote in a cache folder, found by their exact names, listed and removed.

A cache folder may hold a user's files too: only names that fully match a pattern dipscan writes
(or the temporary that dipscan.io.outputs.atomic_write leaves beside such a file when a run is
killed mid-write) are ever listed or removed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path


def with_temporaries(names: str) -> re.Pattern:
    """The files named by the regular expression `names` and their atomic_write temporaries
    ``.<name>.tmp-<pid>-<8 hex digits>``."""
    return re.compile(rf"(?:{names})|\.(?:{names})\.tmp-[0-9]+-[0-9a-f]{{8}}")


def owned_files(folder: Path, names: re.Pattern) -> list[tuple[Path, int, float]]:
    """(path, bytes, last modification) of every file in `folder` whose name fully matches."""
    out = []
    if not Path(folder).is_dir():
        return out
    for entry in os.scandir(folder):
        if entry.is_file(follow_symlinks=False) and names.fullmatch(entry.name):
            try:
                stat = entry.stat()
            except FileNotFoundError:  # removed by a concurrent run meanwhile
                continue
            out.append((Path(entry.path), stat.st_size, stat.st_mtime))
    return out


def remove_owned(folder: Path, names: re.Pattern) -> tuple[int, int]:
    """Remove the files `owned_files` lists; (files, bytes) removed."""
    files = size = 0
    for path, bytes_, _ in owned_files(folder, names):
        try:
            path.unlink()
        except FileNotFoundError:  # removed by a concurrent run meanwhile
            continue
        files += 1
        size += bytes_
    return files, size
