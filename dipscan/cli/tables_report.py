"""Summary of a beam's meson tables: multiplicities, forward fractions, mean energies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from rich.markup import escape
from rich.table import Table

from dipscan.physics.pdg import pdg_entry
from dipscan.production.beams import load_beam
from dipscan.production.manifest import read_manifest
from dipscan.production.tables import load_meson_samples

REPORT_CUTS_RAD = {
    "frac_theta_lt_1p6mrad": 1.6e-3,
    "frac_theta_lt_5p5mrad": 5.5e-3,
    "frac_theta_lt_28mrad": 28e-3,
}


def species_label(pdgid: int, signed: bool) -> str:
    """PDG name of the species, with the charge written +- for a pair of charge states."""
    name = pdg_entry(pdgid).name
    return name[:-1] + "±" if signed and name.endswith("+") else name


def report_table(beam: str, tables_dir: Path | None = None) -> pl.DataFrame:
    """One row per species of ``beam``.

    ``multiplicity`` is the sum of the weights as dipscan uses them, ``table1`` the normalisation
    value of the preset (null where PYTHIA8's own multiplicity is kept), ``pythia_multiplicity``
    PYTHIA8's own multiplicity per p-p collision.  ``normalisation`` says what the weights are
    tied to ("paper": Table 1 of arXiv:2406.17599 or the value in the preset, "measured": a
    measured cross section applied when the tables are read, "pythia": PYTHIA8 as generated),
    ``scale`` = multiplicity / pythia_multiplicity and ``source`` the reference with its value.  Fractions and the
    mean energy E = sqrt(p^2 + m^2) (PDG mass) are weighted.  ``entries`` counts table rows.
    """
    b = load_beam(beam)
    manifest = read_manifest(beam, tables_dir)
    raw = {e["pdgid"]: e["raw_multiplicity_per_collision"] for e in manifest["tables"]}
    records = []
    for pdgid in b.species:
        _, spec = b.meson(pdgid)
        df = load_meson_samples(beam, [pdgid], tables_dir)
        w = df["weight"].to_numpy()
        th = df["theta_rad"].to_numpy().astype(np.float64)
        p = df["p_GeV"].to_numpy().astype(np.float64)
        mass_GeV = pdg_entry(pdgid).mass_MeV / 1000.0
        total = w.sum()
        rec = {
            "pdgid": pdgid,
            "name": species_label(pdgid, spec.signed),
            "multiplicity": total,
            "table1": spec.multiplicity,
        }
        rec.update({k: w[th < cut].sum() / total for k, cut in REPORT_CUTS_RAD.items()})
        rec["mean_energy_GeV"] = float(np.sum(w * np.sqrt(p * p + mass_GeV**2)) / total)
        rec["entries"] = df.height
        rec["pythia_multiplicity"] = raw.get(pdgid)
        rec.update(_normalisation(b, pdgid, spec))
        rec["scale"] = total / rec["pythia_multiplicity"] if rec["pythia_multiplicity"] else None
        records.append(rec)
    return pl.DataFrame(
        records,
        schema={
            "pdgid": pl.Int64,
            "name": pl.String,
            "multiplicity": pl.Float64,
            "table1": pl.Float64,
            **{k: pl.Float64 for k in REPORT_CUTS_RAD},
            "mean_energy_GeV": pl.Float64,
            "entries": pl.Int64,
            "pythia_multiplicity": pl.Float64,
            "normalisation": pl.String,
            "source": pl.String,
            "scale": pl.Float64,
        },
    )


def normalisation_sources(beam_name: str) -> dict[str, dict[str, str]]:
    """Per species of a beam: what its weights are tied to and the source (for provenance)."""
    b = load_beam(beam_name)
    return {spec.name: _normalisation(b, spec.pdgid, spec)
            for p in b.productions for spec in p.mesons}


def _normalisation(beam, pdgid: int, spec) -> dict[str, str]:
    """What a species' weights are tied to, and the source (reference and value)."""
    measured = beam.measured_for(pdgid)
    if measured is not None:
        return {"normalisation": "measured",
                "source": f"{measured.source}; energy factor {measured.energy_factor:g}; "
                          f"sigma_inel {beam.sigma_inel_mb:g} mb ({beam.sigma_inel_source})"}
    if spec.multiplicity is not None:
        return {"normalisation": "paper", "source": spec.source}
    reason = " ".join(beam.reason.split())
    return {"normalisation": "pythia", "source": "PYTHIA8 as generated" + (f": {reason}" if reason else "")}


def render_report(df: pl.DataFrame, title: str = "") -> Table:
    """A rich table of ``report_table`` output for the terminal."""
    table = Table(title=title)
    heads = [
        "pdgid",
        "name",
        "multiplicity",
        "table1",
        "pythia",
        "normalised to",
        "θ<1.6 mrad",
        "θ<5.5 mrad",
        "θ<28 mrad",
        "<E> [GeV]",
        "entries",
    ]
    for h in heads:
        table.add_column(h, justify="left" if h == "name" else "right")
    for r in df.iter_rows(named=True):
        table.add_row(
            str(r["pdgid"]),
            r["name"],
            f"{r['multiplicity']:.3g}",
            "-" if r["table1"] is None else f"{r['table1']:.3g}",
            "-" if r["pythia_multiplicity"] is None else f"{r['pythia_multiplicity']:.3g}",
            r["normalisation"] + ("" if r["scale"] is None else f" (x{r['scale']:.3g})"),
            f"{r['frac_theta_lt_1p6mrad']:.4f}",
            f"{r['frac_theta_lt_5p5mrad']:.4f}",
            f"{r['frac_theta_lt_28mrad']:.4f}",
            f"{r['mean_energy_GeV']:.1f}",
            str(r["entries"]),
        )
    by_source: dict[str, list[str]] = {}
    for r in df.iter_rows(named=True):
        by_source.setdefault(r["source"], []).append(r["name"])
    table.caption = "\n".join(escape(f"{', '.join(names)}: {source}")
                              for source, names in by_source.items())
    table.caption_justify = "left"
    return table
