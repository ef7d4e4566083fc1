"""Secrets kept in a file of the data directory in development: written once, owner-only.

The development issuer's key, the console's session key, the webhook signing key and the
checkpoint key are each made the first time a process needs them and then read by every
process that shares the data directory.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path


def write_once(path: Path, make: Callable[[], bytes]) -> None:
    """Write `make()` to `path` (mode 0600) unless the file exists; never replace it.

    Two processes starting together may both make one: each writes its own temporary file and
    links it into place, and the one that finds the name taken keeps the other's, so every
    process ends up reading the same secret.
    """
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(make())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
