"""What a run imports: heavy libraries stay off the path until a run needs them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# pydantic is not here: it is the configuration layer, so reading a scenario needs it.
HEAVY = ("matplotlib", "numba", "scipy", "dask", "distributed")


def _modules_after(code: str, cwd: Path) -> set[str]:
    done = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(*sorted(sys.modules))"],
                          cwd=cwd, capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_run_path_and_reading_a_scenario_import_no_heavy_library():
    # every preset names a colour: checked without matplotlib (dipscan.config.colours)
    loaded = _modules_after("import dipscan.cli.commands, dipscan.cli.run, dipscan.scan.pipeline\n"
                            "from dipscan.config.scenario import load_scenario\n"
                            "assert load_scenario('scenarios/na62_delta0p01.toml').experiments[0].color",
                            ROOT)
    assert not {m.split(".")[0] for m in loaded} & set(HEAVY)
    assert "contourpy" not in loaded  # needed once the events are counted, not before


def test_a_run_that_draws_no_figure_never_imports_matplotlib(tmp_path):
    tiny = ROOT / "scenarios" / "examples" / "tiny.toml"  # formats = ["parquet", "csv"]
    assert "png" not in tiny.read_text()
    loaded = _modules_after("from dipscan.cli.commands import main\n"
                            f"assert main(['run', {str(tiny)!r}]) == 0", tmp_path)
    assert "dipscan.scan.pipeline" in loaded and "matplotlib" not in loaded
    assert (tmp_path / "outputs" / "tiny" / "events.parquet").is_file()


def test_an_unchanged_rerun_never_imports_polars(tmp_path):
    # The up-to-date check reads the scenario and compares digests and records: no tables.
    tiny = ROOT / "scenarios" / "examples" / "tiny.toml"
    code = "from dipscan.cli.commands import main\n" f"assert main(['run', {str(tiny)!r}]) == 0"
    assert "polars" in _modules_after(code, tmp_path)  # the first run computes and writes tables
    rerun = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(*sorted(sys.modules))"],
                           cwd=tmp_path, capture_output=True, text=True, check=True)
    assert "up to date; nothing to write" in " ".join(rerun.stderr.split())
    loaded = {m.split(".")[0] for m in rerun.stdout.split()}
    assert "dipscan" in loaded and not loaded & {"polars", "contourpy", *HEAVY}


def test_the_numpy_reference_path_never_imports_numba(tmp_path):
    tiny = ROOT / "scenarios" / "examples" / "tiny.toml"
    code = ("import os; os.environ['DIPSCAN_KERNELS'] = 'numpy'\n"
            "from dipscan.cli.commands import main\n"
            f"assert main(['run', {str(tiny)!r}]) == 0")
    loaded = _modules_after(code, tmp_path)
    assert "dipscan.scan.pipeline" in loaded and "numba" not in loaded
    assert (tmp_path / "outputs" / "tiny" / "events.parquet").is_file()


def _run_tiny(folder: Path, preload: bool) -> bytes:
    """The tiny scenario's events, run in a fresh process with or without numba's preload."""
    tiny = ROOT / "scenarios" / "examples" / "tiny.toml"
    folder.mkdir()
    switch = "" if preload else "import dipscan.scan.pipeline as p; p.preload_kernels = lambda: None\n"
    code = (switch + "from dipscan.cli.commands import main\n"
            f"assert main(['run', {str(tiny)!r}]) == 0")
    subprocess.run([sys.executable, "-c", code], cwd=folder, capture_output=True, check=True,
                   env={**os.environ, "DIPSCAN_SAMPLE_CACHE": str(folder / "samples")})
    return (folder / "outputs" / "tiny" / "events.parquet").read_bytes()


def test_numba_preloaded_in_a_thread_gives_the_same_bytes(tmp_path):
    assert _run_tiny(tmp_path / "with", preload=True) == _run_tiny(tmp_path / "without", preload=False)


def test_kernels_needed_while_numba_is_preloaded_wait_for_it():
    """The main thread imports scipy's BLAS and asks for every kernel module while the preload
    thread imports numba: Python's module locks make it wait, with no deadlock, no import
    hidden from it and the same numbers. (The timeout only turns a deadlock into a failure; it
    is no speed limit.)"""
    code = """
import numpy as np
from dipscan.physics.decays import backend
backend.preload_kernels()
from scipy import optimize  # scipy's BLAS, imported while numba's array maths load without it
assert optimize.brentq(lambda x: x - 0.5, 0.0, 1.0) == 0.5
from dipscan.scan import response_kernels
from dipscan.physics.decays import dalitz_kernels, kernels
backend._preloading[0].join()
keep = kernels.contributing_parents(np.array([1.0, 50.0]), np.array([0.5, 0.001]), 0.0182, 0.5,
                                    0.01, 20.0, 0.1)
assert keep.tolist() == [1], keep
assert response_kernels.weigh_and_bin and dalitz_kernels.dalitz_batch
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "DIPSCAN_KERNELS": "compiled"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok" and not done.stderr


def test_a_run_reads_and_checks_its_scenario_once(tmp_path, monkeypatch):
    import dipscan.cli.run as run

    tiny = ROOT / "scenarios" / "examples" / "tiny.toml"
    read = []
    load = run.load_scenario
    monkeypatch.setattr(run, "load_scenario", lambda path: read.append(path) or load(path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIPSCAN_SAMPLE_CACHE", str(tmp_path / "samples"))
    assert run.run_scenarios([tiny], recompute=False) == [Path("outputs") / "tiny"]
    assert read == [tiny] and (tmp_path / "outputs" / "tiny" / "events.parquet").is_file()
