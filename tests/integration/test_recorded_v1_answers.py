"""A partnership recorded under ConsultationAnswered schema version 1, read by today's software.

The rows come from tests/integration/fixtures/consultation_answered_v1.sql, as an older schema
stored them: two answers without any `offers` key. On SQLite and PostgreSQL, `events` shows them
upcast to version 2 with no offers, `verify` checks the bytes as stored, `projections rebuild`
and `catch-up` fold them into the read models, `show` and `report` read them from the store, and
a domain replay of the stream gives the state written out below. A row of a schema version newer
than this software knows is refused with a sentence that says what to do.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment
from typer.testing import CliRunner

from activities.codec import to_domain_all
from activities.eventstore import EventStore
from activities.messages import AppendInput, RecordedEvent
from activities.outbox import Outbox
from activities.partnership import PartnershipActivities
from activities.projections import Projections
from activities.records import NewEvent
from activities.schema import events as events_table
from activities.schema import milestones, participation, read_utc, status_board
from activities.store_errors import UnknownSchemaVersion
from domain import Actor, replay
from domain.actors import Role
from domain.commands import Position
from domain.components import Component
from domain.events import ConsultationAnswered
from domain.regions import Region
from domain.stages import Stage
from domain.state import Answer
from interfaces.cli import store_commands as store_cli
from interfaces.cli.app import app as partnerships_app

FIXTURE = Path(__file__).parent / "fixtures" / "consultation_answered_v1.sql"
STREAM = "partnership-CV/1"
GENESIS = "0" * 64
# The hashes the fixture's rows were recorded with, copied from the file.
HASHES = {
    1: "dfb1848ba6de0ee2ab24f9f2b28973ed5bb0f4061840f685586b2351a38a1bac",
    2: "3d32b6894bde1057690e8cf7d6b4320b8eecdb485d829fba1d8af984c82634d7",
    3: "a60411d0f8c872828cad35313eae29175aac9fefeaf3fede1387ded992cacd41",
    4: "a3c7e23cd230a387d52965829599d62f4a15c87445e2dd00d9e1b9245adef017",
    5: "a6573ffa6589a82cf42b119d51a98c4da9a7a79a59c62becccf40d36c79d3391",
}
ES = Actor(id="rep-es", role=Role.MEMBER_STATE, member_state="ES")

store_app = typer.Typer()
store_cli.register(store_app)


@store_app.callback()
def _root() -> None:
    """Keeps sub-commands addressed by name, as under `partnerships`."""


def run(engine: Engine, *args: str, app: typer.Typer = store_app) -> tuple[int, str]:
    """A CLI command against `engine`'s database, with Temporal nowhere to be found."""
    env = {
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TEMPORAL_ADDRESS": "127.0.0.1:9",  # nothing listens: `show` reads the store
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(app, list(args), env=env)
    return result.exit_code, result.output


def load_fixture(engine: Engine) -> None:
    """Insert the fixture's rows as they are written in the file, one statement at a time."""
    statements = [s for s in FIXTURE.read_text(encoding="utf-8").split(";\n") if s.strip()]
    with engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def markdown_row(text: str, first_cell: str) -> list[str]:
    """The cells of the Markdown table row that starts with `first_cell`."""
    (line,) = [ln for ln in text.splitlines() if ln.startswith(f"| {first_cell} |")]
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def future_answer(version: int = 99) -> NewEvent:
    """A ConsultationAnswered of a schema version this software does not know, as a newer
    release would append it (with a field today's schema lacks)."""
    at = datetime.datetime(2026, 4, 2, 9, 0, tzinfo=datetime.UTC)
    actor = {"id": "rep-de", "role": "member_state", "member_state": "DE"}
    return NewEvent(
        event_id=uuid.UUID(int=99),
        type="ConsultationAnswered",
        schema_version=version,
        payload={
            "schema_version": version,
            "type": "ConsultationAnswered",
            "actor": actor,
            "occurred_on": "2026-04-02",
            "recorded_at": "2026-04-02T09:00:00.000000Z",
            "member_state": "DE",
            "position": "interested",
            "offers": [],
            "comments": None,
            "weight": 3,
        },
        metadata={"actor": actor},
        occurred_on=datetime.date(2026, 4, 2),
        recorded_at=at,
    )


class UpcastingContract:
    """Subclasses provide `engine`, an empty migrated database."""

    @pytest.fixture(autouse=True)
    def _loaded(self, engine: Engine) -> None:
        load_fixture(engine)

    # -- the rows as stored ----------------------------------------------------------------

    def test_the_fixture_holds_two_answers_stored_without_offers_at_version_one(
        self, engine: Engine
    ) -> None:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(events_table).order_by(events_table.c.stream_version)
            ).all()
        assert [(r.type, r.schema_version, "offers" in r.payload) for r in rows] == [
            ("PartnershipProposed", 1, False),
            ("ConsultationAnswered", 1, False),
            ("ConsultationAnswered", 1, False),
            ("ConsultationAnswered", 2, True),
            ("ConsultationClosed", 1, False),
        ]

    # -- events ----------------------------------------------------------------------------

    def test_events_prints_the_version_one_answers_upcast_with_no_offers(
        self, engine: Engine
    ) -> None:
        code, output = run(engine, "events", "CV", "--json")
        assert code == 0, output
        shown = {e["stream_version"]: e for e in json.loads(output)}
        assert [shown[v]["schema_version"] for v in range(1, 6)] == [1, 2, 2, 2, 1]
        assert shown[2]["payload"] == {
            "schema_version": 2,
            "type": "ConsultationAnswered",
            "actor": {"id": "rep-es", "role": "member_state", "member_state": "ES"},
            "occurred_on": "2026-03-10",
            "recorded_at": "2026-03-10T10:00:00.000000Z",
            "member_state": "ES",
            "position": "interested",
            "offers": [],
            "comments": "Spain will take part.",
        }
        assert (shown[3]["payload"]["position"], shown[3]["payload"]["offers"]) == (
            "not_interested",
            [],
        )
        # Portugal's answer was recorded at version 2: shown as recorded.
        assert shown[4]["payload"]["offers"] == ["legal_migration"]
        # The chain shown is the one recorded, over the bytes as stored.
        assert {v: shown[v]["hash"] for v in shown} == HASHES

        code, table = run(engine, "events", "CV")
        assert code == 0, table
        assert table.count("ConsultationAnswered v2") == 3

    # -- verify ----------------------------------------------------------------------------

    def test_verify_checks_the_bytes_as_stored_not_as_read(self, engine: Engine) -> None:
        code, output = run(engine, "verify")
        assert code == 0, output
        assert "Every chain holds: 1 stream(s), 5 event(s) checked." in output

        # Spain's answer, hashed by hand (SHA-256 over the predecessor's hash and the canonical
        # header, payload and metadata, joined by newlines): the recorded hash covers the
        # version 1 payload without offers, so a check of the upcast payload would fail.
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(events_table).where(events_table.c.stream_version == 2)
            ).one()
        (read,) = EventStore(engine).read_stream(STREAM, from_version=2)[:1]

        def by_hand(schema_version: int, payload: dict[str, Any]) -> str:
            header = [
                STREAM,
                2,
                "00000000-0000-4000-8000-000000000002",
                "ConsultationAnswered",
                schema_version,
                "2026-03-10",
                "2026-03-10T10:00:00.000000+00:00",
            ]
            parts = [HASHES[1], *(_canonical(p) for p in (header, payload, row.metadata))]
            return hashlib.sha256("\n".join(parts).encode()).hexdigest()

        assert by_hand(1, row.payload) == HASHES[2] == row.hash
        assert by_hand(read.schema_version, read.payload) != HASHES[2]

    # -- projections -----------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("command", "says"),
        [
            (
                "rebuild",
                "Rebuilt the read models from 5 event(s) in 1 stream(s), up to position 5.",
            ),
            ("catch-up", "Folded 5 event(s) into the read models."),
        ],
    )
    def test_projections_fold_the_version_one_answers_into_the_read_models(
        self, engine: Engine, command: str, says: str
    ) -> None:
        code, output = run(engine, "projections", command)
        assert code == 0, output
        assert says in output

        with engine.connect() as conn:
            (status,) = [dict(r._mapping) for r in conn.execute(sa.select(status_board))]
            answers = [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(participation).order_by(participation.c.member_state)
                )
            ]
            (milestone,) = [dict(r._mapping) for r in conn.execute(sa.select(milestones))]
        status["last_recorded_at"] = read_utc(status["last_recorded_at"])
        assert status == {
            "stream_id": STREAM,
            "country": "CV",
            "region": "africa_mediterranean",
            "stage": "awaiting_talks_authorisation",
            "consultation_deadline": datetime.date(2026, 4, 1),
            "decision_deadline": datetime.date(2026, 12, 31),
            "interested_count": 2,
            "stream_version": 5,
            "last_position": 5,
            "last_event_type": "ConsultationClosed",
            "last_changed_on": datetime.date(2026, 4, 1),
            "last_recorded_at": datetime.datetime(2026, 4, 1, 16, 0, tzinfo=datetime.UTC),
        }
        assert answers == [
            {
                "stream_id": STREAM,
                "member_state": "ES",
                "latest_answer": "interested",
                "offers": [],
                "took_part_in_talks": False,
                "signatory": False,
            },
            {
                "stream_id": STREAM,
                "member_state": "FR",
                "latest_answer": "not_interested",
                "offers": [],
                "took_part_in_talks": False,
                "signatory": False,
            },
            {
                "stream_id": STREAM,
                "member_state": "PT",
                "latest_answer": "interested",
                "offers": ["legal_migration"],
                "took_part_in_talks": False,
                "signatory": False,
            },
        ]
        assert (milestone["position"], milestone["kind"], milestone["business_date"]) == (
            5,
            "consultation_outcome",
            datetime.date(2026, 4, 1),
        )
        assert markdown_row(milestone["report"], "ES")[:3] == ["ES", "interested", "none"]
        assert markdown_row(milestone["report"], "PT")[:3] == [
            "PT",
            "interested",
            "legal_migration",
        ]

    # -- replay ----------------------------------------------------------------------------

    def test_a_replay_of_the_stream_reads_the_version_one_answers_as_version_two(
        self, engine: Engine
    ) -> None:
        events = to_domain_all(EventStore(engine).read_stream(STREAM))
        assert events[1] == ConsultationAnswered(
            schema_version=2,
            actor=ES,
            occurred_on=datetime.date(2026, 3, 10),
            recorded_at=datetime.datetime(2026, 3, 10, 10, 0, tzinfo=datetime.UTC),
            member_state="ES",
            position=Position.INTERESTED,
            offers=(),
            comments="Spain will take part.",
        )

        state = replay(events)
        assert (state.version, state.country, state.region, state.stage) == (
            5,
            "CV",
            Region.AFRICA_MEDITERRANEAN,
            Stage.AWAITING_TALKS_AUTHORISATION,
        )
        assert state.answers == (
            Answer(
                member_state="ES",
                position=Position.INTERESTED,
                offers=(),
                comments="Spain will take part.",
                answered_on=datetime.date(2026, 3, 10),
                answered_by="rep-es",
            ),
            Answer(
                member_state="FR",
                position=Position.NOT_INTERESTED,
                offers=(),
                comments=None,
                answered_on=datetime.date(2026, 3, 12),
                answered_by="rep-fr",
            ),
            Answer(
                member_state="PT",
                position=Position.INTERESTED,
                offers=(Component.LEGAL_MIGRATION,),
                comments=None,
                answered_on=datetime.date(2026, 3, 20),
                answered_by="rep-pt",
            ),
        )
        assert state.interested_member_states == ("ES", "PT")
        assert state.consultation_closed_on == datetime.date(2026, 4, 1)

    # -- show and report, from the store ---------------------------------------------------

    def test_show_without_temporal_and_report_read_the_version_one_answers_from_the_store(
        self, engine: Engine
    ) -> None:
        code, shown = run(engine, "show", "CV", app=partnerships_app)
        assert code == 0, shown
        assert "shown from the event store" in shown
        assert "awaiting_talks_authorisation" in shown

        code, report = run(engine, "report", "CV", app=partnerships_app)
        assert code == 0, report
        assert markdown_row(report, "ES")[:3] == ["ES", "interested", "none"]
        assert markdown_row(report, "FR")[:3] == ["FR", "not_interested", "none"]
        assert markdown_row(report, "PT")[:3] == ["PT", "interested", "legal_migration"]

    # -- a schema version from the future --------------------------------------------------

    def test_a_future_schema_version_is_refused_by_every_reader_and_verify_still_passes(
        self, engine: Engine
    ) -> None:
        EventStore(engine).append(STREAM, 5, [future_answer()])
        refusal = (
            "The ConsultationAnswered event at partnership-CV/1 version 6 is recorded at schema "
            "version 99, but this software reads ConsultationAnswered only up to version 2: a "
            "newer release wrote it. Upgrade the worker and the CLI to a release that knows "
            "ConsultationAnswered v99"
        )
        for command in (["events", "CV"], ["events"], ["projections", "rebuild"]):
            code, output = run(engine, *command)
            assert code == 3, output  # every store error exits with 3 (interfaces/output.py)
            assert refusal in output
            assert "Traceback" not in output
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(status_board)).scalar() == 0
        with pytest.raises(UnknownSchemaVersion, match="Upgrade the worker"):
            EventStore(engine).read_stream(STREAM)

        code, output = run(engine, "verify")
        assert code == 0, output
        assert "Every chain holds: 1 stream(s), 6 event(s) checked." in output

    def test_catch_up_refuses_a_future_schema_version_and_keeps_its_checkpoint(
        self, engine: Engine
    ) -> None:
        assert run(engine, "projections", "catch-up")[0] == 0
        EventStore(engine).append(STREAM, 5, [future_answer()])
        code, output = run(engine, "projections", "catch-up")
        assert code == 3, output
        assert "schema version 99" in output
        code, output = run(engine, "projections", "catch-up")
        assert code == 3, output  # refused again, not skipped
        with engine.connect() as conn:
            assert conn.execute(sa.select(status_board.c.stream_version)).scalar() == 5

    def test_the_worker_refuses_to_append_a_future_version_for_good_and_writes_nothing(
        self, engine: Engine
    ) -> None:
        worker = PartnershipActivities(
            EventStore(engine, projections=Projections(engine)), Outbox(engine)
        )
        future = ConsultationAnswered(
            schema_version=99,
            actor=Actor(id="rep-de", role=Role.MEMBER_STATE, member_state="DE"),
            occurred_on=datetime.date(2026, 4, 2),
            recorded_at=datetime.datetime(2026, 4, 2, 9, 0, tzinfo=datetime.UTC),
            member_state="DE",
            position=Position.INTERESTED,
        )
        request = AppendInput(
            stream_id=STREAM,
            expected_version=5,
            events=[RecordedEvent(event_id=uuid.UUID(int=99), event=future)],
            workflow_id="partnership-CV",
            run_id="run",
        )
        with pytest.raises(ApplicationError) as failed:
            ActivityEnvironment().run(worker.append_events, request)
        assert failed.value.non_retryable
        assert failed.value.type == "UnknownSchemaVersion"
        assert "is recorded at schema version 99" in failed.value.message
        assert "Nothing was written" in failed.value.message
        assert EventStore(engine).stream_version(STREAM) == 5


def _canonical(value: Any) -> str:
    """The documented canonical JSON: sorted keys, no whitespace, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class TestSQLiteUpcasting(UpcastingContract):
    @pytest.fixture
    def engine(self, sqlite_engine: Engine) -> Engine:
        return sqlite_engine


@pytest.mark.postgres
class TestPostgresUpcasting(UpcastingContract):
    @pytest.fixture
    def engine(self, pg_engine: Engine) -> Engine:
        return pg_engine
