"""The one meson table: each parent declares its kind and charge once; channel lists derive from it."""

import pytest

from dipscan.physics.mesons import MESONS, pdgids
from dipscan.physics.models.meson_widths import NEUTRAL_PSEUDOSCALAR_PDGIDS, VECTOR_PDGIDS
from dipscan.physics.models.neutrino_dipole import CHARGED_PSEUDOSCALAR_PDGIDS
from dipscan.scan.experiments import HEAVY_FLAVOUR_PDGIDS


def test_every_kind_is_a_partition_of_the_table():
    kinds = {m.kind for m in MESONS.values()}
    assert kinds == {"vector", "neutral_pseudoscalar", "charged_pseudoscalar"}
    assert sorted(sum((pdgids(k) for k in kinds), ())) == sorted(MESONS)
    assert VECTOR_PDGIDS == pdgids("vector") and NEUTRAL_PSEUDOSCALAR_PDGIDS == pdgids("neutral_pseudoscalar")
    assert CHARGED_PSEUDOSCALAR_PDGIDS == pdgids("charged_pseudoscalar")


def test_charge_follows_the_kind_and_ids_are_positive():
    for pdgid, m in MESONS.items():
        assert pdgid == m.pdgid > 0
        assert m.charge == (1 if m.kind == "charged_pseudoscalar" else 0)
        assert m.name.endswith("+") == (m.charge == 1)


def test_heavy_flavour_is_the_charm_and_beauty_content():
    """J/psi, Upsilon(1S), D+, Ds+ and B+ hold c or b quarks; the light mesons and K+ do not."""
    names = {MESONS[p].name for p in HEAVY_FLAVOUR_PDGIDS}
    assert names == {"J/psi", "Upsilon(1S)", "D+", "Ds+", "B+"}


def test_each_charge_of_a_species_is_counted_once():
    """Tables keep K+ and K- under their signed ids: the exposure has one row per sign, each with
    its own multiplicity, and the species total is their sum (no double counting)."""
    from pathlib import Path

    import polars as pl

    from dipscan.config.scenario import load_scenario
    from dipscan.scan.parents import species_multiplicities
    from dipscan.scan.pipeline import meson_exposure

    tiny = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.toml")
    parents = pl.DataFrame({"pdg_id": [321, 321, -321, 111], "weight": [0.25, 0.05, 0.2, 4.0]},
                           schema={"pdg_id": pl.Int32, "weight": pl.Float64})
    rows = meson_exposure(tiny, {tiny.experiments[0].beam: species_multiplicities(parents)})
    collisions = tiny.experiments[0].exposure.n_collisions()
    kaons = rows.filter(pl.col("pdgid").abs() == 321)
    assert sorted(kaons["meson"].to_list()) == ["K+", "K-"]
    assert kaons["n_produced"].sum() == pytest.approx(0.5 * collisions, rel=1e-12)
    assert rows.filter(pl.col("pdgid") == 111)["n_produced"].item() == pytest.approx(4.0 * collisions)
