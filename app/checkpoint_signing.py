"""The checkpoint keys as the settings name them, and the worker's checkpointer.

The key that signs is CHECKPOINT_SIGNING_KEY_FILE (development: made once in DATA_DIR); whoever
verifies may name a public key file instead, so an auditor needs no private key.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy.engine import Engine

from activities.checkpoint_keys import CheckpointKeyError, signing_key, verifying_key
from activities.checkpoints import Checkpointer
from settings import Settings, SettingsError


def checkpoint_key(settings: Settings) -> Ed25519PrivateKey:
    """The key that signs checkpoints; SettingsError says why there is none."""
    try:
        return signing_key(
            settings.checkpoint_signing_key_file,
            production=settings.partnerships_env == "production",
            data_dir=settings.data_dir,
        )
    except CheckpointKeyError as error:
        raise SettingsError(str(error)) from None


def trusted_key(settings: Settings, public_key_file: Path | None = None) -> Ed25519PublicKey:
    """The key checkpoints must verify with: the file named, else the signing key's public half."""
    if public_key_file is None:
        return checkpoint_key(settings).public_key()
    try:
        return verifying_key(public_key_file)
    except CheckpointKeyError as error:
        raise SettingsError(str(error)) from None


def worker_checkpointer(settings: Settings, engine: Engine) -> Checkpointer | None:
    """The worker's checkpointer (CHECKPOINT_EVERY appends), or None when it is 0.

    In production the key is read now, so a worker without one refuses to start; in
    development it is made on first use.
    """
    if settings.checkpoint_every <= 0:
        return None
    key: Callable[[], Ed25519PrivateKey]
    if settings.partnerships_env == "production":
        checked = checkpoint_key(settings)
        key = lambda: checked  # noqa: E731
    else:
        key = functools.cache(lambda: checkpoint_key(settings))
    return Checkpointer(engine, key, settings.checkpoint_every)
