"""Which dipscan made a result: the package version and, in a git checkout, the commit."""

from __future__ import annotations

import functools
import subprocess
from importlib import metadata
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def package_version() -> str:
    try:
        return metadata.version("dipscan")
    except metadata.PackageNotFoundError:
        return "unknown"


@functools.cache
def git_state() -> dict[str, object] | None:
    """{"commit": sha, "dirty": bool} when dipscan runs from a git checkout, else None.

    "dirty" means tracked files differ from the commit: the numbers may not be reproducible
    from the commit alone.
    """
    if not (CHECKOUT / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "-C", str(CHECKOUT), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        status = subprocess.run(["git", "-C", str(CHECKOUT), "status", "--porcelain",
                                 "--untracked-files=no"], capture_output=True, text=True,
                                timeout=10, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(status.strip())}


def version_line() -> str:
    """`dipscan 0.1.0 (commit 1a2b3c4d5e6f, dirty)`."""
    git = git_state()
    if git is None:
        return f"dipscan {package_version()}"
    dirty = ", with uncommitted changes" if git["dirty"] else ""
    return f"dipscan {package_version()} (commit {str(git['commit'])[:12]}{dirty})"
