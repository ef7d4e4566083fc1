"""Checkpoints outside the database: a file of JSON lines that is only ever appended to.

Each line is `{"checkpoint": document, "signature": base64}` (activities/checkpoints.py), in
position order. Exporting never rewrites a line already in the file: it reads the file, refuses
it when any line fails to verify with the trusted key (someone edited it, or it holds another
key's checkpoints), and appends the checkpoints after its last position, opening the file for
appending only — so it also works on a file the operating system keeps append-only
(`chattr +a`) or on a mount that only takes appends.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from activities.checkpoints import CheckpointInvalid, SignedCheckpoint, verified


class CheckpointFileInvalid(ValueError):
    """A checkpoint file with a line that is not a checkpoint the trusted key signed."""


def read_checkpoints(path: str | Path, key: Ed25519PublicKey) -> list[SignedCheckpoint]:
    """Every checkpoint in the file, each verified with `key`; CheckpointFileInvalid names the
    first line that fails and why."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CheckpointFileInvalid(f"{file} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CheckpointFileInvalid(f"{file} cannot be read ({error})") from None
    found: list[SignedCheckpoint] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or set(entry) != {"checkpoint", "signature"}:
                raise CheckpointInvalid('a line must be {"checkpoint": …, "signature": …}')
            signed = verified(entry["checkpoint"], entry["signature"], key)
        except (CheckpointInvalid, json.JSONDecodeError) as error:
            raise CheckpointFileInvalid(f"line {number} of {file}: {error}") from None
        if found and signed.checkpoint.position <= found[-1].checkpoint.position:
            raise CheckpointFileInvalid(
                f"line {number} of {file}: its position {signed.checkpoint.position} does not "
                f"follow the previous line's {found[-1].checkpoint.position}"
            )
        found.append(signed)
    return found


@dataclass(frozen=True)
class Exported:
    """What an export did: how many lines it added, and the file's last position after it."""

    added: int
    position: int


def export_checkpoints(
    path: str | Path, checkpoints: Sequence[SignedCheckpoint], key: Ed25519PublicKey
) -> Exported:
    """Append to the file the checkpoints after its last one (a new file is made)."""
    file = Path(path)
    existing = read_checkpoints(file, key) if file.exists() else []
    last = existing[-1].checkpoint.position if existing else -1
    new = sorted(
        (c for c in checkpoints if c.checkpoint.position > last),
        key=lambda c: c.checkpoint.position,
    )
    if new:
        with file.open("a", encoding="utf-8") as out:
            if file.stat().st_size and not file.read_bytes().endswith(b"\n"):
                out.write("\n")  # a last line cut short of its newline is finished first
            for signed in new:
                out.write(signed.line() + "\n")
            out.flush()
            os.fsync(out.fileno())  # on the disk before the command says it exported them
    return Exported(len(new), new[-1].checkpoint.position if new else max(last, 0))
