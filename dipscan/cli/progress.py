"""Progress of a run by named stages (tables, sampling, reduction, contours, overlays, writing).

On a terminal: one bar whose label names the stage, with the stage's real total. Elsewhere (a
batch log, a pipe): one plain line per finished stage with its duration.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

if TYPE_CHECKING:
    from rich.progress import Progress

STAGES = ("tables", "sampling", "reduction", "contours", "overlays", "writing")


class StageProgress:
    """Callable as `progress(stage, done, total)`; a context manager around the whole run."""

    def __init__(self, console: Console, name: str):
        self.console, self.name = console, escape(name)
        self.stage: str | None = None
        self.started = 0.0
        self.bar: Progress | None = None
        self.task = None

    def __enter__(self) -> StageProgress:
        if self.console.is_terminal:  # rich's live display only then (a log needs none)
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                                console=self.console, transient=True)
            self.bar.__enter__()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage:
            self._finish_stage()
            self.stage, self.started = stage, time.perf_counter()
            if self.bar is not None and self.task is None:
                self.task = self.bar.add_task("", total=total)
        if self.bar is not None:
            self.bar.update(self.task, description=f"{self.name}: {stage}", completed=done,
                            total=total)

    def _finish_stage(self) -> None:
        if self.stage is not None and self.bar is None:
            self.console.print(f"{self.name}: {self.stage} done in "
                               f"{time.perf_counter() - self.started:.1f} s", highlight=False)

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self._finish_stage()
        self.stage = None
        if self.bar is not None:
            self.bar.__exit__(kind, value, traceback)


def event_progress(console: Console) -> Progress:
    """Bars of PYTHIA8 events, one per production of a beam (`dipscan tables generate`)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("events"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=console, disable=not console.is_terminal)
