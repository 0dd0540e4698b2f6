"""Shared fixtures: a private DIPSCAN_HOME built from copies of the committed files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def make_home(tmp_path, monkeypatch):
    """make_home(*folders, tables=None) -> the home root, with DIPSCAN_HOME pointing at it.

    `folders` are sub-folders of scenarios/ to copy ("." for the whole of it); tables is None
    (no tables), "copy" (a copy to damage) or "link" (a symlink to the committed ones).
    """

    def build(*folders: str, tables: str | None = None) -> Path:
        root = tmp_path / "home"
        (root / "scenarios").mkdir(parents=True, exist_ok=True)
        for folder in folders:
            target = root / "scenarios" / folder
            shutil.copytree(ROOT / "scenarios" / folder, target, dirs_exist_ok=True)
        if tables == "copy":
            shutil.copytree(ROOT / "tables", root / "tables")
        elif tables == "link":
            (root / "tables").symlink_to(ROOT / "tables")
        monkeypatch.setenv("DIPSCAN_HOME", str(root))
        return root

    return build
