"""Sweeps give the same bytes in this process, in a local pool and on a Dask cluster."""

from pathlib import Path

import pytest

from dipscan.errors import DipscanError
from dipscan.executors import open_executor
from dipscan.runner import run_scenarios

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
