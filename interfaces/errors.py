"""What the CLI tells a person when something expected goes wrong, and with which exit code.

Every expected failure becomes a `CliError` with a sentence a user can act on; `cli.main` prints
it and exits with its code, so no traceback reaches a user.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum

from pydantic import ValidationError


class ExitCode(IntEnum):
    """The CLI's exit codes (documented in the README)."""

    OK = 0
    REJECTED = 1  # the domain or the input refused the step; nothing was recorded
    USAGE = 2  # Typer's own code for a malformed command line
    UNAVAILABLE = 3  # Temporal, the worker or the database could not be reached
    NOT_FOUND = 4  # no such partnership


class CliError(Exception):
    """An expected failure: its message is shown as is, and the CLI exits with `code`."""

    def __init__(self, message: str, *, code: ExitCode = ExitCode.REJECTED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


def _field_label(loc: tuple[int | str, ...], options: Mapping[str, str]) -> str:
    names = [str(part) for part in loc if not isinstance(part, int)]
    if not names:
        return "the input"
    head = names[0]
    if head in options:
        return options[head]
    return ".".join(names)


def explain_validation_error(
    error: ValidationError, *, options: Mapping[str, str] | None = None
) -> str:
    """A short sentence per problem, naming the field (as the CLI option when known).

    Pydantic's own messages already say what is allowed ("Input should be 'launch' or
    'do_not_launch'"); the noise around them (URLs, input reprs, error types) is dropped.
    """
    labels = options or {}
    lines: list[str] = []
    for problem in error.errors(include_url=False):
        label = _field_label(tuple(problem.get("loc", ())), labels)
        message = str(problem.get("msg", "is invalid"))
        message = message.removeprefix("Value error, ")
        given = problem.get("input")
        shown = f" (given {given!r})" if isinstance(given, str | int | float) else ""
        lines.append(f"{label}: {message}{shown}")
    return "; ".join(lines) if lines else str(error)
