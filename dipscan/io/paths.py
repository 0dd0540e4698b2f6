"""Where dipscan finds its beam presets and meson tables.

The repository root is the folder that holds ``scenarios/`` and ``tables/``: by default the
checkout this package lives in, or the folder named by the environment variable ``DIPSCAN_HOME``.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "DIPSCAN_HOME"


def project_root() -> Path:
    """The dipscan home: ``$DIPSCAN_HOME`` if set, else the checkout that contains this package."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parents[2]


def scenarios_dir() -> Path:
    """The scenarios folder, ``<home>/scenarios``."""
    return project_root() / "scenarios"


def toml_names(folder: str = "") -> list[str]:
    """Stems of the TOML files of ``<home>/scenarios/<folder>``, sorted (sub-folders not searched)."""
    return sorted(path.stem for path in (scenarios_dir() / folder).glob("*.toml"))


def beams_dir() -> Path:
    """Folder of the beam presets, ``<home>/scenarios/beams``."""
    return project_root() / "scenarios" / "beams"


def default_tables_dir() -> Path:
    """Folder of the generated meson tables, ``<home>/tables``."""
    return project_root() / "tables"


def resolve_tables_dir(tables_dir: Path | str | None) -> Path:
    return default_tables_dir() if tables_dir is None else Path(tables_dir)
