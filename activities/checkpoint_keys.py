"""The Ed25519 key that signs checkpoints, held outside the database.

CHECKPOINT_SIGNING_KEY_FILE names a PEM file of the private key (PKCS#8, unencrypted); in
production it is required. In development, without it, a key is made once in DATA_DIR
(`checkpoint-signing.pem`, owner-only), as the development issuer's key is. Whoever verifies
needs only the public half (`partnerships checkpoint public-key`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from activities.secret_files import write_once

KEY_FILE: Final = "checkpoint-signing.pem"
"""The development signing key, in the data directory (DATA_DIR)."""

_MAKE_ONE: Final = (
    "make one with `openssl genpkey -algorithm ed25519 -out checkpoint-signing.pem` and keep "
    "it where a database administrator cannot read or replace it"
)


class CheckpointKeyError(ValueError):
    """The checkpoint key is missing where it is required, unreadable, or not Ed25519."""


def key_id(public: Ed25519PublicKey) -> str:
    """The key's id: SHA-256 of its 32 raw public bytes, as lowercase hex."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def public_pem(public: Ed25519PublicKey) -> str:
    """The public key as PEM (SubjectPublicKeyInfo), for auditors."""
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def signing_key(
    configured: str | None, *, production: bool, data_dir: str | Path
) -> Ed25519PrivateKey:
    """CHECKPOINT_SIGNING_KEY_FILE's key; else, in development only, the one in DATA_DIR."""
    if configured is not None and configured.strip():
        return _read_private(Path(configured.strip()), source="CHECKPOINT_SIGNING_KEY_FILE")
    if production:
        raise CheckpointKeyError(
            "CHECKPOINT_SIGNING_KEY_FILE is required in production: it names the PEM file of the "
            "Ed25519 key that signs checkpoints, held outside the database; " + _MAKE_ONE
        )
    return _development_key(Path(data_dir) / KEY_FILE)


def verifying_key(path: str | Path) -> Ed25519PublicKey:
    """The public key in the PEM file at `path`, which may hold the public or the private key."""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise CheckpointKeyError(
            f"the checkpoint key {file} cannot be read ({error.strerror or error})"
        ) from None
    try:
        loaded: object = serialization.load_pem_public_key(data)
    except ValueError:
        return _read_private(file, source=str(file)).public_key()
    if not isinstance(loaded, Ed25519PublicKey):
        raise CheckpointKeyError(f"{file} holds a public key that is not Ed25519")
    return loaded


def _read_private(path: Path, *, source: str) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CheckpointKeyError(
            f"{source}: {path} cannot be read ({error.strerror or error}); " + _MAKE_ONE
        ) from None
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise CheckpointKeyError(
            f"{source}: {path} is not an unencrypted PEM private key; " + _MAKE_ONE
        ) from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise CheckpointKeyError(f"{source}: {path} is not an Ed25519 key; " + _MAKE_ONE)
    return loaded


def _development_key(path: Path) -> Ed25519PrivateKey:
    """The key at `path`, made first (owner-only) when there is none.

    Made by `write_once`, so processes that start together all read the same key.
    """
    write_once(
        path,
        lambda: Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return _read_private(
        path, source=f"the development checkpoint key (delete {path} to make a new one)"
    )
