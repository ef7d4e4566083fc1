"""The fuzzing scenario at its short scale (`make faults` runs 1,000 requests): hostile requests
through the HTTP API and the `temporal` CLI leave no server error, nothing lost, duplicated or
stuck, a verified record, and partnerships that still take their next step. Then the counting
of the record against what each request was told, on constructed inputs."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from faults import fuzzing
from faults.checks import EventKey
from faults.fuzz_plan import CliRequest
from faults.fuzz_record import Record, compare_tagged
from faults.fuzz_send import RESET_OVER_LIMIT, Answer, cli_command
from faults.outcome import Scale
from tests.e2e.devstack import needs_temporal

ANSWERED: frozenset[str] = frozenset(
    {"200", "201", "400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422"}
)
"""What the API may answer a fuzzing request (DESIGN.md §3b): a success or a refusal, no 5xx."""


@needs_temporal
async def test_sixty_hostile_requests_through_the_api_and_the_cli_break_nothing(
    tmp_path: Path,
) -> None:
    report = await fuzzing.fuzz(Scale.SHORT, tmp_path)
    outcome = report.outcome
    through_api, through_cli = fuzzing.REQUESTS[Scale.SHORT]
    assert outcome.faults_injected == through_api + through_cli == 60
    assert Counter(a.channel for a in report.answers) == {"api": through_api, "cli": through_cli}
    assert not report.server_errors, report.server_errors
    assert outcome.server_errors == 0
    assert outcome.verified, report.lines
    assert (outcome.events_lost, outcome.duplicates, outcome.stuck_workflows) == (0, 0, 0), (
        report.lines
    )
    assert outcome.clean
    # Every partnership set up still took a step after the fuzzing.
    assert outcome.lifecycles_completed == len(fuzzing.DEPTHS[Scale.SHORT]) == 3
    assert all(step.answered for step in report.next_steps), report.next_steps
    # The API answered each request with a status the contract documents.
    api = [a for a in report.answers if a.channel == "api"]
    assert {a.status for a in api} <= ANSWERED | {RESET_OVER_LIMIT}, api
    assert any(a.status in {"409", "422"} for a in api), "no request reached the domain's rules"
    # The CLI's requests reached the server, and some a partnership's own validators, whose
    # refusals are update failures naming the domain's error (not workflow task failures).
    cli = [a for a in report.answers if a.channel == "cli"]
    assert sum(a.reached_server for a in cli) >= len(cli) - 3, cli
    assert any("retryable: false" in a.detail for a in cli), cli
    assert report.clean


def _answer(tag: str, accepted: bool | None) -> Answer:
    return Answer(tag, "cli", f"temporal execute withdraw ({tag})", "exit ?", accepted, False)


STREAM = "partnership-CV/1"
WITHDRAWN = EventKey("PartnershipWithdrawn")


def test_a_request_told_recorded_whose_event_is_missing_is_lost() -> None:
    record = Record(by_tag={"fuzz-0002": Counter({(STREAM, WITHDRAWN): 1})})
    compared = compare_tagged([_answer("fuzz-0001", True), _answer("fuzz-0002", True)], record)
    assert (compared.lost, compared.duplicates) == (1, 0)
    assert "fuzz-0001" in compared.lines[0]


def test_an_event_of_a_refused_request_counts_as_a_duplicate() -> None:
    record = Record(by_tag={"fuzz-0001": Counter({(STREAM, WITHDRAWN): 1})})
    compared = compare_tagged([_answer("fuzz-0001", False)], record)
    assert (compared.lost, compared.duplicates) == (0, 1)
    assert "told refused" in compared.lines[0]


def test_an_event_recorded_twice_for_one_request_counts_once_as_a_duplicate() -> None:
    answered = Counter({("partnership-CV/1", EventKey("ConsultationAnswered", "PT")): 2})
    record = Record(by_tag={"fuzz-0001": answered})
    compared = compare_tagged([_answer("fuzz-0001", True)], record)
    assert (compared.lost, compared.duplicates) == (0, 1)


def test_a_request_without_an_answer_may_have_recorded_once_or_not_at_all() -> None:
    record = Record(by_tag={"fuzz-0001": Counter({(STREAM, WITHDRAWN): 1})})
    compared = compare_tagged([_answer("fuzz-0001", None), _answer("fuzz-0002", None)], record)
    assert (compared.lost, compared.duplicates, compared.lines) == (0, 0, ())


def test_a_payload_that_is_no_json_goes_unread_as_bytes_and_a_forged_header_goes_along() -> None:
    forged = json.dumps({"key_id": "k", "issuer": "i", "subject": "s", "mac": "00"})
    request = CliRequest("fuzz-0007", "start", "partnership-CV", "withdraw", '{"a": ', forged)
    command = cli_command(request, "127.0.0.1:7233", Path("/tmp/payload.json"))
    assert command[1:4] == ["workflow", "update", "start"]
    assert command[command.index("--update-id") :][:2] == ["--update-id", "fuzz-0007"]
    assert "encoding=binary/plain" in command
    assert f"partnerships-attestation={forged}" in command
    valid = CliRequest("fuzz-0008", "signal", "partnership-CV", "x", "{}", "NaN")
    command = cli_command(valid, "127.0.0.1:7233", Path("/tmp/payload.json"))
    assert "encoding=binary/plain" not in command
    assert "--update-id" not in command
    assert not any(part.startswith("partnerships-attestation=") for part in command)
