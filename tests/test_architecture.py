"""Imports run one way: the contracts of [tool.importlinter] in pyproject.toml hold."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("argv", [["list"], ["--version"]])
def test_quick_commands_load_no_configuration(argv):
    """`dipscan list` and `--version` answer at once: no typed models, no pydantic, no presets read."""
    code = ("import sys\nfrom dipscan.cli.commands import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m == 'pydantic' or m.startswith(('dipscan.config', "
            "'dipscan.production'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
