"""The checkpoint key: named by CHECKPOINT_SIGNING_KEY_FILE, required in production, made once
in DATA_DIR in development; a bad file is named with what to do."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from activities.checkpoint_keys import KEY_FILE, key_id, public_pem
from app.checkpoint_signing import checkpoint_key, trusted_key, worker_checkpointer
from settings import Settings, SettingsError


def test_production_without_a_key_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    settings = Settings(partnerships_env="production", data_dir=str(tmp_path))
    with pytest.raises(
        SettingsError, match="CHECKPOINT_SIGNING_KEY_FILE is required in production"
    ):
        checkpoint_key(settings)
    with pytest.raises(SettingsError, match="openssl genpkey -algorithm ed25519"):
        worker_checkpointer(settings, engine=None)  # type: ignore[arg-type]
    assert not (tmp_path / KEY_FILE).exists()


def test_development_makes_one_key_once_readable_by_its_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"))
    first = checkpoint_key(settings)
    again = checkpoint_key(settings)
    assert key_id(first.public_key()) == key_id(again.public_key())
    mode = stat.S_IMODE((tmp_path / "data" / KEY_FILE).stat().st_mode)
    assert mode == 0o600


def test_the_named_key_file_is_used_and_its_public_half_verifies(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "signing.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = tmp_path / "public.pem"
    public.write_text(public_pem(key.public_key()))
    settings = Settings(checkpoint_signing_key_file=str(path), partnerships_env="production")
    assert key_id(checkpoint_key(settings).public_key()) == key_id(key.public_key())
    assert key_id(trusted_key(settings, public)) == key_id(key.public_key())
    assert key_id(trusted_key(settings, path)) == key_id(key.public_key())


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"not a key", "is not an unencrypted PEM private key"),
        (
            rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            "is not an Ed25519 key",
        ),
    ],
)
def test_a_key_file_that_is_not_an_ed25519_key_is_named(
    tmp_path: Path, content: bytes, complaint: str
) -> None:
    path = tmp_path / "signing.pem"
    path.write_bytes(content)
    with pytest.raises(SettingsError, match=complaint):
        checkpoint_key(Settings(checkpoint_signing_key_file=str(path)))
    with pytest.raises(SettingsError, match="cannot be read"):
        checkpoint_key(Settings(checkpoint_signing_key_file=str(tmp_path / "missing.pem")))


def test_checkpoint_every_zero_means_no_checkpointer() -> None:
    assert worker_checkpointer(Settings(checkpoint_every=0), engine=None) is None  # type: ignore[arg-type]
