"""Fault injection: every mistake and machine fault ends in one line, never a lost file.

One test per reproduction of the robustness review (numbered as there). Each asserts the
message, the exit code, that no traceback was printed, and that every file that existed before
is byte-identical afterwards.
"""

import errno
import json
import os
import pickle
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from dipscan import cli, errors
from dipscan.cli.preflight import max_photon_energy_GeV
from dipscan.io.outputs import MARKER, clean_stale, write_marker
from dipscan.physics.constants import PROTON_MASS_GeV

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.toml"

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------- helpers
def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def assert_kept(before: dict[str, bytes], root: Path) -> None:
    for name, data in before.items():
        assert (root / name).is_file(), f"{name} was removed"
        assert (root / name).read_bytes() == data, f"{name} was changed"


def no_leftovers(folder: Path) -> None:
    left = [p.name for p in folder.iterdir() if ".staging-" in p.name or ".retired-" in p.name]
    assert left == []


def run(capsys, *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    return code, text


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error:")]


def scenario(folder: Path, name: str, *replacements: tuple[str, str]) -> Path:
    text = TINY.read_text()
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    path = folder / f"{name}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def run_python(code: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture
def work(tmp_path, tmp_path_factory, monkeypatch):
    """A working folder with a user's file beside it and earlier outputs of tiny in out/.

    The sample cache lives outside it (the snapshots below are of the user's folder)."""
    monkeypatch.setenv("DIPSCAN_SAMPLE_CACHE", str(tmp_path_factory.mktemp("samples")))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    (tmp_path / "thesis.tex").write_text("\\section{Results}\n")
    assert cli.main(["run", str(TINY), "--output", "out"]) == 0
    return tmp_path


@pytest.fixture
def home(make_home):
    """A copy of the scenarios and tables, to damage (DIPSCAN_HOME points at it)."""
    return make_home(".", tables="copy")


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


# --------------------------------------------------------------------------- 1. data loss
@pytest.mark.parametrize("case", ["user folder", "outputs folder", "user file"])
def test_1_never_replaces_what_dipscan_did_not_write(work, capsys, case):
    if case == "user folder":
        target = work / "p"
        target.mkdir()
        (target / "thesis.tex").write_text("x\n")
        expected = "p: is a folder dipscan did not write (it holds thesis.tex); dipscan never replaces it"
    elif case == "outputs folder":
        target = work / "outputs"
        shutil.copytree(work / "out", target / "other")
        expected = "outputs: holds the results of other scenarios (other); give each scenario its own folder"
    else:
        target = work / "somefile"
        target.write_text("x\n")
        expected = "somefile: exists and is not a folder dipscan wrote"
    before = snapshot(work)
    code, text = run(capsys, "run", str(TINY), "--output", target.name)
    assert code == 2
    assert error_lines(text) == [f"error: {error_lines(text)[0][7:]}"] and expected in text
    assert "tables done" not in text  # refused before computing
    assert_kept(before, work)
    assert snapshot(work) == before
    no_leftovers(work)


def test_1_refuses_another_scenarios_folder_and_accepts_a_legacy_one(work, capsys):
    other = scenario(work, "other")
    before = snapshot(work)
    code, text = run(capsys, "run", str(other), "--output", "out")
    assert code == 2
    assert error_lines(text) == ["error: out: holds the outputs of scenario 'tiny', not 'other'; "
                                 "choose another --output (a new folder, or one dipscan wrote)"]
    assert snapshot(work) == before
    (work / "out" / MARKER).unlink()  # written before the marker existed: only dipscan's files
    code, _ = run(capsys, "run", str(TINY), "--output", "out")
    assert code == 0 and (work / "out" / MARKER).is_file()


def test_1_keeps_a_users_file_inside_an_output_folder(work, capsys):
    (work / "out" / "my_notes.txt").write_text("fit looks odd at 0.3 GeV\n")
    before = snapshot(work)
    code, text = run(capsys, "run", str(TINY), "--output", "out")
    assert code == 2
    assert error_lines(text) == ["error: out: holds files dipscan did not write (my_notes.txt); "
                                 "move them out of the folder, or choose another --output (a new "
                                 "folder, or one dipscan wrote)"]
    assert "tables done" not in text
    assert snapshot(work) == before


def test_1_replaces_its_own_folder_and_an_empty_one(work, capsys):
    (work / "empty").mkdir()
    before = snapshot(work)
    for target in ("out", "empty"):
        code, _ = run(capsys, "run", str(TINY), "--output", target)
        assert code == 0
        assert (work / target / MARKER).is_file()
    assert (work / "out" / "events.csv").read_bytes() == before["out/events.csv"]
    assert (work / "thesis.tex").read_bytes() == before["thesis.tex"]
    no_leftovers(work)


# --------------------------------------------------------------------------- 2. sweeps
@pytest.mark.parametrize("executor", ["local", "dask"])
def test_2_sweep_reports_the_real_error_and_writes_the_good_scenario(tmp_path, home, monkeypatch,
                                                                    capsys, executor):
    monkeypatch.chdir(tmp_path)
    table = home / "tables" / "lhc14" / "111_pi0.parquet"
    with table.open("r+b") as f:
        f.truncate(1000)
    good = scenario(tmp_path, "tiny")
    bad = scenario(tmp_path, "X", ('preset = "na62"', 'preset = "faser2"'))
    before = snapshot(tmp_path)
    code, text = run(capsys, "run", str(good), str(bad), "--executor", executor, "--workers", "2")
    assert code == 2
    assert f"error: {table}: not a readable Parquet file (truncated or corrupt" in text
    assert f"error: 1 of 2 scenarios failed: {bad}" in text
    assert (tmp_path / "outputs" / "tiny" / "events.csv").is_file()
    assert not (tmp_path / "outputs" / "X").exists()
    assert_kept(before, tmp_path)


def test_2_a_sweep_installs_nothing_over_a_file_that_appeared_while_computing(work, capsys,
                                                                              monkeypatch):
    """A worker writes each scenario of a sweep beside its folder; the main process swaps it in
    only if the folder is still one dipscan may replace, else drops it and says so."""
    import dipscan.cli.run as runner

    first, second = scenario(work, "s1"), scenario(work, "s2", ("seed = 7", "seed = 8"))
    real = runner.install_staged

    def install(staging, target, name):
        if name == "s1":
            target.mkdir(parents=True, exist_ok=True)
            (target / "draft.txt").write_text("mine\n")
        return real(staging, target, name)

    monkeypatch.setattr(runner, "install_staged", install)
    code, text = run(capsys, "run", str(first), str(second), "--workers", "2")
    assert code == 2
    assert error_lines(text)[0] == ("error: outputs/s1: is a folder dipscan did not write (it holds "
                                    "draft.txt); dipscan never replaces it; choose another --output "
                                    "(a new folder, or one dipscan wrote)")
    assert sorted(p.name for p in (work / "outputs" / "s1").iterdir()) == ["draft.txt"]
    assert (work / "outputs" / "s2" / "events.csv").is_file()
    no_leftovers(work / "outputs")


def _error_samples():
    return [errors.DipscanError("plain"), errors.ScenarioError("a.toml", "grid.mass.min", -1, "> 0"),
            errors.TableError("t.parquet", "truncated"), errors.OutputError("out", "full", "free"),
            errors.SweepError(["a.toml"], 2)]


def test_2_every_error_class_survives_pickling():
    samples = _error_samples()
    classes = {type(e) for e in samples}
    pending = [errors.DipscanError]
    while pending:  # every subclass anywhere in dipscan must be covered by a sample
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        assert cls in classes or issubclass(cls, tuple(classes - {errors.DipscanError})), cls
    for err in samples:
        back = pickle.loads(pickle.dumps(err))
        assert type(back) is type(err) and str(back) == str(err)
        assert back.__dict__ == err.__dict__


# --------------------------------------------------------------------------- 3. late failures
def test_3a_read_only_outputs_folder_is_refused_before_computing(work, capsys):
    (work / "outputs").mkdir()
    (work / "outputs" / "notes.txt").write_text("mine\n")
    before = snapshot(work)
    os.chmod(work / "outputs", 0o555)
    try:
        code, text = run(capsys, "run", str(TINY))
    finally:
        os.chmod(work / "outputs", 0o755)
    assert code == 2
    assert "error: outputs: is read-only: the output folder cannot be written there" in text
    assert "tables done" not in text
    assert snapshot(work) == before


@pytest.mark.parametrize("how", ["polars", "oserror"])
def test_3b_disk_full_is_one_line_and_keeps_earlier_outputs(work, capsys, monkeypatch, how):
    before = snapshot(work)

    def full(self, *args, **kwargs):
        if how == "polars":  # what polars raises when the disk fills
            raise pl.exceptions.ComputeError("failed to write: No space left on device (os error 28)")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_csv", full)
    code, text = run(capsys, "run", str(TINY), "--output", "out")
    assert code == 2
    assert ("error: out/events.csv: cannot write: the disk is full (no space left on device); "
            "free some space and run again; earlier outputs are untouched") in text
    assert snapshot(work) == before
    no_leftovers(work)


def test_3b_disk_full_before_the_first_file_names_the_output_folder(work, capsys, monkeypatch):
    before = snapshot(work)
    real = Path.mkdir

    def full(self, *args, **kwargs):
        if ".staging-" in self.name:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", full)
    code, text = run(capsys, "run", str(TINY), "--output", "out")
    assert code == 2
    assert error_lines(text) == ["error: out: cannot write: the disk is full (no space left on "
                                 "device); free some space and run again; earlier outputs are "
                                 "untouched"]
    assert snapshot(work) == before
    no_leftovers(work)


@pytest.mark.parametrize("failing", ["figure", "table"])
def test_3b_disk_full_while_the_figure_is_drawn_beside_the_tables(work, capsys, monkeypatch, failing):
    # The figure is saved in a thread while the tables are written: a failure on either side
    # is still one line naming its file, and the earlier outputs stay whole.
    path = scenario(work / "study", "tiny", ('formats = ["parquet", "csv"]',
                                             'formats = ["parquet", "csv", "png", "pdf"]'))
    before = snapshot(work)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig" if failing == "figure"
                        else "polars.DataFrame.write_csv", full)
    code, text = run(capsys, "run", str(path), "--output", "out")
    assert code == 2
    name = "plot.png" if failing == "figure" else "events.csv"
    assert error_lines(text) == [f"error: out/{name}: cannot write: the disk is full (no space left "
                                 "on device); free some space and run again; earlier outputs are "
                                 "untouched"]
    assert snapshot(work) == before
    no_leftovers(work)


def test_3b_too_little_free_space_is_refused_before_computing(work, capsys, monkeypatch):
    before = snapshot(work)
    monkeypatch.setattr("dipscan.cli.preflight.shutil.disk_usage",
                        lambda path: shutil._ntuple_diskusage(10**9, 10**9 - 1000, 1000))
    code, text = run(capsys, "run", str(TINY), "--output", "out")
    assert code == 2
    [line] = error_lines(text)
    assert line.startswith("error: out: needs about ") and line.endswith(
        " kB of disk space, 1.0 kB free; free some space or choose another --output")
    assert "tables done" not in text
    assert snapshot(work) == before


def test_3b_file_size_limit_is_one_line_and_keeps_earlier_outputs(work):
    before = snapshot(work)
    result = run_python(
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (5000, 5000))\n"
        "from dipscan.cli.commands import main\n"
        f"sys.exit(main(['run', {str(TINY)!r}, '--output', 'out']))\n", work)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert ("error: out/events.csv: cannot write: the file size limit was reached (see `ulimit -f`)"
            in result.stderr)
    assert snapshot(work) == before
    no_leftovers(work)


def test_3c_manifest_entry_without_file_is_refused_before_computing(tmp_path, home, monkeypatch,
                                                                    capsys):
    monkeypatch.chdir(tmp_path)
    manifest = home / "tables" / "sps400" / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["tables"][0]["file"]
    manifest.write_text(json.dumps(data, indent=2))
    before = snapshot(tmp_path)
    for command in ("run", "validate"):
        code, text = run(capsys, command, str(TINY))
        assert code == 2
        assert f"error: {manifest}: tables[0].file: found None, expected the name of a Parquet" in text
        assert "tables done" not in text
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------- 4. labels
def test_4_labels_are_text_not_markup(work, capsys):
    labelled = scenario(work, "labelled", ('preset = "na62"', 'preset = "na62"\nlabel = "NA62 [/b] 1e17"\n'
                                           '[[experiment]]\npreset = "na62"\nlabel = "NA62 [phase 1] 1e17"'))
    before = snapshot(work)
    code, text = run(capsys, "run", str(labelled), "--output", "labelled_out")
    assert code == 0
    assert "NA62 [/b] 1e17" in text and "NA62 [phase 1] 1e17" in text
    code, text = run(capsys, "validate", str(labelled))
    assert code == 0 and "NA62 [/b] 1e17, NA62 [phase 1] 1e17" in text
    assert_kept(before, work)


# --------------------------------------------------------------------------- 5. same stem
def test_5_two_scenarios_writing_one_folder_are_refused_up_front(work, capsys):
    first = scenario(work / "a", "tiny")
    second = scenario(work / "b", "tiny", ("seed = 7", "seed = 8"))
    before = snapshot(work)
    code, text = run(capsys, "run", str(first), str(second))
    assert code == 2
    assert (f"error: {first} and {second} would both write outputs/tiny (outputs are named after "
            "the file): rename one of them") in text
    assert not (work / "outputs").exists()
    assert snapshot(work) == before


# --------------------------------------------------------------------------- 6. read-only target
def test_6_read_only_target_folder_is_not_swapped_out(work, capsys):
    before = snapshot(work)
    os.chmod(work / "out", 0o555)
    try:
        code, text = run(capsys, "run", str(TINY), "--output", "out")
    finally:
        os.chmod(work / "out", 0o755)
    assert code == 2
    assert "error: out: is read-only; make it writable (chmod u+w) or choose another --output" in text
    assert snapshot(work) == before
    no_leftovers(work)


# --------------------------------------------------------------------------- 7. kill / SIGTERM
def _interrupt_while_writing(sig: str) -> str:
    return ("import os, signal, sys\n"
            "import dipscan.cli.run as runner\n"
            "real = runner.write_table\n"
            "def write(frame, folder, stem, formats):\n"
            f"    if stem == 'contours': os.kill(os.getpid(), signal.{sig})\n"
            "    return real(frame, folder, stem, formats)\n"
            "runner.write_table = write\n"
            "from dipscan.cli.commands import main\n"
            f"sys.exit(main(['run', {str(TINY)!r}, '--output', 'out']))\n")


def test_7_sigterm_while_writing_keeps_earlier_outputs(work):
    before = snapshot(work)
    result = run_python(_interrupt_while_writing("SIGTERM"), work)
    assert result.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in result.stderr
    assert ("error: interrupted (SIGTERM) before any new outputs were installed: earlier outputs "
            "are untouched") in result.stderr
    assert snapshot(work) == before
    no_leftovers(work)


def _patched_sweep(work: Path, patch: str) -> subprocess.CompletedProcess:
    """A sweep of two tiny scenarios on two workers, in a process where `patch` (code that
    wraps `real`, dipscan.scan.sweep.run_sweep, as `run_sweep`) has replaced the schedule."""
    first, second = scenario(work, "s1"), scenario(work, "s2", ("seed = 7", "seed = 8"))
    code = ("import os, signal, sys\n"
            "import dipscan.scan.sweep as sweep\n"
            "real = sweep.run_sweep\n"
            f"{patch}"
            "sweep.run_sweep = run_sweep\n"
            "from dipscan.cli.commands import main\n"
            f"sys.exit(main(['run', {str(first)!r}, {str(second)!r}, '--workers', '2']))\n")
    return run_python(code, work)


def test_7_sigterm_stops_a_parallel_sweep(work):
    before = snapshot(work)
    result = _patched_sweep(work, "def run_sweep(*args, **kwargs):\n"
                                  "    os.kill(os.getpid(), signal.SIGTERM)\n"
                                  "    return real(*args, **kwargs)\n")
    assert result.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in result.stderr
    assert ("error: interrupted (SIGTERM) before any new outputs were installed: earlier outputs "
            "are untouched") in result.stderr
    assert {k: v for k, v in snapshot(work).items() if not k.endswith(".toml")} == before


def test_7_a_worker_that_dies_ends_a_sweep_in_one_line(work):
    before = snapshot(work)
    # The workers die as the first scenario is handed out.
    result = _patched_sweep(work, "def run_sweep(works, n, submit, pool, workers, **kwargs):\n"
                                  "    def killing(k):\n"
                                  "        for process in list(pool._processes.values()):\n"
                                  "            os.kill(process.pid, signal.SIGKILL)\n"
                                  "        return submit(k)\n"
                                  "    return real(works, n, killing, pool, workers, **kwargs)\n")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "a worker process of the sweep died (killed, or out of memory)" in lines[0]
    assert "0 of 2 scenarios were written" in lines[0]
    assert {k: v for k, v in snapshot(work).items() if not k.endswith(".toml")} == before
    no_leftovers(work)


def test_7_sigkill_leftovers_are_cleaned_by_the_next_run(work, capsys):
    before = snapshot(work)
    result = run_python(_interrupt_while_writing("SIGKILL"), work)
    assert result.returncode == -signal.SIGKILL
    assert [p.name.split("-")[0] for p in work.iterdir() if ".staging-" in p.name] == [".out.staging"]
    assert snapshot(work) == {**before, **{k: v for k, v in snapshot(work).items() if ".staging-" in k}}
    code, text = run(capsys, "run", str(TINY), "--output", "out")
    assert code == 0
    assert "note: cleaned up .out.staging-" in text and ", left by a run that was killed" in text
    no_leftovers(work)
    assert (work / "out" / "events.csv").read_bytes() == before["out/events.csv"]


def test_7_only_dead_runs_marked_folders_are_cleaned(tmp_path):
    target = tmp_path / "out"
    dead, alive = dead_pid(), os.getpid()
    kinds = {"dead": f".out.staging-{dead}-abcd1234", "alive": f".out.staging-{alive}-abcd1234",
             "unmarked": f".out.staging-{dead}-0000ffff"}
    for kind, name in kinds.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "x.csv").write_text(kind)
        if kind != "unmarked":
            write_marker(tmp_path / name, "out")
    retired = tmp_path / f".out.retired-{dead}"  # a run killed between the two renames
    retired.mkdir()
    write_marker(retired, "out")
    (retired / "events.csv").write_text("the last complete outputs\n")
    cleaned = clean_stale(target)
    assert sorted(p.name for p in cleaned) == sorted([kinds["dead"], retired.name])
    assert (target / "events.csv").read_text() == "the last complete outputs\n"  # put back
    assert (tmp_path / kinds["alive"]).is_dir() and (tmp_path / kinds["unmarked"]).is_dir()


# --------------------------------------------------------------------------- 8. SIGINT after swap
@pytest.mark.parametrize("when", ["before", "after"])
def test_8_interrupt_message_says_what_was_installed(work, capsys, monkeypatch, when):
    before = snapshot(work)

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("dipscan.cli.run.print_summary" if when == "after" else
                        "dipscan.cli.report.dominance_frame", interrupt)
    code, text = run(capsys, "run", str(TINY), "--output", "out")
    assert code == 130
    if when == "after":
        assert ("error: interrupted (SIGINT) after the new outputs were installed in out; every "
                "other output folder is untouched") in text
        assert (work / "out" / "events.csv").read_bytes() == before["out/events.csv"]
        assert_kept({k: v for k, v in before.items() if not k.startswith("out/")}, work)
    else:
        assert ("error: interrupted (SIGINT) before any new outputs were installed: earlier "
                "outputs are untouched") in text
        assert snapshot(work) == before
    no_leftovers(work)


# --------------------------------------------------------------------------- 9. CLI arguments
@pytest.mark.parametrize(("argv", "message"), [
    (["run", str(TINY), "--workers", "0"], "argument --workers: found '0'; allowed: a whole number >= 1"),
    (["run", str(TINY), str(TINY), "--workers", "-1"], "argument --workers: found '-1'"),
    (["physics", "--model", "dark_dipole", "--delta", "0.1", "--mass", "0.1", "--coupling", "inf"],
     "argument --coupling: found 'inf'; allowed: a finite number > 0"),
    (["physics", "--model", "dark_dipole", "--delta", "0.1", "--mass", "0.1", "--coupling", "nan"],
     "argument --coupling: found 'nan'"),
    (["physics", "--model", "dark_dipole", "--delta", "0.1", "--mass", "0.1", "--coupling=-1e-6"],
     "argument --coupling: found '-1e-6'"),
    (["physics", "--model", "neutrino_dipole", "--flavour", "mu", "--mass", "0", "--coupling", "1"],
     "argument --mass: found '0'"),
    (["physics", "--model", "dark_dipole", "--delta", "0", "--mass", "0.1", "--coupling", "1e-3"],
     "argument --delta: found '0'"),
])
def test_9_numeric_arguments_are_checked(work, capsys, argv, message):
    before = snapshot(work)
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err and "Traceback" not in err
    assert snapshot(work) == before


def test_9_physics_notes_and_model_options(work, capsys):
    before = snapshot(work)
    code, text = run(capsys, "physics", "--model", "dark_dipole", "--delta", "0.1", "--mass", "20",
                     "--coupling", "1e-3")
    assert code == 0 and "note: no production channel is open at mass 20 GeV" in text
    code, text = run(capsys, "physics", "--model", "dark_dipole", "--delta", "0.1", "--flavour", "mu",
                     "--mass", "0.1", "--coupling", "1e-3")
    assert code == 2
    assert error_lines(text) == ["error: --flavour is for --model neutrino_dipole; dark_dipole takes --delta"]
    assert snapshot(work) == before


def test_9_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    out = capsys.readouterr().out
    assert exit_.value.code == 0 and out.startswith("dipscan 0.1.0")
    if (ROOT / ".git").exists():
        assert "(commit " in out


# --------------------------------------------------------------------------- 10. pointless runs
@pytest.mark.parametrize(("case", "replacements", "note"), [
    ("no channel", [("min = 0.05", "min = 20"), ("max = 1.0", "max = 30")],
     "note: no production channel is open anywhere on the mass grid (20-30 GeV): every event count is zero"),
    ("threshold", [('preset = "na62"', 'preset = "na62"\nphoton_threshold_GeV = 1000')],
     "photon_threshold_GeV = 1000 is above the largest photon energy the sps400 beam allows (398.6 GeV)"),
    ("coarse", [("points = 4", "points = 2")],
     "note: grid.mass.points = 2: too coarse for a contour"),
])
def test_10_pointless_scenarios_run_with_a_note(work, capsys, case, replacements, note):
    path = scenario(work, "pointless", *replacements)
    before = snapshot(work)
    code, text = run(capsys, "run", str(path), "--output", "pointless_out")
    assert code == 0 and note in text
    recorded = json.loads((work / "pointless_out" / "provenance.json").read_text())["notes"]
    assert any(note.removeprefix("note: ") in line for line in recorded)
    assert_kept(before, work)


def test_10_huge_grid_stops_with_an_estimate_unless_confirmed(work, capsys):
    path = scenario(work, "huge", ("points = 4", "points = 2000"), ("points = 5", "points = 2000"))
    before = snapshot(work)
    code, text = run(capsys, "run", str(path))
    assert code == 2
    line = error_lines(text)[0]
    assert "grid: found '2000 x 2000 points, about" in line and "GB of memory" in line
    assert "`confirm_large = true` in [scenario] or `--confirm-large`" in line
    assert "tables done" not in text
    code, text = run(capsys, "validate", str(path))
    assert code == 0 and "note: estimate: about" in text and "`dipscan run` stops unless" in text
    assert snapshot(work) == before


def test_10_a_confirmed_huge_grid_passes_the_checks(work, monkeypatch):
    from dipscan.cli.preflight import preflight
    from dipscan.config.scenario import load_scenario

    monkeypatch.setattr("dipscan.cli.preflight.shutil.disk_usage",
                        lambda path: shutil._ntuple_diskusage(10**13, 0, 10**13))
    flag = load_scenario(scenario(work, "huge", ("points = 4", "points = 2000"),
                                  ("points = 5", "points = 2000")))
    key = load_scenario(scenario(work, "huge_key", ("points = 4", "points = 2000"),
                                 ("points = 5", "points = 2000"), ("seed = 7", "seed = 7\nconfirm_large = true")))
    for notes in (preflight(flag, work / "outputs" / "huge", confirm_large=True),
                  preflight(key, work / "outputs" / "huge_key")):
        assert notes[0].startswith("estimate: about ") and "GB of memory" in notes[0]


def test_10_estimated_rows_are_the_rows_written(work):
    from dipscan.cli.preflight import estimate
    from dipscan.config.scenario import load_scenario

    written = pl.read_parquet(work / "out" / "events.parquet").height
    assert estimate(load_scenario(TINY)).rows == written


def test_10_photon_bound_is_the_kinematic_limit():
    # Fixed target, photon against two nucleons at rest in the CM, boosted: the closed form
    # (E - m)(E + m + p) / (2 (E + m)); collider: (s - 4 m^2) / (2 sqrt s), just below E_beam.
    m, energy = PROTON_MASS_GeV, 400.0
    p = (energy**2 - m**2) ** 0.5
    assert max_photon_energy_GeV("sps400") == pytest.approx(
        (energy - m) * (energy + m + p) / (2 * (energy + m)), rel=1e-12)
    assert max_photon_energy_GeV("lhc14") == pytest.approx(7000.0 - 2 * m * m / 14000.0, rel=1e-12)


# --------------------------------------------------------------------------- 11. smaller
def test_11_folders_and_files_follow_the_umask(work, capsys):
    old = os.umask(0o002)
    try:
        code, _ = run(capsys, "run", str(TINY), "--output", "group")
    finally:
        os.umask(old)
    assert code == 0
    assert stat.S_IMODE((work / "group").stat().st_mode) == 0o775
    assert stat.S_IMODE((work / "group" / "events.csv").stat().st_mode) == 0o664
    assert stat.S_IMODE((work / "group" / "provenance.json").stat().st_mode) == 0o664


def test_11_validate_reads_beam_presets(tmp_path, home, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    beam = home / "scenarios" / "beams" / "sps400.toml"
    beam.write_text(beam.read_text() + "\n[broken\n")
    before = snapshot(tmp_path)
    code, text = run(capsys, "validate", str(TINY))
    assert code == 2 and f"error: {beam}" in text
    assert snapshot(tmp_path) == before


def test_11_progress_names_every_stage_and_errors_are_not_wrapped(work, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    # another seed: the events of the tiny scenario run before are in the events cache
    path = scenario(work, "relic", ("[output]", "[overlays]\nrelic = true\n\n[output]"),
                    ("seed = 7", "seed = 17"))
    code, text = run(capsys, "run", str(path), "--output", "relic_out")
    assert code == 0
    for stage in ("tables", "sampling", "reduction", "contours", "overlays", "writing"):
        assert f"relic: {stage} done in " in text
    code, text = run(capsys, "run", "--recompute", str(path), "--output", "relic_out")
    assert code == 0
    for stage in ("tables", "events from the cache", "contours", "overlays", "writing"):
        assert f"relic: {stage} done in " in text
    assert "sampling done" not in text and "reduction done" not in text
    deep = work / ("a_rather_long_folder_name_" * 4) / "somefile"
    deep.parent.mkdir()
    deep.write_text("x\n")
    code, text = run(capsys, "run", str(TINY), "--output", str(deep))
    assert code == 2
    assert len(error_lines(text)) == 1 and str(deep) in error_lines(text)[0]
    assert error_lines(text)[0].endswith("(a new folder, or one dipscan wrote)")


def test_11_provenance_names_the_commit_and_every_package(work):
    record = json.loads((work / "out" / "provenance.json").read_text())
    assert set(record["dipscan"]) == {"version", "commit", "dirty"}
    if (ROOT / ".git").exists():
        assert len(record["dipscan"]["commit"]) == 40 and isinstance(record["dipscan"]["dirty"], bool)
    for package in ("numpy", "scipy", "polars", "matplotlib", "contourpy", "particle", "pythia8mc",
                    "hnlimits", "dask", "distributed"):
        assert record["versions"][package] != "not installed", package
