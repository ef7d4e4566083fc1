"""An attestation holds for exactly the request it was made for, under a current key."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.provenance import START, Caller, Provenance, Unattested, attest, verified

KEYS = {"old": b"the old secret", "new": b"the new secret"}
ALICE = Caller(issuer="https://login.example/", subject="alice", token_id="jti-1")
REQUEST = {"actor": {"id": "alice", "role": "commission"}, "reason": "done"}


def made(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {
        "workflow_id": "partnership-CV",
        "name": "withdraw",
        "update_id": "u-1",
        "request": REQUEST,
    }
    return {**base, **changes}


def test_an_attestation_vouches_for_its_caller_on_the_api_channel() -> None:
    attestation = attest(KEYS, "new", ALICE, **made())  # type: ignore[arg-type]
    assert verified(KEYS, attestation, **made()) == Provenance(  # type: ignore[arg-type]
        channel="api", issuer="https://login.example/", subject="alice", token_id="jti-1"
    )


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"workflow_id": "partnership-MD"},
        {"name": "launch_partnership"},
        {"name": START},
        {"update_id": "u-2"},
        {"request": {**REQUEST, "reason": "something else"}},
        {"request": {**REQUEST, "actor": {"id": "mallory", "role": "commission"}}},
    ],
)
def test_an_attestation_moved_to_another_request_does_not_hold(
    elsewhere: dict[str, object],
) -> None:
    attestation = attest(KEYS, "new", ALICE, **made())  # type: ignore[arg-type]
    with pytest.raises(Unattested, match="does not match this request"):
        verified(KEYS, attestation, **made(**elsewhere))  # type: ignore[arg-type]


def test_a_key_no_longer_current_is_refused_and_both_keys_of_a_rotation_hold() -> None:
    old = attest(KEYS, "old", ALICE, **made())  # type: ignore[arg-type]
    assert verified(KEYS, old, **made()).channel == "api"  # type: ignore[arg-type]
    with pytest.raises(Unattested, match="'old' is not a current key"):
        verified({"new": KEYS["new"]}, old, **made())  # type: ignore[arg-type]


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_a_changed_subject_or_issuer_does_not_hold(subject: str, issuer: str) -> None:
    attestation = attest(KEYS, "new", ALICE, **made())  # type: ignore[arg-type]
    forged = attestation.model_copy(update={"subject": subject, "issuer": issuer})
    if (subject, issuer) == (ALICE.subject, ALICE.issuer):
        return
    with pytest.raises(Unattested):
        verified(KEYS, forged, **made())  # type: ignore[arg-type]


def test_provenance_goes_into_metadata_without_empty_fields() -> None:
    assert Provenance(channel="system").metadata() == {"channel": "system"}
