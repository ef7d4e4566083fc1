"""Where the CLI writes, and the one wrapper that turns expected failures into a clean exit."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from activities.store_errors import StoreError
from interfaces.errors import CliError, ExitCode

P = ParamSpec("P")
R = TypeVar("R")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


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
        except StoreError as error:
            raise fail(CliError(str(error), code=ExitCode.UNAVAILABLE)) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None

    return run
