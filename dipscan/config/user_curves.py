"""The user's own curves: `[[overlays.curve]]` tables that read a CSV from the user's files.

Each curve is converted to the scan's units (mass in GeV, d in GeV^-1), then drawn and exported
like the built-in limits. The CSV is only read, never written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from dipscan.config.presets import COLOR_ALLOWED, LINESTYLES, MISSING_VALUE, Table, check_color
from dipscan.errors import DipscanError
from dipscan.limits.literature import MEV_TO_GeV, MUB_TO_GeVinv

# Factor to GeV and to GeV^-1. A transition magnetic moment mu in Bohr magnetons becomes
# d = (mu / mu_B) * e / (4 m_e) (mu = 2 d, mu_B = e / (2 m_e); docs/physics.md).
MASS_UNITS = {"GeV": 1.0, "MeV": MEV_TO_GeV}
COUPLING_UNITS = {"GeV^-1": 1.0, "mu_B": MUB_TO_GeVinv}
MAGNETIC_MOMENT_MODELS = ("neutrino_dipole",)
CURVE_KEYS = ("file", "label", "mass_column", "coupling_column", "mass_unit", "coupling_unit",
              "region", "color", "linestyle", "source")


@dataclass(frozen=True)
class UserCurve:
    label: str
    file: Path
    mass_GeV: tuple[float, ...]
    coupling_GeVinv: tuple[float, ...]
    region: bool  # a closed excluded region (shaded) rather than a line
    color: str
    linestyle: str
    source: str  # the user's citation, kept in provenance and in the HEPData record
    sha256: str  # of the CSV bytes: a changed file means a new run


def convert(values: np.ndarray, unit: str, units: dict[str, float]) -> np.ndarray:
    return np.asarray(values, dtype=float) * units[unit]


def _column(frame: pl.DataFrame, csv: Path, name: str, key: str) -> np.ndarray:
    if name not in frame.columns:
        raise DipscanError(f"{csv}: no column {name!r} (set by {key}); allowed: one of the "
                           f"file's columns {', '.join(repr(c) for c in frame.columns)}")
    try:
        values = frame[name].cast(pl.Float64, strict=True).to_numpy()
    except pl.exceptions.PolarsError:
        raise DipscanError(f"{csv}: column {name!r} holds values that are not numbers; "
                           "allowed: positive numbers only") from None
    bad = np.nonzero(~(np.isfinite(values) & (values > 0)))[0]
    if bad.size:
        raise DipscanError(f"{csv}: column {name!r}, data row {int(bad[0]) + 1}: found "
                           f"{float(values[bad[0]])!r}; allowed: a finite number > 0")
    return values


def read_curve(t: Table, scenario_file: Path, model_kind: str, index: int) -> UserCurve:
    if not t.has("file"):
        raise t.error("file", MISSING_VALUE, "a CSV file, relative to the scenario's folder")
    csv = (scenario_file.parent / t.str("file")).resolve()
    if not csv.is_file():
        raise t.error("file", t.str("file"), f"an existing CSV file (looked for {csv})")
    label = t.str("label", f"curve {index}")
    mass_unit = t.str("mass_unit", "GeV", choices=MASS_UNITS)
    coupling_unit = t.str("coupling_unit", "GeV^-1", choices=COUPLING_UNITS)
    if coupling_unit == "mu_B" and model_kind not in MAGNETIC_MOMENT_MODELS:
        raise t.error("coupling_unit", coupling_unit,
                      "'GeV^-1' (a magnetic moment in mu_B is the neutrino dipole's coupling, "
                      f"model kind {MAGNETIC_MOMENT_MODELS[0]!r})")
    color = t.str("color", "tab:brown")
    check_color(color, lambda found: t.error("color", found, COLOR_ALLOWED))
    raw = csv.read_bytes()
    try:
        frame = pl.read_csv(raw, comment_prefix="#", infer_schema=False)
    except pl.exceptions.PolarsError as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DipscanError(f"{csv}: cannot read as CSV ({reason}); allowed: a header line of "
                           "column names, then comma-separated numbers") from None
    mass = _column(frame, csv, t.str("mass_column", "mass"), t.key("mass_column"))
    coupling = _column(frame, csv, t.str("coupling_column", "coupling"), t.key("coupling_column"))
    if mass.size < 2:
        raise DipscanError(f"{csv}: {mass.size} data row(s); allowed: at least 2 points")
    return UserCurve(label, csv, tuple(convert(mass, mass_unit, MASS_UNITS).tolist()),
                     tuple(convert(coupling, coupling_unit, COUPLING_UNITS).tolist()),
                     t.bool("region", False), color,
                     t.str("linestyle", "dashdot", choices=LINESTYLES),
                     t.str("source", str(csv.name)), hashlib.sha256(raw).hexdigest())


def read_user_curves(entries, top: Table, model_kind: str) -> tuple[UserCurve, ...]:
    """The `curve` array of `[overlays]`; each entry validated, its CSV read and converted."""
    allowed = "one or more [[overlays.curve]] tables (double brackets), each with file = \"...\""
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise top.error("curve", entries if not isinstance(entries, dict) else "a single table",
                        allowed)
    curves = []
    for i, entry in enumerate(entries):
        t = Table(entry, top.file, top.key(f"curve[{i}]"), CURVE_KEYS)
        curve = read_curve(t, Path(top.file), model_kind, i)
        if any(c.label == curve.label for c in curves):
            raise t.error("label", curve.label, "a label not used by another curve")
        curves.append(curve)
    return tuple(curves)
