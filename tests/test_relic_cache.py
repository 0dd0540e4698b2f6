"""The thermal-relic line cache: each entry carries a sha256 of its numbers; a damaged entry is
detected, solved again and replaced, never trusted, both by `relic_line` and by a sweep."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from dipscan.config.scenario import load_scenario
from dipscan.limits import relic
from dipscan.scan import overlays, plan
from dipscan.scan.sweep import run_works

DELTA, M_MIN, M_MAX = 0.1, 0.02, 2.0


class CountingSolver:
    """Stand-in for `relic_coupling` (independent per mass, as the real one is) that counts calls."""

    def __init__(self):
        self.masses = 0

    def __call__(self, masses, delta):
        masses = np.atleast_1d(np.asarray(masses, float))
        self.masses += masses.size
        return masses * delta + 1e-9


@pytest.fixture
def solver(monkeypatch):
    counting = CountingSolver()
    monkeypatch.setattr(relic, "relic_coupling", counting)
    return counting


def _damage(raw: bytes, how: str) -> bytes:
    return {"truncate": raw[:-8], "flip": raw[:-1] + bytes([raw[-1] ^ 1]),
            "header": b"{not json" + raw[raw.index(b"\n"):], "empty": b""}[how]


def test_second_call_reads_the_cache(tmp_path, solver):
    first = overlays.relic_line(DELTA, M_MIN, M_MAX, tmp_path)
    assert solver.masses == overlays.RELIC_MASS_POINTS
    second = overlays.relic_line(DELTA, M_MIN, M_MAX, tmp_path)
    assert solver.masses == overlays.RELIC_MASS_POINTS  # nothing solved again
    assert second[1].tobytes() == first[1].tobytes()
    assert len(list(tmp_path.glob("relic-*.line"))) == 1


@pytest.mark.parametrize("how", ["truncate", "flip", "header", "empty"])
def test_corrupt_entry_is_solved_again_and_replaced(tmp_path, solver, how):
    masses, couplings = overlays.relic_line(DELTA, M_MIN, M_MAX, tmp_path)
    (entry,) = tmp_path.glob("relic-*.line")
    raw = entry.read_bytes()
    entry.write_bytes(_damage(raw, how))
    assert overlays.read_relic_cache(entry, masses) is None
    again_masses, again = overlays.relic_line(DELTA, M_MIN, M_MAX, tmp_path)
    assert solver.masses == 2 * overlays.RELIC_MASS_POINTS  # solved again, not read
    assert again.tobytes() == couplings.tobytes() and again_masses.tobytes() == masses.tobytes()
    assert entry.read_bytes() == raw  # written again, whole
    assert overlays.read_relic_cache(entry, masses) is not None


def test_an_entry_for_other_masses_is_not_used(tmp_path, solver):
    masses, _ = overlays.relic_line(DELTA, M_MIN, M_MAX, tmp_path)
    (entry,) = tmp_path.glob("relic-*.line")
    assert overlays.read_relic_cache(entry, masses * (1 + 1e-12)) is None


def test_a_sweep_solves_a_corrupt_line_again(tmp_path, solver):
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "fig2_delta0p1.toml")
    with ThreadPoolExecutor(2) as pool:
        run_works(plan.relic_works([scenario], tmp_path), pool, workers=2)
        (entry,) = tmp_path.glob("relic-*.line")
        raw = entry.read_bytes()
        assert plan.relic_works([scenario], tmp_path) == []  # a sound entry is kept
        entry.write_bytes(_damage(raw, "flip"))
        run_works(plan.relic_works([scenario], tmp_path), pool, workers=2)
    assert solver.masses == 2 * overlays.RELIC_MASS_POINTS
    assert entry.read_bytes() == raw
