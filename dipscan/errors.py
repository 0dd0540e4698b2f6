"""Domain errors. Every user-facing failure is one of these, with a message that says what to do."""

from __future__ import annotations


class DipscanError(Exception):
    """Base class: the CLI prints the message and exits non-zero, without a traceback."""


class ScenarioError(DipscanError):
    """A scenario or preset file is wrong: names the file, the key path, what was found and what is allowed."""

    def __init__(self, file: str, key: str, found: object, allowed: str):
        self.file, self.key, self.found, self.allowed = str(file), key, found, allowed
        where = f"{self.file}: {key}" if key else self.file
        super().__init__(f"{where}: found {found!r}; allowed: {allowed}")


class TableError(DipscanError):
    """A meson table is missing, truncated or has the wrong schema."""

    def __init__(self, file: str, problem: str, fix: str = "regenerate it with `make tables`"):
        self.file, self.problem = str(file), problem
        super().__init__(f"{self.file}: {problem}; {fix}")
