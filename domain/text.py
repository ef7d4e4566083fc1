"""Constrained text and list types shared by commands and events."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

# Free text a user writes: a summary, a reason. Bounded so a paste accident cannot bloat the log.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000)]
# A short label: a reference number, a place.
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
