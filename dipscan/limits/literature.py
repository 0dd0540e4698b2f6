"""Existing limits on the active-sterile neutrino dipole (figure 4 of arXiv:2406.17599).

The curves are read, never copied, from the data files of the installed `hnlimits` package
(`HNLimits/include/data/dipole/`). Every file states its units in its header and they differ:
masses in GeV or MeV, couplings either as d [GeV^-1] in the Magill-Plestid-Pospelov-Tsai
convention (arXiv:1803.03262, Gamma(N -> nu gamma) = d^2 M^3 / (4 pi)) or as a transition magnetic
moment in Bohr magnetons (`*_muB*` files). With mu = 2 d and mu_B = e / (2 m_e):
d [GeV^-1] = (mu / mu_B) * e / (4 m_e) = 148.15 * (mu / mu_B).

Files used (path relative to the data folder; units as stated in the header):

| region      | file(s)                                  | units          | flavours   | closed by |
|-------------|------------------------------------------|----------------|------------|-----------|
| LEP         | LEPgz_d.dat                              | MeV, d         | e, mu, tau | ABOVE     |
| LSND        | e/LSND_de.dat                            | GeV, d         | e          | ABOVE     |
| NOMAD       | mu/NOMAD_dmu_bottom.dat + _top.dat       | GeV, d         | mu         | CONTOUR   |
| MiniBooNE   | mu/MiniBooNE_dmu.dat                     | GeV, d         | mu         | ABOVE     |
| CHARM-II    | mu/CHARMII_dmu.dat                       | GeV, d         | mu         | ABOVE     |
| DONUT       | tau/DONUT_dtau.dat                       | GeV, d         | tau        | ABOVE     |
| SK          | e/SK_atm_de.dat                          | GeV, d         | e          | DATA_TOP  |
| SK          | mu/SK_atm_dmu.dat                        | GeV, d         | mu         | DATA_TOP  |
| SK          | tau/SK_atm_dtau.dat + _top.dat           | GeV, d         | tau        | CONTOUR   |
| Borexino+SK | Borexino_SK_d.dat                        | GeV, d         | e, mu, tau | ABOVE     |
| BBN         | BBN_muB.dat                              | MeV, mu_B      | e, mu, tau | CONTOUR   |
| SN1987A     | SN1987A_muB_bottom.dat + _top.dat        | MeV, mu_B      | e, mu, tau | CONTOUR   |

How each kind of curve becomes a closed polygon (the excluded region):
- ABOVE: the file is the lower edge of a one-sided exclusion (upscattering in the detector, no
  upper edge). The polygon is the curve followed by (m_last, 1 GeV^-1) and (m_first, 1 GeV^-1).
- DATA_TOP: the file traces a closed contour that stops at the top of the source figure
  (d ~ 1e-5 GeV^-1, arXiv:2205.02234). It is capped by a horizontal edge at the largest d of the
  file, the same cap the package draws for tau in SK_atm_dtau_top.dat.
- CONTOUR: the pieces join into a closed loop. Each further piece is appended in the orientation
  whose start lies nearest the current end (so the files' own order does not matter), and the
  loop is closed by the straight edge back to the first vertex.
Every polygon is finally clipped to the box MASS_BOX_GeV x COUPLING_BOX_GeVinv (in log space, as
the figure draws it), which cuts the artificial closures some files carry (BBN down to
1e-18 mu_B and left to 1e-7 GeV, SN1987A left to 1e-5 GeV).

Flavour assignment: files in e/, mu/, tau/ apply to that flavour only. The top-level files apply to
every flavour: LEP (Z -> nu_alpha N for any alpha), Borexino+SK (solar neutrinos reach the Earth as
a mixture of all flavours), BBN (thermal production through any flavour), SN1987A (the paper
assumes flavour-universal couplings).

Files not used, and why: Borexino_d.dat and Xenon1T_d.dat (arXiv:2007.15563; the paper shows the
Borexino+SK bound of arXiv:2010.04193 and no XENON1T bound); Magill_d_gammaW_a_0.2.dat (a
d_W-type curve, not in figure 4); mu/MINERvA_RHC_nominal_d_tauN_0.dat (not in figure 4);
mu/NOMAD_dmu.dat (the bottom and top files joined); BBN_muB_left.dat and BBN_muB_bottom.dat
(pieces of BBN_muB.dat without its middle part); tau/DONUT_dtau2.dat (a flattened copy) and
tau/DONUT_dtau_90.dat (a recomputation, with unparsable rows above 0.3 GeV).
The BBN headers say "from Borexino data": the file name and the cited source (arXiv:2007.15563,
the paper's BBN reference [72]) identify it as the BBN bound.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from dipscan.errors import DipscanError
from dipscan.physics.constants import E_CHARGE, ELECTRON_MASS_GeV

# mu = 2 d (docs/physics.md, "The dipole coefficient") and mu_B = e / (2 m_e)  =>  d = (mu/mu_B) * e / (4 m_e) ~ 148.15 GeV^-1.
MUB_TO_GeVinv = E_CHARGE / (4.0 * ELECTRON_MASS_GeV)
MEV_TO_GeV = 1e-3

# Polygons are clipped to this box: wider than any panel of figure 4, so only artificial closures go.
MASS_BOX_GeV = (1e-4, 100.0)
COUPLING_BOX_GeVinv = (1e-12, 1.0)
# A one-sided (ABOVE) exclusion is closed at this coupling, the top of the box.
TOP_COUPLING_GeVinv = COUPLING_BOX_GeVinv[1]

FLAVOURS = ("e", "mu", "tau")
ALL_FLAVOURS = FLAVOURS

ABOVE, DATA_TOP, CONTOUR = "above", "data_top", "contour"

# Fixed colour per region name, so a region keeps its colour across the three flavour panels.
REGION_COLOURS = {
    "LEP": "#8c8c8c",
    "LSND": "#b5b82a",
    "NOMAD": "#8c564b",
    "MiniBooNE": "#e377c2",
    "CHARM-II": "#2ca02c",
    "DONUT": "#9467bd",
    "SK": "#17becf",
    "Borexino+SK": "#ff9f40",
    "BBN": "#d62728",
    "SN1987A": "#1f77b4",
}
_FALLBACK_COLOUR = "#555555"


@dataclass(frozen=True)
class LimitRegion:
    """One excluded region: a closed polygon (first vertex repeated at the end)."""

    name: str
    flavours: tuple[str, ...]
    mass_GeV: np.ndarray
    coupling_GeVinv: np.ndarray
    source: str


@dataclass(frozen=True)
class _CurveSpec:
    name: str
    flavours: tuple[str, ...]
    files: tuple[str, ...]  # relative to the data folder; joined in order
    mass_unit: str  # expected "GeV" or "MeV" (the header decides; a mismatch is warned about)
    coupling_unit: str  # expected "d" or "muB"
    closure: str  # ABOVE, DATA_TOP or CONTOUR
    reference: str


_CURVES: tuple[_CurveSpec, ...] = (
    _CurveSpec("LEP", ALL_FLAVOURS, ("LEPgz_d.dat",), "MeV", "d", ABOVE, "arXiv:1803.03262"),
    _CurveSpec("LSND", ("e",), ("e/LSND_de.dat",), "GeV", "d", ABOVE, "arXiv:1803.03262"),
    _CurveSpec("NOMAD", ("mu",), ("mu/NOMAD_dmu_bottom.dat", "mu/NOMAD_dmu_top.dat"),
               "GeV", "d", CONTOUR, "arXiv:1803.03262, 1707.08573"),
    _CurveSpec("MiniBooNE", ("mu",), ("mu/MiniBooNE_dmu.dat",), "GeV", "d", ABOVE,
               "arXiv:1803.03262"),
    _CurveSpec("CHARM-II", ("mu",), ("mu/CHARMII_dmu.dat",), "GeV", "d", ABOVE,
               "arXiv:1707.08573"),
    _CurveSpec("DONUT", ("tau",), ("tau/DONUT_dtau.dat",), "GeV", "d", ABOVE,
               "hep-ex/0102026"),
    _CurveSpec("SK", ("e",), ("e/SK_atm_de.dat",), "GeV", "d", DATA_TOP, "arXiv:2205.02234"),
    _CurveSpec("SK", ("mu",), ("mu/SK_atm_dmu.dat",), "GeV", "d", DATA_TOP, "arXiv:2205.02234"),
    _CurveSpec("SK", ("tau",), ("tau/SK_atm_dtau.dat", "tau/SK_atm_dtau_top.dat"),
               "GeV", "d", CONTOUR, "arXiv:2205.02234"),
    _CurveSpec("Borexino+SK", ALL_FLAVOURS, ("Borexino_SK_d.dat",), "GeV", "d", ABOVE,
               "arXiv:2010.04193"),
    _CurveSpec("BBN", ALL_FLAVOURS, ("BBN_muB.dat",), "MeV", "muB", CONTOUR, "arXiv:2007.15563"),
    _CurveSpec("SN1987A", ALL_FLAVOURS, ("SN1987A_muB_bottom.dat", "SN1987A_muB_top.dat"),
               "MeV", "muB", CONTOUR, "arXiv:1803.03262 (as shipped by hnlimits)"),
)


def default_data_dir() -> Path | None:
    """The dipole data folder of the installed hnlimits package, or None if it is not installed."""
    try:
        root = resources.files("HNLimits")
    except ModuleNotFoundError:
        return None
    return Path(str(root)) / "include" / "data" / "dipole"


def region_names(flavour: str) -> list[str]:
    """Names of the regions figure 4 shows for `flavour`, in drawing order."""
    _check_flavour(flavour)
    return [c.name for c in _CURVES if flavour in c.flavours]


def neutrino_dipole_limits(
    flavour: str, data_dir: Path | str | None = None
) -> tuple[list[LimitRegion], list[str]]:
    """Existing limits on d_alpha for alpha = `flavour` ("e", "mu" or "tau").

    Returns the regions and a list of warnings. A missing or unreadable file never raises: it
    produces a warning naming it, and the other regions still load.
    """
    _check_flavour(flavour)
    folder = default_data_dir() if data_dir is None else Path(data_dir)
    if folder is None:
        return [], ["hnlimits is not installed: no literature limits drawn (pip install hnlimits)"]
    regions: list[LimitRegion] = []
    warnings: list[str] = []
    for spec in _CURVES:
        if flavour not in spec.flavours:
            continue
        region = _load_region(spec, folder, warnings)
        if region is not None:
            regions.append(region)
    return regions, warnings


def draw_limit_regions(ax, regions, alpha: float = 0.25, colours: dict | None = None) -> None:
    """Shade each region on a log-log mass/coupling axes and write its name inside it.

    Set the axis scales and limits first: a label goes inside the part of its region that is in
    view (no label if none of it is). `colours` overrides REGION_COLOURS by region name.
    """
    from matplotlib.colors import to_rgba
    from matplotlib.patches import Polygon

    view = _view_box_log10(ax)
    for region in regions:
        colour = (colours or {}).get(region.name) or REGION_COLOURS.get(region.name, _FALLBACK_COLOUR)
        xy = np.column_stack([region.mass_GeV, region.coupling_GeVinv])
        ax.add_patch(Polygon(xy, closed=True, facecolor=to_rgba(colour, alpha),
                             edgecolor=colour, lw=0.8, label=region.name, zorder=1))
        spot = _label_point_log10(np.log10(region.mass_GeV), np.log10(region.coupling_GeVinv), view)
        if spot is not None:
            ax.text(10 ** spot[0], 10 ** spot[1], region.name, color=colour, fontsize=7,
                    ha="center", va="center", clip_on=True, zorder=2)


# ---------------------------------------------------------------- loading


def _check_flavour(flavour: str) -> None:
    if flavour not in FLAVOURS:
        raise DipscanError(f"neutrino dipole flavour {flavour!r}: allowed are {', '.join(FLAVOURS)}")


_MASS_UNIT = re.compile(r"[\[(]\s*(MeV|GeV)\s*[\])]")
_D_UNIT = re.compile(r"1\s*/\s*GeV|GeV\s*\^\s*-\s*1")
_MUB_UNIT = re.compile(r"mu_B")


def _header_units(header: list[str]) -> tuple[str | None, str | None]:
    """(mass unit, coupling unit) as stated in the comment header; None where it says nothing."""
    text = " ".join(header)
    mass = _MASS_UNIT.search(text)
    coupling = "muB" if _MUB_UNIT.search(text) else ("d" if _D_UNIT.search(text) else None)
    return (mass.group(1) if mass else None), coupling


def _read_curve(path: Path) -> tuple[np.ndarray, list[str], int]:
    """(n, 2) array of the numeric rows, the leading comment lines, and how many rows were unusable.

    A '#' starts a comment anywhere on a line (some rows end in '#...'; some are commented out).
    """
    header: list[str] = []
    rows: list[tuple[float, float]] = []
    bad = 0
    for line in path.read_text(errors="replace").splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and not rows:
            header.append(stripped.lstrip("#").strip())
        body = stripped.split("#", 1)[0].split()
        if not body:
            continue
        try:
            x, y = (float(v) for v in body)
        except ValueError:
            bad += 1
            continue
        rows.append((x, y))
    return np.array(rows, dtype=float).reshape(-1, 2), header, bad


def _load_region(spec: _CurveSpec, folder: Path, warnings: list[str]) -> LimitRegion | None:
    missing = [f for f in spec.files if not (folder / f).is_file()]
    if missing:
        warnings.append(f"{spec.name}: {', '.join(missing)} not found in {folder}; region skipped")
        return None
    pieces, notes = [], []
    for name in spec.files:
        try:
            xy, header, bad = _read_curve(folder / name)
        except OSError as err:
            warnings.append(f"{spec.name}: cannot read {name} ({err}); region skipped")
            return None
        mass_unit, coupling_unit = _header_units(header)
        if mass_unit is None or coupling_unit is None:
            warnings.append(f"{spec.name}: {name} header states no units; assuming "
                            f"{spec.mass_unit} and {spec.coupling_unit}")
        elif (mass_unit, coupling_unit) != (spec.mass_unit, spec.coupling_unit):
            warnings.append(f"{spec.name}: {name} header says {mass_unit}, {coupling_unit} "
                            f"(expected {spec.mass_unit}, {spec.coupling_unit}); using the header")
        mass_unit = mass_unit or spec.mass_unit
        coupling_unit = coupling_unit or spec.coupling_unit
        good = np.all(np.isfinite(xy) & (xy > 0.0), axis=1)
        bad += int(np.count_nonzero(~good))
        xy = xy[good]
        if bad:
            warnings.append(f"{spec.name}: skipped {bad} unusable row(s) of {name}")
        if len(xy) < 2:
            warnings.append(f"{spec.name}: {name} holds fewer than 2 usable points; region skipped")
            return None
        scale_m = MEV_TO_GeV if mass_unit == "MeV" else 1.0
        scale_d = MUB_TO_GeVinv if coupling_unit == "muB" else 1.0
        pieces.append(np.log10(xy * [scale_m, scale_d]))
        mass_note = "MeV x 1e-3" if scale_m != 1.0 else "GeV"
        coupling_note = f"mu/mu_B x {MUB_TO_GeVinv:.2f}" if scale_d != 1.0 else "d GeV^-1"
        notes.append(f"{name} [{mass_note}; {coupling_note}]")
    loop = _close(_join(pieces), spec.closure)
    loop = _clip_box(loop, np.log10(MASS_BOX_GeV), np.log10(COUPLING_BOX_GeVinv))
    loop = _drop_repeats(loop)
    if len(loop) < 3:
        warnings.append(f"{spec.name}: {', '.join(spec.files)} lies outside the plotted box; skipped")
        return None
    loop = np.vstack([loop, loop[:1]])
    source = (f"hnlimits {folder.name}/: " + " + ".join(notes)
              + f"; closed: {_CLOSURE_TEXT[spec.closure]}; source {spec.reference}")
    return LimitRegion(spec.name, spec.flavours, 10 ** loop[:, 0], 10 ** loop[:, 1], source)


_CLOSURE_TEXT = {
    ABOVE: f"one-sided, extended up to d = {TOP_COUPLING_GeVinv:g} GeV^-1",
    DATA_TOP: "capped at the largest d of the curve",
    CONTOUR: "closed contour (pieces joined end to end)",
}


# ---------------------------------------------------------------- polygon geometry (log10 space)


def _join(pieces: list[np.ndarray]) -> np.ndarray:
    """Chain pieces end to end, flipping each next piece so that its start is the nearer end."""
    chain = pieces[0]
    for piece in pieces[1:]:
        end = chain[-1]
        if np.hypot(*(piece[-1] - end)) < np.hypot(*(piece[0] - end)):
            piece = piece[::-1]
        chain = np.vstack([chain, piece])
    return chain


def _close(chain: np.ndarray, closure: str) -> np.ndarray:
    """Open vertex list of the excluded polygon (the closing edge back to vertex 0 is implied)."""
    if closure == CONTOUR:
        return chain
    top = np.log10(TOP_COUPLING_GeVinv) if closure == ABOVE else chain[:, 1].max()
    cap = np.array([[chain[-1, 0], top], [chain[0, 0], top]])
    return np.vstack([chain, cap])


def _drop_repeats(loop: np.ndarray) -> np.ndarray:
    """Remove vertices equal to their predecessor, cyclically (the joins repeat end points)."""
    same = np.all(loop == np.roll(loop, 1, axis=0), axis=1)
    if same.all():  # a single point, or nothing
        return loop[:1]
    return loop[~same]


def _clip_half_plane(loop: np.ndarray, axis: int, bound: float, keep_above: bool) -> np.ndarray:
    """Sutherland-Hodgman step: keep the part of the polygon with coordinate >= (or <=) bound."""
    if len(loop) == 0:
        return loop
    nxt = np.roll(loop, -1, axis=0)
    sign = 1.0 if keep_above else -1.0
    s_cur = sign * (loop[:, axis] - bound)
    s_nxt = sign * (nxt[:, axis] - bound)
    in_cur, in_nxt = s_cur >= 0.0, s_nxt >= 0.0
    crosses = in_cur != in_nxt
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(crosses, s_cur / (s_cur - s_nxt), 0.0)
    hit = loop + t[:, None] * (nxt - loop)
    # per edge cur -> nxt the output is [intersection if it crosses] then [nxt if nxt is inside]
    out = np.stack([hit, nxt], axis=1).reshape(-1, 2)
    keep = np.stack([crosses, in_nxt], axis=1).reshape(-1)
    return out[keep]


def _clip_box(loop: np.ndarray, xlim, ylim) -> np.ndarray:
    for axis, (lo, hi) in ((0, xlim), (1, ylim)):
        loop = _clip_half_plane(loop, axis, lo, keep_above=True)
        loop = _clip_half_plane(loop, axis, hi, keep_above=False)
    return loop


def _view_box_log10(ax):
    """Current axes limits in log10, or the clipping box if the axes are not yet log-scaled."""
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    if ax.get_xscale() != "log" or ax.get_yscale() != "log" or min(x0, y0) <= 0.0:
        return np.log10(MASS_BOX_GeV), np.log10(COUPLING_BOX_GeVinv)
    return np.log10([x0, x1]), np.log10([y0, y1])


def _label_point_log10(x: np.ndarray, y: np.ndarray, view) -> tuple[float, float] | None:
    """A point inside the visible part of the polygon, near its centroid (log10 coordinates)."""
    from matplotlib.path import Path as MplPath

    visible = _drop_repeats(_clip_box(np.column_stack([x, y])[:-1], *view))
    if len(visible) < 3:
        return None
    px, py = visible[:, 0], visible[:, 1]
    cross = px * np.roll(py, -1) - np.roll(px, -1) * py
    area = 0.5 * cross.sum()
    if abs(area) < 1e-12:
        return None
    cx = ((px + np.roll(px, -1)) * cross).sum() / (6.0 * area)
    cy = ((py + np.roll(py, -1)) * cross).sum() / (6.0 * area)
    path = MplPath(visible, closed=False)
    if path.contains_point((cx, cy)):
        return float(cx), float(cy)
    # non-convex region: the inside grid point nearest the centroid
    gx, gy = np.meshgrid(np.linspace(px.min(), px.max(), 25), np.linspace(py.min(), py.max(), 25))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    inside = grid[path.contains_points(grid)]
    if len(inside) == 0:
        return None
    best = inside[np.argmin(np.hypot(inside[:, 0] - cx, inside[:, 1] - cy))]
    return float(best[0]), float(best[1])
