"""Errors that reach the user as a one-line reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class RingfenceError(Exception):
    """An error the user can act on; the CLI prints its message on one line and exits non-zero."""

    exit_code = 2


@dataclass(frozen=True)
class InputProblem:
    """One problem in an input file: where it is and why it is refused."""

    file: Path | str
    line: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" [{self.field}]"
        return f"{where}: {self.reason}"


class BadInput(RingfenceError):
    """Input refused as a whole; ``problems`` names every bad row."""

    exit_code = 1

    def __init__(self, message: str, problems: list[InputProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
