"""The `partnerships` command line: staff's and officials' steps, reading, and the store.

`main` is the console script's entry point; the Typer app is composed in `interfaces.cli.app`.
"""

from __future__ import annotations


def main() -> None:
    """Entry point of the `partnerships` console script."""
    from interfaces.cli.app import run

    run()
