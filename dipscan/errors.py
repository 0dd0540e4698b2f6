"""Domain errors. Every user-facing failure is one of these, with a message that says what to do."""

from __future__ import annotations


def _rebuild(cls: type, message: str, state: dict) -> DipscanError:
    err = Exception.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(state)
    return err


class DipscanError(Exception):
    """Base class: the CLI prints the message and exits non-zero, without a traceback."""

    def __reduce__(self):
        # Subclasses take several arguments but keep only the message in `args`: rebuild from
        # the message and the attributes, so process pools and Dask hand back the real error.
        return (_rebuild, (type(self), str(self), dict(self.__dict__)))


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


class OutputError(DipscanError):
    """The output location cannot be written, or writing it failed; earlier outputs are kept."""

    def __init__(self, path: str, problem: str, fix: str):
        self.path, self.problem, self.fix = str(path), problem, fix
        super().__init__(f"{self.path}: {problem}; {fix}")


class SweepError(DipscanError):
    """Some scenarios of a sweep failed (each was reported); the others were written."""

    def __init__(self, failed: list[str], total: int):
        self.failed, self.total = list(failed), total
        super().__init__(f"{len(self.failed)} of {total} scenarios failed: {', '.join(self.failed)}")
