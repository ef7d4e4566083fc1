"""`POST /partnerships/{CC}/accede` end to end (issue 13, item 4): a real Temporal dev server
and worker, the real store, and tokens from the development issuer (the `api` fixture of
tests/integration/test_api.py, on SQLite and on PostgreSQL)."""

from __future__ import annotations

from typing import Any

from activities.eventstore import EventStore
from tests.integration.test_api import (  # noqa: F401 (api is a fixture)
    IN_OFFICE,
    Api,
    answered,
    api,
    assert_problem,
    launched,
    step,
    today,
)

DE = "member_state:DE:hans"


def accede(api: Api, who: str, country: str, **body: Any) -> Any:  # noqa: F811
    return api.client.post(f"/partnerships/{country}/accede", json=body, headers=api.as_(who))


def test_a_member_state_accedes_to_a_launched_partnership_through_the_api(
    api: Api,  # noqa: F811
) -> None:
    launched(api, "GE")
    response = accede(api, DE, "GE", member_state="DE", acceded_on=today())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["member_state"] == "DE"
    assert body["acceded_on"] == today()
    assert body["signatories"] == ["PT", "DE"]
    assert body["stream_id"] == "partnership-GE/1"
    shown = api.client.get("/partnerships/GE", headers=api.as_("operator:olga"))
    assert [a["member_state"] for a in shown.json()["accessions"]] == ["DE"]
    # Attested by the API (the workers require it here): the record names the token's caller.
    acceded = EventStore(api.engine).read_stream("partnership-GE/1")[-1]
    assert acceded.type == "MemberStateAcceded"
    assert acceded.metadata["channel"] == "api"
    assert acceded.metadata["subject"] == "hans"

    assert_problem(accede(api, DE, "GE", member_state="DE"), 409, "InvalidInput")
    signatory = accede(api, "member_state:PT:ana", "GE", member_state="PT")
    assert_problem(signatory, 409, "InvalidInput")


def test_an_accession_is_refused_for_another_member_state_a_bad_body_or_no_launch(
    api: Api,  # noqa: F811
) -> None:
    answered(api, "AM", "PT")
    assert_problem(accede(api, DE, "AM", member_state="DE"), 409, "WrongStage")
    assert_problem(
        accede(api, "member_state:IT:lia", "AM", member_state="DE"), 403, "ForeignMemberState"
    )
    assert_problem(accede(api, "commission:alice", "AM", member_state="DE"), 403, "NotPermitted")
    assert_problem(accede(api, DE, "AM", member_state="DE", actor={}), 422, "ValidationError")
    assert_problem(accede(api, DE, "AZ", member_state="DE"), 404, "NotFound")
