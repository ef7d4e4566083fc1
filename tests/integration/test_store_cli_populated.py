"""`partnerships projections catch-up` and `rebuild` on a populated store, through the real CLI.

The store holds five partnership streams and 561 events, appended the way the workflow appends
them (one append per decided step): Cabo Verde launched, the Republic of Moldova in a long
consultation in which all 27 Member States answered 20 times each (more than one catch-up
batch of 500), Georgia withdrawn, and Senegal not pursued and then proposed again. Every row the
commands must leave in the read models is written out below by hand, from the stories'
dates and the README's lifecycle, never computed by the code under test.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from activities.codec import to_new_event
from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from activities.projections import Projections
from activities.schema import milestones, participation, projector_checkpoints, status_board
from domain import (
    Actor,
    AuthoriseTalks,
    CloseConsultation,
    Command,
    Component,
    ConcludeTalks,
    Event,
    LaunchPartnership,
    Outcome,
    Partnership,
    Position,
    ProposePartnership,
    Recommendation,
    RecordCouncilDecision,
    RecordTalksRound,
    Region,
    RespondToConsultation,
    Role,
    SubmitReport,
    Withdraw,
    decide,
    replay,
)
from interfaces.cli.app import app

COMMISSION = Actor(id="alice", role=Role.COMMISSION)
PRESIDENCY = Actor(id="joao", role=Role.PRESIDENCY)


def rep(code: str) -> Actor:
    """The representative of Member State `code`."""
    return Actor(id=f"rep-{code.lower()}", role=Role.MEMBER_STATE, member_state=code)


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A recorded instant in 2025, UTC; the step's business date is that day."""
    return datetime(2025, month, day, hour, minute, tzinfo=UTC)


# The Union's 27 Member States in 2025, as the EU writes them.
EU27 = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
ANSWERS_EACH = 20  # MAX_ANSWERS_PER_MEMBER_STATE: every one of them stands


class Story:
    """One stream: each step decided by the domain, its events appended as one append."""

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        self.state = Partnership()
        self.steps: list[list[Event]] = []

    def do(self, command: Command, actor: Actor, now: datetime) -> Story:
        # Decided as before issue 13 (no Presidency by date, no conditions of point 10): the
        # store and its read models keep and fold any recorded history, these rows among them.
        events = decide(self.state, command, actor, now, point_11=False)
        self.state = replay(events, self.state)
        self.steps.append(events)
        return self

    def append_to(self, store: EventStore) -> None:
        version = 0
        for events in self.steps:
            store.append(
                self.stream_id,
                version,
                [to_new_event(uuid.uuid4(), event, {"run_id": "r"}) for event in events],
            )
            version += len(events)


def proposal(country: str, **fields: Any) -> ProposePartnership:
    return ProposePartnership(
        country=country,
        rationale="A pilot on the route",
        terms_of_reference="Legal migration against readmission",
        consultation_deadline=fields.pop("consultation_deadline", date(2025, 4, 14)),
        decision_deadline=fields.pop("decision_deadline", date(2025, 12, 31)),
        **fields,
    )


def answer(code: str, position: Position, *offers: Component) -> RespondToConsultation:
    return RespondToConsultation(member_state=code, position=position, offers=list(offers))


def cape_verde() -> Story:
    """12 events, positions 1–12: proposed, consulted, talks, report, decision, launched."""
    return (
        Story("partnership-CV/1")
        .do(proposal("CV"), COMMISSION, at(3, 3))
        .do(
            answer(
                "FR", Position.INTERESTED, Component.LEGAL_MIGRATION, Component.CAPACITY_BUILDING
            ),
            rep("FR"),
            at(3, 10),
        )
        .do(answer("ES", Position.INTERESTED, Component.VISA_FACILITATION), rep("ES"), at(3, 11))
        .do(answer("DE", Position.NOT_INTERESTED), rep("DE"), at(3, 12))
        .do(
            answer("PT", Position.INTERESTED, Component.MIGRATION_AND_DEVELOPMENT),
            rep("PT"),
            at(3, 13),
        )
        .do(CloseConsultation(), COMMISSION, at(4, 1))
        .do(AuthoriseTalks(note="Go ahead"), PRESIDENCY, at(4, 8))
        .do(
            RecordTalksRound(held_on=date(2025, 5, 5), member_states=["FR", "ES"], summary="Praia"),
            COMMISSION,
            at(5, 5),
        )
        .do(
            ConcludeTalks(
                third_country_willing=True, commitments=[Component.READMISSION_AND_RETURN]
            ),
            COMMISSION,
            at(7, 1),
        )
        .do(
            SubmitReport(recommendation=Recommendation.LAUNCH, summary="Launch it"),
            COMMISSION,
            at(9, 1),
        )
        .do(
            RecordCouncilDecision(outcome=Outcome.INVITE_LAUNCH, decided_on=date(2025, 11, 20)),
            PRESIDENCY,
            at(11, 20),
        )
        .do(
            LaunchPartnership(
                member_states=["FR", "ES"],
                components=[Component.VISA_FACILITATION, Component.READMISSION_AND_RETURN],
                signed_on=date(2025, 12, 15),
            ),
            COMMISSION,
            at(12, 15),
        )
    )


def moldova() -> Story:
    """541 events, positions 13–553: a proposal, then 27 × 20 answers on 4 March.

    Each Member State answers in turn, round after round; in every round the odd answers are
    `not_interested` and the even ones `interested` with legal migration, so the 20th, the
    latest, of each is `interested`.
    """
    story = Story("partnership-MD/1").do(
        proposal("MD", consultation_deadline=date(2025, 6, 30)), COMMISSION, at(3, 3)
    )
    minute = 0
    for round_ in range(1, ANSWERS_EACH + 1):
        for code in EU27:
            given = (
                answer(code, Position.INTERESTED, Component.LEGAL_MIGRATION)
                if round_ % 2 == 0
                else answer(code, Position.NOT_INTERESTED)
            )
            story.do(given, rep(code), at(3, 4, 0) + timedelta(minutes=minute))
            minute += 1
    return story


def georgia() -> Story:
    """3 events, positions 554–556: France interested, then withdrawn."""
    return (
        Story("partnership-GE/1")
        .do(proposal("GE"), COMMISSION, at(3, 3))
        .do(answer("FR", Position.INTERESTED, Component.CAPACITY_BUILDING), rep("FR"), at(3, 5))
        .do(Withdraw(reason="Talks suspended"), COMMISSION, at(3, 20))
    )


def senegal_first() -> Story:
    """4 events, positions 557–560: Italy not interested, so closing ends it (two events)."""
    return (
        Story("partnership-SN/1")
        .do(proposal("SN"), COMMISSION, at(3, 3))
        .do(answer("IT", Position.NOT_INTERESTED), rep("IT"), at(3, 6))
        .do(CloseConsultation(), COMMISSION, at(3, 21))
    )


def senegal_again() -> Story:
    """1 event, position 561: proposed again, in the region `other` chosen by the Commission."""
    return Story("partnership-SN/2").do(
        proposal("SN", region=Region.OTHER, consultation_deadline=date(2025, 6, 2)),
        COMMISSION,
        at(5, 1),
    )


def populate(store: EventStore) -> None:
    for story in (cape_verde(), moldova(), georgia(), senegal_first(), senegal_again()):
        story.append_to(store)


TOTAL_EVENTS = 561

# status_board: stream → (country, region, stage, consultation deadline, decision deadline,
# interested, version, last position, last event type, last business date, last recorded at)
STATUS_BOARD: dict[str, tuple[Any, ...]] = {
    "partnership-CV/1": (
        "CV", "africa_mediterranean", "launched", date(2025, 4, 14), date(2025, 12, 31),
        3, 12, 12, "PartnershipLaunched", date(2025, 12, 15), at(12, 15),
    ),
    "partnership-MD/1": (
        "MD", "eastern_south_eastern", "consultation", date(2025, 6, 30), date(2025, 12, 31),
        27, 541, 553, "ConsultationAnswered", date(2025, 3, 4), at(3, 4, 8, 59),
    ),
    "partnership-GE/1": (
        "GE", "eastern_south_eastern", "withdrawn", date(2025, 4, 14), date(2025, 12, 31),
        1, 3, 556, "PartnershipWithdrawn", date(2025, 3, 20), at(3, 20),
    ),
    "partnership-SN/1": (
        "SN", "africa_mediterranean", "not_pursued", date(2025, 4, 14), date(2025, 12, 31),
        0, 4, 560, "PartnershipNotPursued", date(2025, 3, 21), at(3, 21),
    ),
    "partnership-SN/2": (
        "SN", "other", "consultation", date(2025, 6, 2), date(2025, 12, 31),
        0, 1, 561, "PartnershipProposed", date(2025, 5, 1), at(5, 1),
    ),
}  # fmt: skip

# participation: (stream, Member State) → (latest answer, offers, took part in talks, signatory)
PARTICIPATION: dict[tuple[str, str], tuple[Any, ...]] = {
    ("partnership-CV/1", "DE"): ("not_interested", [], False, False),
    ("partnership-CV/1", "ES"): ("interested", ["visa_facilitation"], True, True),
    ("partnership-CV/1", "FR"): (
        "interested", ["legal_migration", "capacity_building"], True, True,
    ),
    ("partnership-CV/1", "PT"): ("interested", ["migration_and_development"], False, False),
    **{
        ("partnership-MD/1", code): ("interested", ["legal_migration"], False, False)
        for code in EU27
    },
    ("partnership-GE/1", "FR"): ("interested", ["capacity_building"], False, False),
    ("partnership-SN/1", "IT"): ("not_interested", [], False, False),
}  # fmt: skip

# milestones: (stream, position, kind) → (country, business date, the report's opening lines)
MILESTONES: dict[tuple[str, int, str], tuple[Any, ...]] = {
    ("partnership-CV/1", 6, "consultation_outcome"): (
        "CV", date(2025, 4, 1),
        "# Outcome of the consultation of the Member States\n\n**Pilot mobility partnership "
        "with Cabo Verde (CV)**, region africa_mediterranean; stage "
        "**awaiting_talks_authorisation**.",
    ),
    ("partnership-CV/1", 9, "talks_outcome"): (
        "CV", date(2025, 7, 1),
        "# Outcome of the exploratory talks\n\n**Pilot mobility partnership with Cabo Verde "
        "(CV)**, region africa_mediterranean; stage **report_due**.",
    ),
    ("partnership-CV/1", 10, "report_to_council"): (
        "CV", date(2025, 9, 1),
        "# Report to the Council\n\n**Pilot mobility partnership with Cabo Verde (CV)**, "
        "region africa_mediterranean; stage **council_decision**.",
    ),
    ("partnership-CV/1", 11, "council_decision"): (
        "CV", date(2025, 11, 20),
        "# The Council's decision\n\n**Pilot mobility partnership with Cabo Verde (CV)**, "
        "region africa_mediterranean; stage **launch_preparation**.",
    ),
    ("partnership-CV/1", 12, "launch"): (
        "CV", date(2025, 12, 15),
        "# Launch of the pilot partnership\n\n**Pilot mobility partnership with Cabo Verde "
        "(CV)**, region africa_mediterranean; stage **launched**.",
    ),
    ("partnership-SN/1", 560, "consultation_outcome"): (
        "SN", date(2025, 3, 21),
        "# Outcome of the consultation of the Member States\n\n**Pilot mobility partnership "
        "with Senegal (SN)**, region africa_mediterranean; stage **not_pursued**.",
    ),
}  # fmt: skip


def utc(moment: datetime) -> datetime:
    """SQLite gives timestamps back without their offset; the store writes UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def status_rows(engine: Engine) -> dict[str, tuple[Any, ...]]:
    with engine.connect() as conn:
        return {
            r.stream_id: (
                r.country, r.region, r.stage, r.consultation_deadline, r.decision_deadline,
                r.interested_count, r.stream_version, r.last_position, r.last_event_type,
                r.last_changed_on, utc(r.last_recorded_at),
            )
            for r in conn.execute(sa.select(status_board))
        }  # fmt: skip


def participation_rows(engine: Engine) -> dict[tuple[str, str], tuple[Any, ...]]:
    with engine.connect() as conn:
        return {
            (r.stream_id, r.member_state): (
                r.latest_answer,
                r.offers,
                r.took_part_in_talks,
                r.signatory,
            )
            for r in conn.execute(sa.select(participation))
        }


def milestone_rows(engine: Engine) -> dict[tuple[str, int, str], tuple[Any, ...]]:
    """Each milestone with its report's title and first paragraph, as MILESTONES has them."""
    with engine.connect() as conn:
        return {
            (r.stream_id, r.position, r.kind): (
                r.country,
                r.business_date,
                "\n\n".join(r.report.split("\n\n")[:2]),
            )
            for r in conn.execute(sa.select(milestones))
        }


def delivery(engine: Engine) -> dict[tuple[str, int, str], str]:
    with engine.connect() as conn:
        return {
            (r.stream_id, r.position, r.kind): r.delivery_state
            for r in conn.execute(sa.select(milestones))
        }


def checkpoint(engine: Engine) -> int | None:
    with engine.connect() as conn:
        return conn.execute(sa.select(projector_checkpoints.c.position)).scalar()


def assert_read_models_as_written_by_hand(engine: Engine) -> None:
    assert status_rows(engine) == STATUS_BOARD
    assert participation_rows(engine) == PARTICIPATION
    assert milestone_rows(engine) == MILESTONES


def partnerships(url: str, *args: str) -> tuple[int, str]:
    """`partnerships ARGS` on the database at `url`; its exit code and its output, one line."""
    result = CliRunner().invoke(app, list(args), env={"DATABASE_URL": url, "COLUMNS": "200"})
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """A migrated, empty store: its URL for the CLI and an engine for the test."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "partnerships.db"
        shutil.copyfile(template, path)
        url = f"sqlite:///{path}"
        engine = create_engine_from_url(url)
    else:
        engine = request.getfixturevalue("pg_engine")  # every table emptied
        url = request.getfixturevalue("pg_url").render_as_string(hide_password=False)
    yield url, engine
    engine.dispose()


def test_catch_up_from_the_cli_folds_a_populated_log_into_the_rows_written_by_hand_once(
    database: tuple[str, Engine],
) -> None:
    url, engine = database
    # Appended without read models, as by a worker whose projections were off.
    populate(EventStore(engine))
    assert status_rows(engine) == {}
    assert participation_rows(engine) == {}
    assert milestone_rows(engine) == {}

    code, output = partnerships(url, "projections", "catch-up")
    assert code == 0, output
    assert output == "Folded 561 event(s) into the read models."
    assert_read_models_as_written_by_hand(engine)
    assert checkpoint(engine) == TOTAL_EVENTS

    code, output = partnerships(url, "projections", "catch-up")
    assert code == 0, output
    assert output == "Folded 0 event(s) into the read models."
    assert_read_models_as_written_by_hand(engine)

    # One more answer, again without read models: the next catch-up folds only that one.
    reopened = senegal_again().do(
        answer("FR", Position.INTERESTED, Component.LEGAL_MIGRATION), rep("FR"), at(5, 2)
    )
    EventStore(engine).append(
        "partnership-SN/2",
        1,
        [to_new_event(uuid.uuid4(), event, {"run_id": "r"}) for event in reopened.steps[-1]],
    )
    code, output = partnerships(url, "projections", "catch-up")
    assert code == 0, output
    assert output == "Folded 1 event(s) into the read models."
    assert status_rows(engine)["partnership-SN/2"] == (
        "SN", "other", "consultation", date(2025, 6, 2), date(2025, 12, 31),
        1, 2, 562, "ConsultationAnswered", date(2025, 5, 2), at(5, 2),
    )  # fmt: skip
    assert participation_rows(engine)[("partnership-SN/2", "FR")] == (
        "interested",
        ["legal_migration"],
        False,
        False,
    )
    assert checkpoint(engine) == TOTAL_EVENTS + 1


def test_rebuild_from_the_cli_restores_damaged_read_models_to_the_rows_written_by_hand(
    database: tuple[str, Engine],
) -> None:
    url, engine = database
    # Read models kept in each append, as the worker keeps them.
    populate(EventStore(engine, projections=Projections(engine)))
    assert_read_models_as_written_by_hand(engine)
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE milestones SET delivery_state = 'delivered' WHERE position = 11")
        )
    with engine.begin() as conn:
        # A wrong stage and version, a lost row, a changed answer, a stray partnership,
        # a lost milestone and a doctored report.
        conn.execute(
            sa.text(
                "UPDATE status_board SET stage = 'launched', stream_version = 99 "
                "WHERE stream_id = 'partnership-MD/1'"
            )
        )
        conn.execute(
            sa.text(
                "DELETE FROM participation "
                "WHERE stream_id = 'partnership-CV/1' AND member_state = 'ES'"
            )
        )
        conn.execute(
            sa.text(
                "UPDATE participation SET latest_answer = 'not_interested' "
                "WHERE stream_id = 'partnership-MD/1' AND member_state = 'FR'"
            )
        )
        conn.execute(
            sa.insert(status_board).values(
                stream_id="partnership-MA/1", country="MA", region="africa_mediterranean",
                stage="launched", consultation_deadline=None, decision_deadline=None,
                interested_count=9, stream_version=1, last_position=1,
                last_event_type="PartnershipLaunched", last_changed_on=date(2025, 1, 1),
                last_recorded_at=at(1, 1),
            )
        )  # fmt: skip
        conn.execute(sa.text("DELETE FROM milestones WHERE kind = 'launch'"))
        conn.execute(
            sa.text("UPDATE milestones SET report = '# Nothing happened' WHERE position = 9")
        )
    assert status_rows(engine) != STATUS_BOARD
    assert participation_rows(engine) != PARTICIPATION
    assert milestone_rows(engine) != MILESTONES

    code, output = partnerships(url, "projections", "rebuild")
    assert code == 0, output
    assert output == (
        "Rebuilt the read models from 561 event(s) in 5 stream(s), up to position 561."
    )
    assert_read_models_as_written_by_hand(engine)
    # Delivery is not in the log: the milestone delivered before the rebuild stays delivered.
    assert delivery(engine) == {
        ("partnership-CV/1", 6, "consultation_outcome"): "pending",
        ("partnership-CV/1", 9, "talks_outcome"): "pending",
        ("partnership-CV/1", 10, "report_to_council"): "pending",
        ("partnership-CV/1", 11, "council_decision"): "delivered",
        ("partnership-CV/1", 12, "launch"): "pending",
        ("partnership-SN/1", 560, "consultation_outcome"): "pending",
    }
    assert checkpoint(engine) == TOTAL_EVENTS
    # Nothing is left to catch up after a rebuild.
    assert partnerships(url, "projections", "catch-up") == (
        0,
        "Folded 0 event(s) into the read models.",
    )
