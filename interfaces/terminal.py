"""What a person at a terminal is told: the exit codes, the consoles, and every error mapped once.

Every expected failure becomes a `CliError` with a sentence a user can act on and an exit code
(README's table); `reported` prints it and exits with its code, so no traceback reaches a user.
The application core's errors are mapped here, once, with the command that fixes each.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import IntEnum
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from activities.store_errors import StoreError
from app.exceptions import (
    AlreadyOpen,
    AppError,
    Ended,
    NotAccepted,
    NotFound,
    Rejected,
    StillRecording,
    TemporalUnreachable,
    Unavailable,
)
from app.partnerships import QueryUnanswered
from settings import TEMPORAL_HINT, SettingsError

P = ParamSpec("P")
R = TypeVar("R")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


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


_START_A_WORKER = "start one with `partnerships worker` (or `make run`, which starts one for you)."


def explained(error: AppError | SettingsError | StoreError) -> CliError:
    """The one mapping of the core's errors to what the terminal says, and its exit code."""
    match error:
        case SettingsError():
            return CliError(str(error), code=ExitCode.USAGE)
        case StoreError():
            return CliError(str(error), code=ExitCode.UNAVAILABLE)
        case Ended():
            return CliError(
                f"{error.message}. `partnerships propose {error.country} …` opens a new one."
            )
        case Rejected():
            return CliError(f"rejected: {error.message}")
        case AlreadyOpen():
            return CliError(f"{error.message}; see `partnerships show {error.country}`.")
        case NotFound():
            return CliError(
                f"{error.message}; propose one with `partnerships propose {error.country} …`.",
                code=ExitCode.NOT_FOUND,
            )
        case TemporalUnreachable():
            return CliError(f"{error.message}. {TEMPORAL_HINT}", code=ExitCode.UNAVAILABLE)
        case NotAccepted():
            return CliError(f"{error.message}; {_START_A_WORKER}", code=ExitCode.UNAVAILABLE)
        case StillRecording():
            return CliError(
                f"{error.message}. Check with `partnerships show {error.country}` before "
                "sending it again.",
                code=ExitCode.UNAVAILABLE,
            )
        case QueryUnanswered():
            return CliError(
                f"workflow {error.workflow_id} did not answer its status query within "
                f"{error.waited_s} s: no worker is polling task queue {error.task_queue} "
                "(start one with `partnerships worker` or `make run`), or the workflow's task "
                "is failing (open it in the Temporal UI)",
                code=ExitCode.UNAVAILABLE,
            )
        case Unavailable():
            return CliError(error.message, code=ExitCode.UNAVAILABLE)
    return CliError(error.message)


def fail(error: CliError) -> typer.Exit:
    """Print an expected failure on stderr and return the Exit that ends the command."""
    # Markup is off: a domain message may contain brackets, and must be shown verbatim.
    err.print(f"error: {error.message}", markup=False, soft_wrap=True)
    return typer.Exit(int(error.code))


def reported(command: Callable[P, R]) -> Callable[P, R]:
    """Run a CLI command so that no expected failure reaches the user as a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CliError as error:
            raise fail(error) from None
        except (AppError, SettingsError, StoreError) as error:
            raise fail(explained(error)) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return run
