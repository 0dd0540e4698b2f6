"""Render a Polars frame as a rich table (numbers to four significant figures)."""

from __future__ import annotations

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def print_frame(console: Console, frame: pl.DataFrame, title: str | None = None) -> None:
    table = Table(title=escape(title) if title else None)
    for column in frame.columns:
        table.add_column(escape(column), justify="right" if frame[column].dtype.is_numeric() else "left")
    for row in frame.iter_rows():  # text, never rich markup
        table.add_row(*(escape(_fmt(v)) for v in row))
    console.print(table)
