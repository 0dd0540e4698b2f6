"""Sweeps give the same bytes in this process, in a local pool and on a Dask cluster."""

from pathlib import Path

import pytest

from dipscan.cli.executors import open_executor
from dipscan.cli.run import run_scenarios
from dipscan.errors import DipscanError

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "examples" / "tiny.toml"

pytestmark = pytest.mark.slow


def _two_scenarios(folder: Path) -> list[Path]:
    second = folder / "tiny_delta0p2.toml"
    second.write_text(TINY.read_text().replace("delta = 0.1", "delta = 0.2"))
    first = folder / "tiny.toml"
    first.write_text(TINY.read_text())
    return [first, second]


def _outputs(folder: Path) -> dict[str, bytes]:
    return {f"{p.parent.name}/{p.name}": p.read_bytes()
            for p in sorted((folder / "outputs").glob("*/*")) if p.suffix in (".parquet", ".csv")
            and p.name != "summary.csv"}


def test_dask_and_local_sweeps_agree(tmp_path, monkeypatch):
    results = {}
    for executor, workers in (("local", 1), ("local", 2), ("dask", 2)):
        run_dir = tmp_path / f"{executor}{workers}"
        run_dir.mkdir()
        files = _two_scenarios(run_dir)
        monkeypatch.chdir(run_dir)
        targets = run_scenarios(files, executor=executor, workers=workers)
        assert sorted(t.name for t in targets) == ["tiny", "tiny_delta0p2"]
        results[(executor, workers)] = _outputs(run_dir)
    reference = results[("local", 1)]
    assert len(reference) == 2 * 7  # events, contours (parquet, csv), channels, exposure, bands; x2
    assert results[("local", 2)] == reference
    assert results[("dask", 2)] == reference


def test_unknown_executor_and_unreachable_scheduler():
    with pytest.raises(DipscanError, match="allowed: local, dask"), open_executor("slurm"):
        pass
    with pytest.raises(DipscanError, match="only with --executor dask"), \
            open_executor("local", scheduler="tcp://127.0.0.1:1"):
        pass
    with pytest.raises(DipscanError, match="cannot reach"), \
            open_executor("dask", scheduler="tcp://127.0.0.1:1", connect_timeout_s=1.0):
        pass


def test_sweep_shares_units_and_matches_separate_runs(tmp_path, monkeypatch):
    """Two scenarios that differ only in exposure and label share every sampling unit: the
    sweep draws each once, and both outputs are the bytes of separate fresh runs."""
    from dipscan.config.scenario import load_scenario
    from dipscan.io.sample_cache import list_entries
    from dipscan.scan.plan import plan_sweep

    other = tmp_path / "tiny_1e17.toml"
    other.write_text(TINY.read_text().replace('preset = "na62"', 'preset = "na62"\npot = 1e17')
                     .replace('title = "tiny', 'title = "tiny 1e17'))
    files = [TINY, other]
    sweep_plan = plan_sweep([load_scenario(f) for f in files])
    assert sweep_plan.shared_fraction == pytest.approx(0.5)
    separate = {}
    for path in files:
        run_dir = tmp_path / f"alone_{path.stem}"
        run_dir.mkdir()
        monkeypatch.chdir(run_dir)
        run_scenarios([path], workers=1)
        separate.update(_outputs(run_dir))
    run_dir = tmp_path / "sweep"
    run_dir.mkdir()
    monkeypatch.chdir(run_dir)
    run_scenarios(files, workers=2)
    assert _outputs(run_dir) == separate
    drawn = [e for e in list_entries(run_dir / "outputs" / ".cache" / "samples")
             if e[0].suffix == ".llp"]  # units, not the summaries of the tables they read
    assert len(drawn) == len(sweep_plan.unique)  # each shared unit drawn and kept once
    assert len(separate) == 2 * 7  # as in test_dask_and_local_sweeps_agree
