"""Webhook signing with real files and processes: the development signing key kept in the data
directory, and the receiver's example (docs/examples/verify_webhook.py) run as written and
checking a delivery signed by activities/webhook_signatures.py."""

from __future__ import annotations

import importlib.util
import json
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pytest

from activities.webhook_signatures import (
    KEY_FILE,
    SigningKeyError,
    secret_for,
    signed_headers,
    signing_key,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "verify_webhook.py"

Verifier = Callable[[str, dict[str, str], bytes], None]


def example_verifier() -> Verifier:
    spec = importlib.util.spec_from_file_location("verify_webhook_example", EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return cast(Verifier, module.verify_webhook)


def test_the_development_key_is_made_once_owner_only_and_then_reused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    first = signing_key(None, production=False, data_dir=data)
    assert len(first) == 32
    assert stat.S_IMODE((data / KEY_FILE).stat().st_mode) == 0o600
    assert signing_key(None, production=False, data_dir=data) == first
    assert signing_key(None, production=False, data_dir=tmp_path / "other") != first


def test_a_damaged_development_key_is_refused_saying_how_to_make_a_new_one(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_text("short\n")
    with pytest.raises(SigningKeyError, match="delete it to make a new one"):
        signing_key(None, production=False, data_dir=tmp_path)


def test_the_receivers_example_runs_as_written() -> None:
    finished = subprocess.run(
        [sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60, check=False
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines() == [
        "genuine: the signature verifies",
        "forged: no signature matches",
    ]


def test_the_receivers_example_verifies_a_delivery_the_service_signed(tmp_path: Path) -> None:
    verify_webhook = example_verifier()
    secret = secret_for(signing_key(None, production=False, data_dir=tmp_path), "3f2a9c01d4e5")
    body = json.dumps(
        {"type": "milestone", "milestone": {"kind": "launch", "country": "CV", "version": 12}}
    ).encode()
    headers = signed_headers(secret, "partnership-CV-1:12:launch", int(time.time()), body)
    verify_webhook(secret, headers, body)
    with pytest.raises(ValueError, match="no signature matches"):
        verify_webhook(secret, headers, body.replace(b"CV", b"MD"))
    with pytest.raises(ValueError, match="no signature matches"):
        verify_webhook(secret_for(bytes(32), "3f2a9c01d4e5"), headers, body)
    stale = signed_headers(secret, "partnership-CV-1:12:launch", int(time.time()) - 600, body)
    with pytest.raises(ValueError, match="outside the tolerance"):
        verify_webhook(secret, stale, body)
    with pytest.raises(ValueError, match="no 'webhook-signature' header"):
        verify_webhook(secret, {k: v for k, v in headers.items() if k != "webhook-signature"}, body)
