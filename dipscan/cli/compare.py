"""`dipscan compare outputs/A outputs/B`: how every curve the two runs share has moved.

For each shared curve (same label, or paired with --pair): the ratio B/A of the lower-edge
coupling across the masses both runs reach (median, smallest and largest), and the ratios of the
smallest d and of the mass reach. Meant for checking a change, a systematic variation or a new
meson table. Lower edges come from the event grids where the run exported one (experiments,
BaBar), else from the curve's points (relic, literature, the user's curves).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dipscan.cli.hepdata import edge_rows
from dipscan.errors import DipscanError
from dipscan.io.outputs import atomic_write
from dipscan.plot.plotting import central, read_table
from dipscan.plot.record import read_provenance

MARKER = ".dipscan-compare"  # dipscan may overwrite CSV files only in folders holding this
SCHEMA = {"curve_a": pl.String, "curve_b": pl.String, "masses_compared": pl.Int64,
          "lower_edge_ratio_median": pl.Float64, "lower_edge_ratio_min": pl.Float64,
          "lower_edge_ratio_max": pl.Float64, "smallest_d_a_GeVinv": pl.Float64,
          "smallest_d_b_GeVinv": pl.Float64, "smallest_d_ratio": pl.Float64,
          "mass_reach_a_GeV": pl.Float64, "mass_reach_b_GeV": pl.Float64,
          "mass_reach_ratio": pl.Float64}


class Run:
    """The curves of one output folder: contour points, and event grids with their levels."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.record = read_provenance(self.folder)
        self.contours = central(read_table(self.folder, "contours"))
        self.labels = list(dict.fromkeys(self.contours["experiment"].to_list()))
        self.levels = {s["label"]: s["contour_level_events"] for s in self.record["experiments"]}
        self.labels += [label for label in self.levels if label not in self.labels]
        self._grids: dict[str, pl.DataFrame | None] = {}
        for curve in self.record.get("figure", {}).get("curves", []):
            if curve["kind"] == "babar":
                self.levels[curve["label"]] = curve["level"]

    def grid_frame(self, label: str) -> pl.DataFrame | None:
        stem = "events" if label in {s["label"] for s in self.record["experiments"]} else "overlay_events"
        if stem not in self._grids:
            self._grids[stem] = read_table(self.folder, stem, required=False)
        return self._grids[stem]

    def lower_edge(self, label: str) -> tuple[np.ndarray, np.ndarray]:
        """(mass_GeV, lower-edge d) sorted by mass, where the edge lies inside the grid."""
        frame = self.grid_frame(label) if label in self.levels else None
        if frame is not None:
            rows = edge_rows(frame, label, self.levels[label])
            pairs = sorted((m, lo) for m, (lo, _) in rows.items() if isinstance(lo, float))
        else:
            points = self.contours.filter(pl.col("experiment") == label)
            if "lower" in points["branch"].to_list():
                points = points.filter(pl.col("branch") == "lower")
            pairs = []
            for (_,), seg in points.group_by(["segment"], maintain_order=True):
                pairs += lower_envelope(seg["mass_GeV"].to_numpy(), seg["coupling_GeVinv"].to_numpy())
            pairs = sorted(dict(sorted(pairs, key=lambda p: (p[0], -p[1]))).items())
        if not pairs:
            return np.empty(0), np.empty(0)
        mass, coupling = np.array(pairs, dtype=float).T
        return mass, coupling

    def extremes(self, label: str) -> tuple[float | None, float | None]:
        """(smallest d on the curve, largest mass on it)."""
        rows = self.contours.filter(pl.col("experiment") == label)
        if rows.height == 0:
            return None, None
        return float(rows["coupling_GeVinv"].min()), float(rows["mass_GeV"].max())


def lower_envelope(mass: np.ndarray, coupling: np.ndarray) -> list[tuple[float, float]]:
    """(mass, smallest d) at each vertex mass of a polyline or closed polygon: the lowest point
    where that mass's vertical line meets the curve (edges interpolated log-log)."""
    lm, ld = np.log(mass), np.log(coupling)
    x0, x1, y0, y1 = lm[:-1], lm[1:], ld[:-1], ld[1:]
    out = []
    for m in np.unique(lm):
        crosses = (np.minimum(x0, x1) <= m) & (m <= np.maximum(x0, x1)) & (x0 != x1)
        t = (m - x0[crosses]) / (x1[crosses] - x0[crosses])
        candidates = np.concatenate([y0[crosses] + t * (y1[crosses] - y0[crosses]), ld[lm == m]])
        out.append((float(mass[lm == m][0]), float(np.exp(candidates.min()))))
    return out


def _ratio(b: float | None, a: float | None) -> float | None:
    return None if a is None or b is None or a == 0 else b / a


def edge_ratios(mass_a, d_a, mass_b, d_b) -> np.ndarray:
    """d_B / d_A at A's masses inside B's mass range (B interpolated log-log)."""
    if mass_a.size == 0 or mass_b.size < 2:
        return np.empty(0)
    inside = (mass_a >= mass_b.min()) & (mass_a <= mass_b.max())
    log_b = np.interp(np.log(mass_a[inside]), np.log(mass_b), np.log(d_b))
    return np.exp(log_b - np.log(d_a[inside]))  # in logs: equal curves give exactly 1


def compare_runs(a: Path, b: Path, pairs: list[str] | tuple[str, ...] = ()) -> pl.DataFrame:
    run_a, run_b = Run(a), Run(b)
    matched = [(label, label) for label in run_a.labels if label in run_b.labels]
    for text in pairs:
        left, sep, right = text.partition("=")
        if not sep or left not in run_a.labels or right not in run_b.labels:
            raise DipscanError(f"--pair {text!r}: allowed: LABEL_A=LABEL_B with LABEL_A one of "
                               f"{', '.join(map(repr, run_a.labels))} and LABEL_B one of "
                               f"{', '.join(map(repr, run_b.labels))}")
        matched.append((left, right))
    if not matched:
        raise DipscanError(f"{a} and {b} share no curve label; allowed: pair curves with "
                           "--pair 'LABEL_A=LABEL_B'")
    rows = []
    for label_a, label_b in matched:
        ratios = edge_ratios(*run_a.lower_edge(label_a), *run_b.lower_edge(label_b))
        (d_a, reach_a), (d_b, reach_b) = run_a.extremes(label_a), run_b.extremes(label_b)
        rows.append({
            "curve_a": label_a, "curve_b": label_b, "masses_compared": int(ratios.size),
            "lower_edge_ratio_median": float(np.median(ratios)) if ratios.size else None,
            "lower_edge_ratio_min": float(ratios.min()) if ratios.size else None,
            "lower_edge_ratio_max": float(ratios.max()) if ratios.size else None,
            "smallest_d_a_GeVinv": d_a, "smallest_d_b_GeVinv": d_b,
            "smallest_d_ratio": _ratio(d_b, d_a), "mass_reach_a_GeV": reach_a,
            "mass_reach_b_GeV": reach_b, "mass_reach_ratio": _ratio(reach_b, reach_a)})
    return pl.DataFrame(rows, schema=SCHEMA)


def write_comparison(frame: pl.DataFrame, a: Path, b: Path, csv: Path | None = None) -> Path:
    """The CSV, by default outputs/compare/A_vs_B.csv; never over a file dipscan did not write."""
    if csv is None:
        folder = Path(a).parent / "compare"
        csv = folder / f"{Path(a).name}_vs_{Path(b).name}.csv"
        if folder.exists() and not (folder / MARKER).is_file():
            raise DipscanError(f"{folder}: exists and was not written by dipscan; allowed: "
                               "choose a CSV path with --csv")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).touch()
    if csv.exists() and not (csv.parent / MARKER).is_file():
        raise DipscanError(f"{csv}: exists; dipscan never overwrites a file it did not write; "
                           "allowed: a new file name")
    if not csv.parent.is_dir():
        raise DipscanError(f"{csv}: folder {csv.parent} does not exist; allowed: a file in an "
                           "existing folder")
    atomic_write(csv, lambda tmp: frame.write_csv(tmp, float_precision=None))
    return csv


def _fmt(value, digits: str = ".3g") -> str:
    return "-" if value is None else format(value, digits)


def print_comparison(console: Console, frame: pl.DataFrame, a: Path, b: Path) -> None:
    table = Table(title=f"B / A with A = {a}, B = {b}")
    for column in ("curve", "masses", "lower edge B/A: median", "lower edge B/A: range", "smallest d B/A",
                   "mass reach B/A"):
        table.add_column(column)
    for row in frame.iter_rows(named=True):
        name = row["curve_a"] if row["curve_a"] == row["curve_b"] else f"{row['curve_a']} / {row['curve_b']}"
        table.add_row(escape(name), str(row["masses_compared"]), _fmt(row["lower_edge_ratio_median"], ".4g"),
                      f"[{_fmt(row['lower_edge_ratio_min'])}, {_fmt(row['lower_edge_ratio_max'])}]",
                      _fmt(row["smallest_d_ratio"], ".4g"), _fmt(row["mass_reach_ratio"], ".4g"))
    console.print(table)
