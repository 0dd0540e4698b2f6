"""The BaBar recast is cached in the overlay cache like the relic line: a second run reads the
entry and gives the same contours; every input of the recast is part of the key; a corrupt entry
is detected, computed again and replaced."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dipscan.config.babar_recast import load_babar_recast
from dipscan.limits import babar
from dipscan.scan import overlays

MASSES = np.array([0.05, 0.2, 1.0])
COUPLINGS = np.logspace(-5.0, -1.0, 12)


def fail_if_computed(*args, **kwargs):
    raise AssertionError("the BaBar yield was recomputed instead of read from the cache")


def overlay(cache_dir, delta=0.1, seed=7, recast=None):
    recast = recast if recast is not None else load_babar_recast("babar")
    return overlays.babar_overlay(delta, MASSES, COUPLINGS, seed, recast, cache_dir)


def test_second_run_reads_the_cache_and_gives_identical_contours(tmp_path, monkeypatch):
    first = overlay(tmp_path)
    assert first.contours.height > 0  # the grid crosses the 10-event level
    entries = list(tmp_path.glob("babar-*.grid"))
    assert len(entries) == 1
    monkeypatch.setattr(babar, "babar_event_yield", fail_if_computed)
    second = overlay(tmp_path)
    assert second.contours.equals(first.contours)
    assert second.data["events"].tobytes() == first.data["events"].tobytes()
    # without a cache folder nothing is read or written
    with pytest.raises(AssertionError, match="recomputed"):
        overlay(None)


@pytest.mark.parametrize("damage", ["truncate", "flip", "header", "empty"])
def test_corrupt_entry_is_recomputed_and_replaced(tmp_path, damage):
    reference = overlay(tmp_path)
    (entry,) = tmp_path.glob("babar-*.grid")
    raw = entry.read_bytes()
    broken = {"truncate": raw[:-8], "flip": raw[:-1] + bytes([raw[-1] ^ 1]),
              "header": b"{not json" + raw[raw.index(b"\n"):], "empty": b""}[damage]
    entry.write_bytes(broken)
    shape = (MASSES.size, COUPLINGS.size)
    assert overlays.read_array_cache(entry, shape) is None
    again = overlay(tmp_path)
    assert again.data["events"].tobytes() == reference.data["events"].tobytes()
    assert again.contours.equals(reference.contours)
    assert entry.read_bytes() == raw  # the entry was written again, whole
    assert overlays.read_array_cache(entry, shape) is not None


def test_every_input_of_the_recast_is_in_the_key(tmp_path, monkeypatch):
    selection = load_babar_recast("babar").selection
    base = (selection, 0.1, MASSES, COUPLINGS, 7, tmp_path)

    def path(**change):
        args = dict(zip(("selection", "delta", "masses", "couplings", "seed", "cache_dir"), base,
                        strict=True))
        args.update(change)
        return overlays.babar_cache_path(**args)

    variants = [
        path(),
        path(selection=replace(selection, luminosity_invfb=28.0)),
        path(selection=replace(selection, leading_min_energy_GeV=2.5)),
        path(selection=replace(selection, subleading_cos_range=(-0.9, 0.9))),
        path(delta=0.01),
        path(seed=8),
        path(masses=MASSES * 1.001),
        path(couplings=COUPLINGS[:-1]),
    ]
    monkeypatch.setattr(babar, "BABAR_MC_SAMPLES", 40000)
    variants.append(path())
    monkeypatch.setattr(babar, "recast_code_digest", lambda: "edited recast code")
    variants.append(path())
    assert len(set(variants)) == len(variants)
    assert all(p.parent == tmp_path for p in variants)
    assert overlays.babar_cache_path(selection, 0.1, MASSES, COUPLINGS, 7, None) is None


def test_pipeline_caches_the_recast_beside_the_relic_line(tmp_path, monkeypatch):
    from dipscan.cli.run import compute
    from dipscan.config.scenario import load_scenario

    tiny = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.toml"
    scenario_file = tmp_path / "tiny_babar.toml"
    scenario_file.write_text(tiny.read_text() + '\n[overlays]\nbabar = true\n')
    cache_dir = tmp_path / "cache"
    first = compute(load_scenario(scenario_file), cache_dir=cache_dir)
    assert len(list(cache_dir.glob("babar-*.grid"))) == 1
    monkeypatch.setattr(babar, "babar_event_yield", fail_if_computed)
    second = compute(load_scenario(scenario_file), cache_dir=cache_dir)
    frames = [pl.concat([o.contours for o in r.overlays if o.kind == "babar"])
              for r in (first, second)]
    assert frames[0].height > 0 and frames[1].equals(frames[0])
