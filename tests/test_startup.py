"""What a run imports: heavy libraries stay off the path until a run needs them."""

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
