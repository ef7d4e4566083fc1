"""Constrained text and list types shared by commands and events."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# C0 controls but tab, line feed and carriage return, and DEL: never meaningful in a record,
# and a NUL cannot even be stored by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(value: str) -> str:
    """Refuse control characters, naming the first one found."""
    found = _CONTROL.search(value)
    if found is not None:
        raise ValueError(
            f"must not contain control characters (found U+{ord(found.group()):04X} at "
            f"position {found.start()}); use plain text, tabs and line breaks"
        )
    return value


# Free text a user writes: a summary, a reason. Bounded so a paste accident cannot bloat the log.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
    AfterValidator(printable),
]
# A short label: a reference number, a place.
Label = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=300),
    AfterValidator(printable),
]
