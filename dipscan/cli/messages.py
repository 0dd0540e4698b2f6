"""One-line messages to the user: never wrapped, user text never read as rich markup."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape


def print_error(console: Console, message: str) -> None:
    # soft_wrap: a long path stays on one line, whole, however narrow the terminal or log.
    console.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True, highlight=False)


def print_note(console: Console, message: str, kind: str = "note") -> None:
    console.print(f"[yellow]{kind}:[/yellow] {escape(message)}", soft_wrap=True, highlight=False)
