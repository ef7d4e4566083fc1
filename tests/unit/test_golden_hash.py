"""A golden hash: the chain link of Cape Verde's proposal, computed without the project's code.

The encoding (activities/hashing.py, DESIGN.md §4 "prev_hash and hash"): an event's hash is the
SHA-256, in lowercase hex, of four lines joined by a line feed, with no line feed at the end:

1. the predecessor's hash (64 zeros for a stream's first event);
2. the header, a compact JSON list: stream id, stream version, event id, type, schema version,
   business date, and the recorded time in UTC to the microsecond with its `+00:00` offset;
3. the payload as canonical JSON: keys sorted, no blanks, UTF-8 written as is (not `\\u`);
4. the metadata, in the same canonical JSON.

`tests/golden/cape_verde_proposal.hash-input` holds those bytes for the proposal that opens
Cape Verde's record (`tests/unit/test_golden_report.py`), typed by hand; its terms of
reference hold an en dash, so UTF-8 is written as is. `GOLDEN_DIGEST` was then obtained by
running `sha256sum tests/golden/cape_verde_proposal.hash-input` on that file, never by calling
the project's hashing, and the store must produce exactly it.
"""

from __future__ import annotations

import datetime
import hashlib
import shutil
import subprocess
import uuid
from pathlib import Path

from activities.appenders import EMPTY_HEAD, prepare_rows
from activities.codec import to_new_event
from activities.records import NewEvent
from tests.unit.test_golden_report import cape_verde

GOLDEN_INPUT = Path(__file__).parents[1] / "golden" / "cape_verde_proposal.hash-input"
GOLDEN_DIGEST = "b0f6ec89cf9c88948822804e754cb46fd985c6fb92c21dc04c930eb4384892e1"
"""`sha256sum tests/golden/cape_verde_proposal.hash-input`, run by hand."""

GOLDEN_STREAM = "partnership-CV/1"
GOLDEN_EVENT_ID = uuid.UUID("2007b0a1-0618-4c5e-9b0e-00000000c0de")
GOLDEN_METADATA = {
    "workflow_id": "partnership-CV",
    "run_id": "run-2007",
    "correlation_id": "partnership-CV/run-2007",
}
"""What the append activity adds to the actor in the metadata (activities/partnership.py)."""

ALICE = {"id": "alice", "role": "commission", "member_state": None}

GOLDEN_EVENT = NewEvent(
    event_id=GOLDEN_EVENT_ID,
    type="PartnershipProposed",
    schema_version=1,
    payload={
        "type": "PartnershipProposed",
        "schema_version": 1,
        "actor": ALICE,
        "occurred_on": "2007-06-18",
        "recorded_at": "2007-06-18T12:00:00Z",
        "country": "CV",
        "region": "africa_mediterranean",
        "rationale": "A pilot mobility partnership under the Global Approach to Migration",
        "terms_of_reference": "Council conclusions of 12–13 June 2007 (point 11): "
        "legal migration and mobility against readmission",
        "consultation_deadline": "2007-07-30",
        "decision_deadline": "2007-12-31",
    },
    metadata={"actor": ALICE, **GOLDEN_METADATA},
    occurred_on=datetime.date(2007, 6, 18),
    recorded_at=datetime.datetime(2007, 6, 18, 12, tzinfo=datetime.UTC),
)
"""Cape Verde's proposal as the append activity hands it to the store, written out by hand."""


def golden_lines() -> list[str]:
    """The four hand-written lines of the hash input."""
    return GOLDEN_INPUT.read_bytes().decode("utf-8").split("\n")


def test_the_golden_input_is_four_lines_without_a_final_line_feed() -> None:
    raw = GOLDEN_INPUT.read_bytes()
    assert raw.count(b"\n") == 3
    assert not raw.endswith(b"\n")
    assert "–".encode() in raw  # the en dash as UTF-8, not as a \u escape


def test_the_golden_digest_is_the_sha256_of_the_hand_written_bytes() -> None:
    assert hashlib.sha256(GOLDEN_INPUT.read_bytes()).hexdigest() == GOLDEN_DIGEST
    sha256sum = shutil.which("sha256sum")
    if sha256sum is not None:  # coreutils, when present: the very command the digest came from
        done = subprocess.run(
            [sha256sum, str(GOLDEN_INPUT)], capture_output=True, text=True, check=True
        )
        assert done.stdout.split()[0] == GOLDEN_DIGEST


def test_the_store_hashes_cape_verdes_proposal_to_the_golden_digest() -> None:
    (row,) = prepare_rows(GOLDEN_STREAM, EMPTY_HEAD, [GOLDEN_EVENT])

    assert row.hash == GOLDEN_DIGEST
    prev, _header, payload, metadata = golden_lines()
    assert row.prev_hash == prev == "0" * 64
    # The store keeps the payload and metadata as they were hashed.
    assert row.payload_json == payload
    assert row.metadata_json == metadata


def test_the_golden_event_is_what_the_engine_records_for_cape_verdes_proposal() -> None:
    # The golden proposal was written out before the Council's target date was recorded; an
    # event without one is written exactly as then (domain/events.py leaves it out).
    proposed = cape_verde().events[0].model_copy(update={"council_target_date": None})

    assert to_new_event(GOLDEN_EVENT_ID, proposed, GOLDEN_METADATA) == GOLDEN_EVENT
