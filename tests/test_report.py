"""The run's summary tables: the dominant channel per grid point, in one pass over the events."""

from types import SimpleNamespace

import numpy as np
import polars as pl

from dipscan.cli.report import dominant_channel_at, dominant_channels


def _result(seed: int = 3) -> SimpleNamespace:
    """Random event counts of two experiments, three channels and `total` on a 4 x 5 grid."""
    rng = np.random.default_rng(seed)
    masses, couplings = np.geomspace(0.1, 1.0, 4), np.geomspace(1e-6, 1e-3, 5)
    rows = []
    for label in ("A", "B"):
        for i in range(masses.size):
            for j in range(couplings.size):
                counts = rng.random(3)
                if (i, j) == (1, 2):
                    counts[2] = counts[0] = 2.0  # a tie: the channel listed first wins
                for name, n in zip(("pi0", "eta", "omega"), counts, strict=True):
                    rows.append((label, i, j, name, float(n)))
                rows.append((label, i, j, "total", float(counts.sum())))
    events = pl.DataFrame(rows, schema={"experiment": pl.String, "mass_index": pl.Int32,
                                        "coupling_index": pl.Int32, "channel": pl.String,
                                        "n_events": pl.Float64}, orient="row")
    return SimpleNamespace(events=events, mass_GeV=masses, coupling_GeVinv=couplings)


def _by_hand(result, label: str, i: int, j: int) -> str:
    best, name = -1.0, None
    for row in result.events.iter_rows(named=True):
        if (row["experiment"], row["mass_index"], row["coupling_index"]) == (label, i, j) \
                and row["channel"] != "total" and row["n_events"] > best:
            best, name = row["n_events"], row["channel"]
    return name


def test_dominant_channels_match_a_row_by_row_search():
    result = _result()
    points = [(i, j) for i in range(4) for j in range(5)]
    for label in ("A", "B"):
        assert dominant_channels(result, label, points) == [_by_hand(result, label, i, j)
                                                            for i, j in points]
    assert dominant_channels(result, "A", [(1, 2)]) == ["pi0"]
    assert dominant_channels(result, "C", [(0, 0)]) == [None]  # no rows: no channel
    assert dominant_channels(result, "A", []) == []


def test_dominant_channel_at_takes_the_nearest_grid_point_in_log():
    result = _result()
    mass, coupling = result.mass_GeV[2] * 1.1, result.coupling_GeVinv[3] / 1.2
    assert dominant_channel_at(result, "B", mass, coupling) == _by_hand(result, "B", 2, 3)
