"""The user's own curves: `[[overlays.curve]]` tables that read a CSV from the user's files.

Each curve is converted to the scan's units (mass in GeV, d in GeV^-1), then drawn and exported
like the built-in limits. The CSV is only read, never written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from dipscan.config.presets import Colour, Linestyle
from dipscan.errors import DipscanError, ScenarioError
from dipscan.io.toml_loader import Strict, choice, flag, shown, text
from dipscan.limits.literature import MEV_TO_GeV, MUB_TO_GeVinv

# Factor to GeV and to GeV^-1. A transition magnetic moment mu in Bohr magnetons becomes
# d = (mu / mu_B) * e / (4 m_e) (mu = 2 d, mu_B = e / (2 m_e); docs/physics.md).
MASS_UNITS = {"GeV": 1.0, "MeV": MEV_TO_GeV}
COUPLING_UNITS = {"GeV^-1": 1.0, "mu_B": MUB_TO_GeVinv}
MAGNETIC_MOMENT_MODELS = ("neutrino_dipole",)

if TYPE_CHECKING:
    import polars as pl


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
    import polars as pl  # here, not at the top: only a scenario with user curves reads a CSV

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


class CurveEntry(Strict):
    """[[overlays.curve]]: a curve of the user's own, from a CSV file."""

    file: text("a CSV file, relative to the scenario's folder") = shown(allowed="an existing file")
    """the CSV, relative to the scenario file's folder"""
    label: text() | None = shown(None, default_text="`curve N`", allowed="not an experiment's label, not another curve's")
    """legend text and `experiment` value in the outputs"""
    mass_column: text() = shown("mass", allowed="a column of the file; values finite and `> 0`")
    """the column of masses"""
    coupling_column: text() = shown("coupling", allowed="a column of the file; values finite and `> 0`")
    """the column of couplings"""
    mass_unit: choice(MASS_UNITS) = "GeV"
    """unit of the mass column"""
    coupling_unit: choice(COUPLING_UNITS) = shown("GeV^-1", allowed=(
        '`"GeV^-1"`; `"mu_B"` (a transition magnetic moment in Bohr magnetons, converted with d = (mu/mu_B) '
        'e/(4 m_e) = 148.15 GeV^-1 x mu/mu_B) only with `kind = "neutrino_dipole"`'))
    """unit of the coupling column"""
    region: flag = False
    """the points close an excluded region (shaded like the literature limits) rather than draw a line"""
    color: Colour = shown("tab:brown", allowed="a matplotlib colour")
    """how the curve is drawn"""
    linestyle: Linestyle = "dashdot"
    """its line style"""
    source: text() | None = shown(None, default_text="the file name")
    """citation kept in the provenance"""


def read_curve(t: CurveEntry, scenario_file: Path, model_kind: str, index: int, key: str) -> UserCurve:
    """One validated `[[overlays.curve]]` entry: its CSV read and converted; errors name `key`."""
    csv = (scenario_file.parent / t.file).resolve()
    if not csv.is_file():
        raise ScenarioError(scenario_file, f"{key}.file", t.file, f"an existing CSV file (looked for {csv})")
    if t.coupling_unit == "mu_B" and model_kind not in MAGNETIC_MOMENT_MODELS:
        raise ScenarioError(scenario_file, f"{key}.coupling_unit", t.coupling_unit,
                            "'GeV^-1' (a magnetic moment in mu_B is the neutrino dipole's coupling, "
                            f"model kind {MAGNETIC_MOMENT_MODELS[0]!r})")
    import polars as pl  # here, not at the top: only a scenario with user curves reads a CSV

    raw = csv.read_bytes()
    try:
        frame = pl.read_csv(raw, comment_prefix="#", infer_schema=False)
    except pl.exceptions.PolarsError as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DipscanError(f"{csv}: cannot read as CSV ({reason}); allowed: a header line of "
                           "column names, then comma-separated numbers") from None
    mass = _column(frame, csv, t.mass_column, f"{key}.mass_column")
    coupling = _column(frame, csv, t.coupling_column, f"{key}.coupling_column")
    if mass.size < 2:
        raise DipscanError(f"{csv}: {mass.size} data row(s); allowed: at least 2 points")
    return UserCurve(t.label if t.label is not None else f"curve {index}", csv,
                     tuple(convert(mass, t.mass_unit, MASS_UNITS).tolist()),
                     tuple(convert(coupling, t.coupling_unit, COUPLING_UNITS).tolist()),
                     t.region, t.color, t.linestyle, t.source if t.source is not None else str(csv.name),
                     hashlib.sha256(raw).hexdigest())


def read_user_curves(entries: list[CurveEntry], scenario_file: Path, model_kind: str) -> tuple[UserCurve, ...]:
    """The `curve` array of `[overlays]`: each CSV read and converted, labels distinct."""
    curves = []
    for i, entry in enumerate(entries):
        key = f"overlays.curve[{i}]"
        curve = read_curve(entry, scenario_file, model_kind, i, key)
        if any(c.label == curve.label for c in curves):
            raise ScenarioError(scenario_file, f"{key}.label", curve.label, "a label not used by another curve")
        curves.append(curve)
    return tuple(curves)
