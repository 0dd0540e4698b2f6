"""The command line: `dipscan` (dipscan.cli.commands) and what only it needs."""

from dipscan.cli.commands import main

__all__ = ["main"]
