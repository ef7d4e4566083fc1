"""Which failures the activities wait out, which they give up on at once, and which they retry a
few times before giving up: one classification (activities/failures.py) for every activity."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
from hypothesis import given
from hypothesis import strategies as st
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.testing import ActivityEnvironment

from activities.failures import (
    GAVE_UP,
    UNKNOWN_FAILURE_ATTEMPTS,
    Kind,
    as_activity_failure,
    classify,
)
from activities.messages import AppendInput, MilestoneInput, OpenStreamInput, RecordedEvent
from activities.partnership import PartnershipActivities
from activities.store_errors import (
    ConcurrencyError,
    DatabaseNotReady,
    DatabaseUnreachable,
    EventIdConflict,
    InvalidAppend,
    UnrecordedEvent,
)
from domain import Actor, Partnership, ProposePartnership, decide
from domain.errors import InvalidCountry
from domain.events import parse_event
from domain.state import MilestoneKind


def wrapped(cls: type[sqlalchemy.exc.DBAPIError], orig: BaseException) -> Exception:
    """A driver's error as SQLAlchemy raises it from a statement."""
    return cls("INSERT INTO status_board ...", {}, orig)


def an_invalid_event() -> Exception:
    """The pydantic error of a payload an upcaster left without its fields."""
    try:
        parse_event({"type": "PartnershipProposed", "schema_version": 1})
    except Exception as error:
        return error
    raise AssertionError("an empty payload was accepted")


ErrorFactory = Callable[[], Exception]

# (what was raised, how it is handled, the ApplicationError type the workflow sees)
TABLE: list[tuple[str, ErrorFactory, Kind, str]] = [
    (
        "an unreachable database",
        lambda: DatabaseUnreachable("sqlite:///x.db", "disk gone"),
        Kind.TRANSIENT,
        "DatabaseUnreachable",
    ),
    (
        "a PostgreSQL server that went away, through SQLAlchemy",
        lambda: wrapped(
            sqlalchemy.exc.OperationalError,
            psycopg.OperationalError("server closed the connection unexpectedly"),
        ),
        Kind.TRANSIENT,
        "OperationalError",
    ),
    (
        "a PostgreSQL connection refused, raw from psycopg",
        lambda: psycopg.OperationalError("connection refused"),
        Kind.TRANSIENT,
        "OperationalError",
    ),
    (
        "a PostgreSQL server shutting down",
        lambda: psycopg.errors.AdminShutdown("terminating connection due to administrator"),
        Kind.TRANSIENT,
        "OperationalError",
    ),
    (
        "a deadlock PostgreSQL broke by rolling back",
        lambda: psycopg.errors.DeadlockDetected("deadlock detected"),
        Kind.TRANSIENT,
        "OperationalError",
    ),
    (
        "a closed psycopg connection",
        lambda: wrapped(
            sqlalchemy.exc.InterfaceError, psycopg.InterfaceError("the connection is closed")
        ),
        Kind.TRANSIENT,
        "InterfaceError",
    ),
    (
        "a locked SQLite database, raw",
        lambda: sqlite3.OperationalError("database is locked"),
        Kind.TRANSIENT,
        "OperationalError",
    ),
    (
        "a busy SQLite database, through SQLAlchemy",
        lambda: wrapped(
            sqlalchemy.exc.OperationalError, sqlite3.OperationalError("database is busy")
        ),
        Kind.TRANSIENT,
        "OperationalError",
    ),
    (
        "a connection the pool could not hand out",
        lambda: sqlalchemy.exc.TimeoutError("QueuePool limit reached"),
        Kind.TRANSIENT,
        "TimeoutError",
    ),
    (
        "a value PostgreSQL refuses, through SQLAlchemy",
        lambda: wrapped(
            sqlalchemy.exc.DataError,
            psycopg.errors.NumericValueOutOfRange("integer out of range"),
        ),
        Kind.PERMANENT,
        "DataError",
    ),
    (
        "a text too long for its column, raw from psycopg",
        lambda: psycopg.errors.StringDataRightTruncation("value too long for type varchar(2)"),
        Kind.PERMANENT,
        "DataError",
    ),
    (
        "a broken SQLite constraint, through SQLAlchemy",
        lambda: wrapped(
            sqlalchemy.exc.IntegrityError,
            sqlite3.IntegrityError("NOT NULL constraint failed: status_board.country"),
        ),
        Kind.PERMANENT,
        "IntegrityError",
    ),
    (
        "a unique violation, raw from psycopg",
        lambda: psycopg.errors.UniqueViolation("duplicate key value"),
        Kind.PERMANENT,
        "IntegrityError",
    ),
    (
        "a missing table on PostgreSQL",
        lambda: wrapped(
            sqlalchemy.exc.ProgrammingError,
            psycopg.errors.UndefinedTable('relation "status_board" does not exist'),
        ),
        Kind.PERMANENT,
        "ProgrammingError",
    ),
    ("an upcaster's invalid event", an_invalid_event, Kind.PERMANENT, "ValidationError"),
    (
        "a stale writer",
        lambda: ConcurrencyError("partnership-CV/1", 0, 1),
        Kind.PERMANENT,
        "ConcurrencyError",
    ),
    (
        "an event id recorded with other content",
        lambda: EventIdConflict(uuid.UUID(int=7), "at partnership-CV/1 version 1"),
        Kind.PERMANENT,
        "EventIdConflict",
    ),
    (
        "a malformed append",
        lambda: InvalidAppend("nothing to append to 'partnership-CV/1'"),
        Kind.PERMANENT,
        "InvalidAppend",
    ),
    (
        "a milestone of an unrecorded event",
        lambda: UnrecordedEvent("partnership-CV/1", 9),
        Kind.PERMANENT,
        "UnrecordedEvent",
    ),
    (
        "a schema behind the migrations",
        lambda: DatabaseNotReady("sqlite:///x.db", None, "0001"),
        Kind.PERMANENT,
        "DatabaseNotReady",
    ),
    (
        "a refused request",
        lambda: InvalidCountry("ZZ is not an ISO 3166-1 country; use a code such as CV"),
        Kind.PERMANENT,
        "InvalidCountry",
    ),
    (
        "a bug in a projection",
        lambda: ZeroDivisionError("division by zero"),
        Kind.UNKNOWN,
        "ZeroDivisionError",
    ),
    ("a missing key", lambda: KeyError("stage"), Kind.UNKNOWN, "KeyError"),
    (
        "a missing SQLite table (SQLite calls it operational)",
        lambda: sqlite3.OperationalError("no such table: status_board"),
        Kind.UNKNOWN,
        "OperationalError",
    ),
    (
        "an internal error of PostgreSQL",
        lambda: wrapped(
            sqlalchemy.exc.InternalError, psycopg.errors.InternalError_("cache lookup failed")
        ),
        Kind.UNKNOWN,
        "InternalError",
    ),
]


@pytest.mark.parametrize(
    ("error", "kind", "type_name"),
    [pytest.param(e, k, t, id=name) for name, e, k, t in TABLE],
)
def test_each_failure_is_sorted_and_named_by_its_class(
    error: ErrorFactory, kind: Kind, type_name: str
) -> None:
    found = classify(error())
    assert (found.kind, found.type) == (kind, type_name)


@given(attempt=st.integers(min_value=1, max_value=10**6))
def test_an_outage_is_waited_out_at_every_attempt(attempt: int) -> None:
    for _name, error, kind, _type in TABLE:
        if kind is Kind.TRANSIENT:
            failure = as_activity_failure(error(), "the append", attempt=attempt)
            assert isinstance(failure, ApplicationError)
            assert not failure.non_retryable
            assert "waiting for the database" in failure.message


@given(attempt=st.integers(min_value=1, max_value=10**6))
def test_a_permanent_failure_is_final_at_every_attempt_and_says_nothing_was_written(
    attempt: int,
) -> None:
    for _name, error, kind, type_name in TABLE:
        if kind is Kind.PERMANENT:
            failure = as_activity_failure(error(), "the append", attempt=attempt)
            assert isinstance(failure, ApplicationError)
            assert failure.non_retryable
            assert failure.type == type_name
            assert failure.message.startswith("the append failed: ")
            assert "Nothing was written: the transaction rolled back." in failure.message
            assert "Retrying cannot help: " in failure.message


@given(attempt=st.integers(min_value=1, max_value=10**6))
def test_an_unknown_failure_is_retried_until_the_bound_then_given_up(attempt: int) -> None:
    bug = ZeroDivisionError("division by zero")
    failure = as_activity_failure(bug, "the append", attempt=attempt)
    assert isinstance(failure, ApplicationError)
    assert failure.__cause__ is bug, "the stack trace of a bug reaches Temporal"
    if attempt < UNKNOWN_FAILURE_ATTEMPTS:
        assert not failure.non_retryable
        assert failure.type == "ZeroDivisionError"
        assert f"attempt {attempt} of {UNKNOWN_FAILURE_ATTEMPTS}" in failure.message
    else:
        assert failure.non_retryable
        assert failure.type == GAVE_UP
        assert f"gave up after {attempt} attempts" in failure.message
        assert "ZeroDivisionError: division by zero" in failure.message
        assert "Nothing was written" in failure.message


def test_the_bound_is_a_few_attempts_not_for_ever() -> None:
    assert 2 <= UNKNOWN_FAILURE_ATTEMPTS <= 10


def test_what_temporal_already_understands_passes_unchanged() -> None:
    decided = ApplicationError("refused", type="WrongStage", non_retryable=True)
    cancelled = CancelledError("cancelled")
    assert as_activity_failure(decided, "the append") is decided
    assert as_activity_failure(cancelled, "the append") is cancelled


def test_a_database_error_quotes_the_driver_not_the_statement() -> None:
    error = wrapped(
        sqlalchemy.exc.DataError, psycopg.errors.NumericValueOutOfRange("integer out of range")
    )
    failure = as_activity_failure(error, "the append to partnership-CV/1")
    assert isinstance(failure, ApplicationError)
    assert failure.message.startswith(
        "the append to partnership-CV/1 failed: the database refused a value "
        "(NumericValueOutOfRange: integer out of range). Nothing was written"
    )
    assert "INSERT" not in failure.message


def test_an_invalid_event_names_the_fields_that_failed() -> None:
    failure = as_activity_failure(an_invalid_event(), "the append")
    assert isinstance(failure, ApplicationError)
    assert "an event could not be read as its current schema" in failure.message
    assert "Field required" in failure.message
    assert "upcaster" in failure.message


def test_every_failure_is_logged_with_its_attempt(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    as_activity_failure(ZeroDivisionError("x"), "the append", attempt=3)
    as_activity_failure(DatabaseUnreachable("sqlite:///x.db", "gone"), "the append", attempt=41)
    as_activity_failure(ConcurrencyError("s", 0, 1), "the append", attempt=1)
    text = caplog.text
    assert "attempt 3 of 5" in text
    assert "attempt 41" in text
    assert "attempt 1, final" in text


# -- the activities, run as Temporal runs them -------------------------------------------


class FailingLog:
    """A fake event log (unit tests only) whose every call raises the error it was given."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def append(self, *_: Any) -> Any:
        raise self.error

    def read_stream(self, *_: Any) -> list[Any]:
        raise self.error

    def streams(self, *_: Any) -> list[str]:
        raise self.error


class FailingOutbox:
    """A fake outbox (unit tests only) whose emit raises the error it was given."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def emit(self, *_: Any) -> Any:
        raise self.error


def an_append() -> AppendInput:
    actor = Actor(id="alice", role="commission")
    proposal = ProposePartnership(country="CV", rationale="r", terms_of_reference="t")
    events = decide(Partnership(), proposal, actor, datetime(2026, 1, 5, tzinfo=UTC))
    return AppendInput(
        stream_id="partnership-CV/1",
        expected_version=0,
        events=[RecordedEvent(event_id=uuid.uuid4(), event=e) for e in events],
        workflow_id="partnership-CV",
        run_id="run",
    )


def at_attempt(attempt: int) -> ActivityEnvironment:
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=attempt)
    return env


def activities_failing_with(error: BaseException) -> PartnershipActivities:
    return PartnershipActivities(FailingLog(error), FailingOutbox(error))


def test_a_stale_writer_is_final_and_named() -> None:
    activities = activities_failing_with(ConcurrencyError("partnership-CV/1", 0, 1))
    with pytest.raises(ApplicationError) as failed:
        at_attempt(1).run(activities.append_events, an_append())
    assert failed.value.non_retryable
    assert failed.value.type == "ConcurrencyError"
    assert failed.value.message.startswith(
        "the append to partnership-CV/1 after version 0 failed: Stream 'partnership-CV/1' is "
        "at version 1, but the append expected version 0. Nothing was written"
    )


def test_an_unreachable_database_is_left_to_temporal_to_retry() -> None:
    activities = activities_failing_with(DatabaseUnreachable("sqlite:///x.db", "disk gone"))
    for attempt in (1, UNKNOWN_FAILURE_ATTEMPTS, 1000):
        with pytest.raises(ApplicationError) as failed:
            at_attempt(attempt).run(activities.append_events, an_append())
        assert not failed.value.non_retryable
        assert failed.value.type == "DatabaseUnreachable"


def test_a_bug_under_the_append_is_retried_then_given_up_at_the_bound() -> None:
    activities = activities_failing_with(RuntimeError("the projection fell over"))
    for attempt in range(1, UNKNOWN_FAILURE_ATTEMPTS):
        with pytest.raises(ApplicationError) as failed:
            at_attempt(attempt).run(activities.append_events, an_append())
        assert not failed.value.non_retryable, f"attempt {attempt} gave up too early"
    with pytest.raises(ApplicationError) as failed:
        at_attempt(UNKNOWN_FAILURE_ATTEMPTS).run(activities.append_events, an_append())
    assert failed.value.non_retryable
    assert failed.value.type == GAVE_UP
    assert "RuntimeError: the projection fell over" in failed.value.message


def test_opening_a_stream_for_no_country_is_refused_for_good() -> None:
    activities = activities_failing_with(AssertionError("the log is never asked"))
    with pytest.raises(ApplicationError) as failed:
        at_attempt(1).run(activities.open_stream, OpenStreamInput(country="ZZ"))
    assert failed.value.non_retryable
    assert failed.value.type == "InvalidCountry"


def test_opening_a_stream_waits_out_a_locked_database() -> None:
    activities = activities_failing_with(sqlite3.OperationalError("database is locked"))
    with pytest.raises(ApplicationError) as failed:
        at_attempt(100).run(activities.open_stream, OpenStreamInput(country="CV"))
    assert not failed.value.non_retryable
    assert failed.value.type == "OperationalError"


def test_a_milestone_of_an_unrecorded_event_is_final() -> None:
    activities = activities_failing_with(UnrecordedEvent("partnership-CV/1", 9))
    milestone = MilestoneInput(
        stream_id="partnership-CV/1", version=9, kind=MilestoneKind.CONSULTATION_OUTCOME
    )
    with pytest.raises(ApplicationError) as failed:
        at_attempt(1).run(activities.emit_milestone, milestone)
    assert failed.value.non_retryable
    assert failed.value.type == "UnrecordedEvent"
    assert "partnership-CV/1 has no event at version 9" in failed.value.message


def test_a_milestone_whose_report_cannot_render_gives_up_at_the_bound() -> None:
    activities = activities_failing_with(ValueError("a renderer's bug"))
    milestone = MilestoneInput(
        stream_id="partnership-CV/1", version=2, kind=MilestoneKind.CONSULTATION_OUTCOME
    )
    with pytest.raises(ApplicationError) as failed:
        at_attempt(UNKNOWN_FAILURE_ATTEMPTS).run(activities.emit_milestone, milestone)
    assert failed.value.non_retryable
    assert failed.value.type == GAVE_UP
