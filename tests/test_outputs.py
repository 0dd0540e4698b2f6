"""Outputs are swapped in whole or not at all."""

import pytest

from dipscan.io.outputs import staged_directory


def test_failed_run_keeps_previous_outputs(tmp_path):
    target = tmp_path / "out"
    with staged_directory(target) as folder:
        (folder / "events.csv").write_text("old\n")
    with pytest.raises(RuntimeError), staged_directory(target) as folder:
        (folder / "events.csv").write_text("half")
        raise RuntimeError("interrupted")
    assert (target / "events.csv").read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_successful_run_replaces_whole_folder(tmp_path):
    target = tmp_path / "out"
    with staged_directory(target) as folder:
        (folder / "a.txt").write_text("1")
    with staged_directory(target) as folder:
        (folder / "b.txt").write_text("2")
    assert sorted(p.name for p in target.iterdir()) == [".dipscan-output", "b.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
