"""Uncertainty bands: pessimistic and optimistic event counts on the (mass, coupling) grid.

Inputs (declared in the beam presets' ``[uncertainties]``, each with its source, overridable in a
scenario's ``[uncertainties]``):

- the normalisation of each parent species, a relative uncertainty r (a factor 1 + r);
- the heavy-flavour A-exponent (A^0.29 of J/psi, Upsilon, D, Ds, B on a nuclear target), an
  uncertainty sigma on the exponent (a factor A^sigma);
- the Monte Carlo statistics of the LLP samples: the variance sum w^2 f_dec^2 BR^2 per cell,
  carried through the reduction beside the central sums.

An alternative production table as a shape variation is not implemented (no beam ships a second
table).

Combination, per grid cell, on the log scale (log-normal style): every input i moves ln N by

    s_i = (N_i / N) ln(1 + r_i)      for a normalisation acting on the channels N_i of species i,
    s_A = (N_HF / N) sigma ln A      for the A-exponent on the heavy-flavour channels,
    s_MC = ln(1 + sqrt(var) / N)     for the Monte Carlo statistics,

the inputs are independent, so s = sqrt(sum_i s_i^2), and

    N_pessimistic = N exp(-s),   N_optimistic = N exp(+s).

Why: production uncertainties are multiplicative factors (a "factor 1.5" is symmetric in log, never
negative), and the contours live on log axes.  With one channel and one input this moves N by
exactly (1 + r)^(+-1), so in the long-lifetime regime (N ~ d^4) the lower edge moves by exactly
(1 + r)^(-+1/4).  Species are varied independently: correlated mis-modelling of several species
would widen the band.  Nothing is resampled: the variations act on the per-channel event grids.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from dipscan.scan.contours import band_field, contour_frame, iso_contours  # noqa: F401 (band_field: re-exported)
from dipscan.scan.experiments import HEAVY_FLAVOUR_PDGIDS

if TYPE_CHECKING:  # the configuration layer sits above: annotations only
    from dipscan.config.uncertainties import UncertaintySpec

MC_INPUT = "mc_statistics"
A_INPUT = "a_exponent"


# ----------------------------------------------------------------------------- combination
def combine(total: np.ndarray, shifts: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(pessimistic, optimistic) = N exp(-+s), s the quadrature sum of the log shifts."""
    s = np.sqrt(sum((x * x for x in shifts.values()), np.zeros_like(total)))
    return total * np.exp(-s), total * np.exp(s)


def log_shifts(total: np.ndarray, groups: dict[str, tuple[np.ndarray, float]],
               variance: np.ndarray | None) -> dict[str, np.ndarray]:
    """Per input, the shift s_i of ln N on the grid (0 where N = 0).

    ``groups``: input name -> (events it acts on, ln of its factor).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {name: np.where(total > 0, part / total, 0.0) * log_factor
               for name, (part, log_factor) in groups.items()}
        if variance is not None:
            out[MC_INPUT] = np.where(total > 0, np.log1p(np.sqrt(variance) / total), 0.0)
    return out


@dataclass
class ExperimentBand:
    pessimistic: np.ndarray  # (mass, coupling)
    optimistic: np.ndarray
    shifts: dict[str, np.ndarray] = field(default_factory=dict)  # input -> s_i on the grid


def _channel_grid(rows: pl.DataFrame, column: str, shape: tuple[int, int]) -> np.ndarray:
    grid = np.zeros(shape)
    np.add.at(grid, (rows["mass_index"].to_numpy(), rows["coupling_index"].to_numpy()),
              rows[column].to_numpy())
    return grid


def experiment_bands(spec, events: pl.DataFrame, parents: dict[str, int],
                     uncertainties: UncertaintySpec, shape: tuple[int, int]) -> ExperimentBand:
    """Bands of one experiment from its per-channel grids; ``parents``: channel -> |parent pdgid|."""
    rows = events.filter(pl.col("experiment") == spec.label)
    channel_rows = rows.filter(pl.col("channel") != "total")
    total_rows = rows.filter(pl.col("channel") == "total")
    total = _channel_grid(total_rows, "n_events", shape)
    by_species: dict[int, list[str]] = {}
    for channel in channel_rows["channel"].unique(maintain_order=True).to_list():
        by_species.setdefault(parents[channel], []).append(channel)

    def species_grid(pdgids) -> np.ndarray:
        chans = [c for p in pdgids for c in by_species.get(p, [])]
        return _channel_grid(channel_rows.filter(pl.col("channel").is_in(chans)), "n_events", shape)

    groups: dict[str, tuple[np.ndarray, float]] = {}
    for n in uncertainties.normalisation:
        if n.beam == spec.beam and n.pdgid in by_species:
            groups[n.name] = (species_grid([n.pdgid]), math.log1p(n.relative))
    heavy = [p for p in by_species if p in HEAVY_FLAVOUR_PDGIDS]
    for a in uncertainties.a_exponent:
        if a.beam == spec.beam and heavy and spec.target_mass_number > 1:
            groups[A_INPUT] = (species_grid(heavy), a.sigma * math.log(spec.target_mass_number))
    variance = (_channel_grid(total_rows, "n_events_mc_var", shape)
                if uncertainties.mc_statistics else None)
    shifts = log_shifts(total, groups, variance)
    pessimistic, optimistic = combine(total, shifts)
    return ExperimentBand(pessimistic, optimistic, shifts)


# ----------------------------------------------------------------------------- outputs
def band_contours(label: str, masses: np.ndarray, couplings: np.ndarray, band: ExperimentBand,
                  level: float) -> pl.DataFrame:
    """Contour rows of the pessimistic and optimistic counts, with their ``band`` label."""
    return pl.concat([
        contour_frame(label, iso_contours(masses, couplings, grid, level)).with_columns(
            band=pl.lit(name))
        for name, grid in (("pessimistic", band.pessimistic), ("optimistic", band.optimistic))])


def band_event_columns(events: pl.DataFrame, bands: dict[str, ExperimentBand]) -> pl.DataFrame:
    """``n_events_pessimistic`` / ``n_events_optimistic`` on the `total` rows (null elsewhere)."""
    is_total = pl.col("channel") == "total"
    if not bands:
        return events.with_columns(n_events_pessimistic=pl.lit(None, pl.Float64),
                                   n_events_optimistic=pl.lit(None, pl.Float64))
    frames = []
    for label, band in bands.items():
        n_mass, n_coupling = band.pessimistic.shape
        frames.append(pl.DataFrame({
            "experiment": [label] * (n_mass * n_coupling),
            "mass_index": np.repeat(np.arange(n_mass, dtype=np.int32), n_coupling),
            "coupling_index": np.tile(np.arange(n_coupling, dtype=np.int32), n_mass),
            "n_events_pessimistic": band.pessimistic.ravel(),
            "n_events_optimistic": band.optimistic.ravel()}))
    keyed = pl.concat(frames).with_columns(channel=pl.lit("total"))
    joined = events.join(keyed, on=["experiment", "mass_index", "coupling_index", "channel"],
                         how="left", maintain_order="left")
    return joined.with_columns(pl.when(is_total).then(pl.col(c)).otherwise(None).alias(c)
                               for c in ("n_events_pessimistic", "n_events_optimistic"))


def band_dominance_frame(result) -> pl.DataFrame:
    """Per experiment and mass, at the central curve's lower edge (the first grid d with
    N >= level): every input's log shift, its share of s^2, and which one dominates."""
    out = []
    for spec in result.scenario.experiments:
        band = result.bands.get(spec.label)
        if band is None or not band.shifts:
            continue
        grid = result.total_grid(spec.label)
        for i, mass in enumerate(result.mass_GeV):
            reached = np.nonzero(grid[i] >= result.levels[spec.label])[0]
            if reached.size == 0:
                continue
            j = int(reached[0])
            values = {name: float(s[i, j]) for name, s in band.shifts.items()}
            total = sum(v * v for v in values.values())
            top = max(values, key=lambda k: abs(values[k]))
            for name, value in values.items():
                out.append({"experiment": spec.label, "mass_GeV": float(mass),
                            "coupling_GeVinv": float(result.coupling_GeVinv[j]), "input": name,
                            "log_shift": value, "share": value * value / total if total > 0 else 0.0,
                            "dominant": name == top})
    return pl.DataFrame(out, schema={"experiment": pl.String, "mass_GeV": pl.Float64,
                                     "coupling_GeVinv": pl.Float64, "input": pl.String,
                                     "log_shift": pl.Float64, "share": pl.Float64,
                                     "dominant": pl.Boolean})


def band_summary(result) -> pl.DataFrame:
    """Per experiment: smallest d and mass reach of the pessimistic and optimistic curves, and
    the input that dominates the band at the central curve's smallest d."""
    dominance = band_dominance_frame(result).filter(pl.col("dominant"))
    rows = []
    for spec in result.scenario.experiments:
        row = {"experiment": spec.label}
        for band in ("pessimistic", "optimistic"):
            contour = result.contours.filter((pl.col("experiment") == spec.label)
                                             & (pl.col("band") == band))
            empty = contour.height == 0
            row[f"min_coupling_{band}_GeVinv"] = None if empty else float(contour["coupling_GeVinv"].min())
            row[f"mass_reach_{band}_GeV"] = None if empty else float(contour["mass_GeV"].max())
        central = result.contours.filter((pl.col("experiment") == spec.label)
                                         & (pl.col("band") == "central"))
        row["band_dominant_input"] = None
        mine = dominance.filter(pl.col("experiment") == spec.label)
        if central.height and mine.height:
            mass = central.sort("coupling_GeVinv")["mass_GeV"][0]
            nearest = int(np.argmin(np.abs(np.log(mine["mass_GeV"].to_numpy() / mass))))
            row["band_dominant_input"] = mine["input"][nearest]
        rows.append(row)
    return pl.DataFrame(rows, schema={
        "experiment": pl.String, "min_coupling_pessimistic_GeVinv": pl.Float64,
        "mass_reach_pessimistic_GeV": pl.Float64, "min_coupling_optimistic_GeVinv": pl.Float64,
        "mass_reach_optimistic_GeV": pl.Float64, "band_dominant_input": pl.String})


def format_with_band(central: float | None, upper: float | None, lower: float | None) -> str:
    """``2.7e-06 (+0.4 / -0.3)``: the band's edges as offsets, in units of the central value's
    power of ten when it is printed in scientific notation, absolute otherwise
    (``0.54 (+0.07 / -0.059)``).  For the smallest d the upper edge is the pessimistic curve's,
    for the mass reach the optimistic one's."""
    if central is None:
        return "-"
    text = f"{central:.2g}"
    if upper is None or lower is None:
        return text
    scale = 10.0 ** math.floor(math.log10(abs(central))) if "e" in text else 1.0
    return f"{text} (+{(upper - central) / scale:.2g} / -{(central - lower) / scale:.2g})"
