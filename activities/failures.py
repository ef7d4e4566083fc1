"""What an activity's failure means, decided once for every activity.

Temporal retries a failed activity for as long as its retry policy allows, and the workflow's
store policy allows for ever, because an outage of the database must be waited out: the store is
the legal record, and giving up on it would lose a step. Every other failure must not loop
unseen while the workflow holds its lock, so each is sorted into one of three kinds:

- transient: the database is unreachable, went away, or is busy. Retried until it answers.
- permanent: the same request would fail the same way (a refused value, a broken constraint, a
  stale writer, an invalid event, a refused request). Final at once: a non-retryable
  ApplicationError whose type is the error's class name.
- unknown: anything else, most likely a bug. Retried up to UNKNOWN_FAILURE_ATTEMPTS attempts,
  then final as a non-retryable ApplicationError of type GaveUp.

Every failure is logged with its attempt number, so a retry loop shows in the worker's log as
well as in the pending activity's attempt count and last failure in Temporal.
"""

from __future__ import annotations

import enum
import smtplib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pydantic
import sqlalchemy.exc
from temporalio import activity
from temporalio.exceptions import ApplicationError, FailureError

from activities.store_errors import DatabaseNotReady, DatabaseUnreachable, StoreError
from domain.errors import DomainError

UNKNOWN_FAILURE_ATTEMPTS = 5
"""How many attempts an activity makes at an unclassified failure before it gives up.

With the workflow's store retry policy (1 s, doubling) five attempts span about 15 seconds:
enough to ride out a passing fault, short enough that a bug surfaces while someone is looking.
"""

GAVE_UP = "GaveUp"
"""The ApplicationError type of an unclassified failure that persisted for every attempt."""

PERMANENT_DATABASE_ERRORS = ("DataError", "IntegrityError", "ProgrammingError", "NotSupportedError")
"""The DB-API (PEP 249) classes whose errors the same statement would meet again.

These names are the ApplicationError types of such failures, whichever driver raised them:
psycopg's specific errors (UniqueViolation, NumericValueOutOfRange, ...) subclass them.
"""

_CONNECTION_ERRORS = ("OperationalError", "InterfaceError")
# The modules whose DB-API classes are recognised by name (PEP 249 fixes the names).
_DATABASE_MODULES = ("sqlalchemy", "sqlite3", "psycopg")
# What sqlite3 says when the file is busy, locked, missing its disk or full: all waited out.
_SQLITE_TRANSIENT = (
    "locked",
    "busy",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)
_MAX_DETAIL = 400

_NOTHING_WRITTEN = "Nothing was written: the transaction rolled back."


class Kind(enum.Enum):
    """How a failure is handled."""

    TRANSIENT = "transient"
    """Waited out: retried for as long as the failure lasts."""
    PERMANENT = "permanent"
    """Final at once: the same request would fail the same way."""
    UNKNOWN = "unknown"
    """Retried UNKNOWN_FAILURE_ATTEMPTS times, then final (GaveUp)."""


@dataclass(frozen=True)
class Classified:
    """A failure sorted: its kind, the ApplicationError type, and words for a person."""

    kind: Kind
    type: str
    """The error's class name (for a database error, its DB-API class: DataError, ...)."""
    reason: str
    """What went wrong, in a sentence fragment that follows "failed: "."""
    advice: str
    """What an operator can do about it."""


def final_failure(message: str, kind: str, *details: object) -> ApplicationError:
    """A failure Temporal must not retry (a refusal, or an error retrying cannot mend).

    `kind` is the type callers branch on: the domain error's or the store error's class name.
    """
    return ApplicationError(message, *details, type=kind, non_retryable=True)


def classify(error: BaseException) -> Classified:
    """Sort `error`, raised by an activity's work, into transient, permanent or unknown."""
    name = type(error).__name__
    if isinstance(error, DatabaseUnreachable):
        return Classified(
            Kind.TRANSIENT, name, str(error), "it is retried until the database answers"
        )
    if isinstance(error, DatabaseNotReady):
        return Classified(
            Kind.PERMANENT,
            name,
            str(error),
            "the worker and the database disagree on the schema; once they agree, send the "
            "step again",
        )
    if isinstance(error, StoreError):
        # ConcurrencyError, EventIdConflict, InvalidAppend, UnrecordedEvent, UnknownSchemaVersion,
        # MissingUpcaster: each says it all, and the same read or write would meet it again.
        return Classified(
            Kind.PERMANENT,
            name,
            str(error).removesuffix("; nothing was written."),
            _STORE_ADVICE.get(name, _STORE_ADVICE["StoreError"]),
        )
    if isinstance(error, DomainError):
        return Classified(Kind.PERMANENT, name, error.message, "correct the request")
    if isinstance(error, pydantic.ValidationError):
        return Classified(
            Kind.PERMANENT,
            "ValidationError",
            f"an event could not be read as its current schema ({_validation_detail(error)})",
            "an upcaster or a stored payload yields an invalid event: fix the upcaster, deploy "
            "the worker, and send the step again",
        )
    database = _database_error(error)
    if database is not None:
        return database
    orig = error.orig if isinstance(error, sqlalchemy.exc.DBAPIError) else None
    # A driver's own words, not SQLAlchemy's rendering of the statement around them.
    detail = _first_line(orig if isinstance(orig, BaseException) else error)
    return Classified(
        Kind.UNKNOWN,
        name,
        f"{name}: {detail}",
        "this is most likely a bug (in a read-model projection, an upcaster or the engine); "
        "the worker's log has the stack trace: fix it, deploy the worker, and send the step "
        "again",
    )


@contextmanager
def classified_failures(what: str) -> Iterator[None]:
    """Raise whatever the block raises as `as_activity_failure` says; every activity uses it.

    `what` names the work for the message, e.g. "the append to partnership-CV/1 at version 3".
    """
    try:
        yield
    except Exception as error:
        failure = as_activity_failure(error, what)
        if failure is error:
            raise
        # Only an unknown failure carries the original (and its stack trace) to Temporal: the
        # others say all there is, and a driver's error can quote a whole statement.
        raise failure from failure.__cause__


def as_activity_failure(error: Exception, what: str, *, attempt: int | None = None) -> Exception:
    """The exception an activity raises for `error`, met while doing `what`.

    `what` names the work ("the append to partnership-CV/1"). `attempt` defaults to the running
    activity's (1 outside an activity). Errors Temporal already understands (ApplicationError,
    CancelledError) are returned unchanged. Logs the failure with its attempt number. The
    failure of an unknown error has that error as its `__cause__`.
    """
    if isinstance(error, FailureError):
        return error
    if attempt is None:
        attempt = activity.info().attempt if activity.in_activity() else 1
    found = classify(error)
    if found.kind is Kind.TRANSIENT:
        message = (
            f"{what} is waiting for the database (attempt {attempt}): "
            f"{found.reason.rstrip('.')}. "
            f"Temporal retries it until the database answers; a retry never records an "
            f"event twice."
        )
        activity.logger.warning("%s", message)
        return ApplicationError(message, found.type, type=found.type, non_retryable=False)
    if found.kind is Kind.PERMANENT:
        message = (
            f"{what} failed: {found.reason.rstrip('.')}. {_NOTHING_WRITTEN} "
            f"Retrying cannot help: {found.advice}."
        )
        activity.logger.warning("%s (attempt %s, final)", message, attempt)
        return final_failure(message, found.type, found.type)
    if attempt >= UNKNOWN_FAILURE_ATTEMPTS:
        message = (
            f"{what} gave up after {attempt} attempts; the last failed with {found.reason}. "
            f"{_NOTHING_WRITTEN} {_capitalised(found.advice)}."
        )
        activity.logger.error("%s", message, exc_info=error)
        final = final_failure(message, GAVE_UP, found.type, attempt)
        final.__cause__ = error
        return final
    message = (
        f"{what} failed on attempt {attempt} of {UNKNOWN_FAILURE_ATTEMPTS} with {found.reason}; "
        f"it is retried, then given up as {GAVE_UP}."
    )
    activity.logger.warning("%s", message, exc_info=error)
    retry = ApplicationError(message, found.type, attempt, type=found.type, non_retryable=False)
    retry.__cause__ = error
    return retry


def _database_error(error: BaseException) -> Classified | None:
    """A database driver's error (raw, or wrapped by SQLAlchemy) sorted; None for others."""
    if isinstance(error, sqlalchemy.exc.DisconnectionError | sqlalchemy.exc.TimeoutError):
        return _transient(type(error).__name__, _first_line(error))
    wrapper = error if isinstance(error, sqlalchemy.exc.DBAPIError) else None
    driver: BaseException = error
    if wrapper is not None:
        if wrapper.connection_invalidated:
            return _transient(_category(error) or type(error).__name__, _first_line(error))
        driver = wrapper.orig if isinstance(wrapper.orig, BaseException) else error
    category = _category(driver) or (_category(error) if wrapper is not None else None)
    if category is None:
        return None
    detail = _first_line(driver)
    specific = type(driver).__name__
    shown = detail if specific == category else f"{specific}: {detail}"
    if category in PERMANENT_DATABASE_ERRORS:
        return Classified(
            Kind.PERMANENT, category, _PERMANENT_REASONS[category].format(shown), _ADVICE[category]
        )
    if category in _CONNECTION_ERRORS and _is_connection_failure(driver):
        return _transient(category, shown)
    return None


def _transient(category: str, detail: str) -> Classified:
    return Classified(
        Kind.TRANSIENT,
        category,
        f"the database is unreachable or busy ({detail})",
        "it is retried until the database answers",
    )


def _is_connection_failure(driver: BaseException) -> bool:
    """Whether an OperationalError/InterfaceError means the database is away or busy."""
    if isinstance(driver, sqlite3.Error):
        text = str(driver).lower()
        return any(words in text for words in _SQLITE_TRANSIENT)
    if _category(driver) == "InterfaceError":
        # psycopg says so when the connection was closed under it; other interface errors
        # are misuse of the driver, which waiting does not cure.
        return "closed" in str(driver).lower() or "connection" in str(driver).lower()
    # psycopg's OperationalError: the server went away, shut down, refused the connection,
    # cancelled the statement, or rolled the transaction back (serialisation, deadlock).
    return True


_STORE_ADVICE = {
    "ConcurrencyError": "another writer appended to the stream first, so the workflow's state is "
    "behind the store; compare `partnerships events` for the stream with the workflow's status",
    "EventIdConflict": "an event id was reused with other content, which is a bug in the "
    "engine; check `partnerships verify` and report it with the workflow id",
    "InvalidAppend": "the append request is malformed, which is a bug in the engine or an "
    "input the domain should have refused; report it with the workflow id",
    "UnrecordedEvent": "the milestone names an event the store does not hold; compare "
    "`partnerships events` for the stream with the workflow's status",
    "UnknownSchemaVersion": "the log holds an event written by a newer release; deploy that "
    "release (or a later one) of the worker, then send the step again",
    "MissingUpcaster": "no upcaster reads the event's old schema version, which is a bug in the "
    "engine; register the step in activities/upcasting.py, deploy the worker, and send the step "
    "again",
    "StoreError": "report it with the workflow id",
}
_PERMANENT_REASONS = {
    "DataError": "the database refused a value ({})",
    "IntegrityError": "a database constraint refused the write ({})",
    "ProgrammingError": "the database refused the statement ({})",
    "NotSupportedError": "the database does not support the statement ({})",
}
_ADVICE = {
    "DataError": "the worker's log has the full error; fix the value or the code that "
    "produced it, then send the step again",
    "IntegrityError": "the read models may disagree with the log: run "
    "`partnerships projections rebuild` and `partnerships verify`, then send the step again",
    "ProgrammingError": "check that the schema is at the migrations' head "
    "(`partnerships db upgrade`) and that the worker's version matches it",
    "NotSupportedError": "check that the database server's version is one the engine supports",
}


def _category(error: BaseException) -> str | None:
    """The PEP 249 class `error` belongs to (DataError, OperationalError, ...), if any."""
    for cls in type(error).__mro__:
        if (
            cls.__name__ in (*PERMANENT_DATABASE_ERRORS, *_CONNECTION_ERRORS)
            and cls.__module__.split(".")[0] in _DATABASE_MODULES
        ):
            return cls.__name__
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    line = text.splitlines()[0] if text else type(error).__name__
    return line if len(line) <= _MAX_DETAIL else line[: _MAX_DETAIL - 1] + "…"


def _validation_detail(error: pydantic.ValidationError) -> str:
    problems: list[Any] = error.errors(include_url=False, include_input=False)
    shown = "; ".join(
        f"{'.'.join(str(p) for p in problem['loc']) or 'event'}: {problem['msg']}"
        for problem in problems[:3]
    )
    more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
    text = f"{shown}{more}"
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- Deliveries ------------------------------------------------------------------------------
# A delivery's attempt meets the receiver's failures as well as the store's. An answer other
# than 2xx (or 410, which ends the subscription and is no failure), a timeout and a lost
# connection are transient: retried with backoff until the delivery's retry period ends. An
# SMTP 5xx reply is the server's final word on this message, and a misconfiguration no retry
# can mend is final too. Anything else is the store's or a bug's, sorted as above.

RETRIED_WITH_BACKOFF = "it is retried with backoff until the delivery's retry period ends"
_SMTP_FINAL_ADVICE = (
    "the server will not take this message; correct the subscription's address or the "
    "SMTP_* settings, then retry the delivery (`partnerships deliveries retry`)"
)
_CONFIG_ADVICE = (
    "correct the setting or the subscription, restart the workers and retry the delivery "
    "(`partnerships deliveries retry`)"
)


def classify_delivery(error: BaseException) -> Classified:
    """Sort a failure met while delivering a milestone; any other as `classify` does."""
    return _delivery_classified(error) or classify(error)


def delivery_failure(error: Exception, what: str, *, attempt: int | None = None) -> Exception:
    """The exception a delivery activity raises for `error`, met while doing `what`.

    A receiver's or mail server's failure says whether it is retried; the store's and unknown
    ones are `as_activity_failure`'s. Errors Temporal already understands pass unchanged.
    """
    if isinstance(error, FailureError):
        return error
    found = _delivery_classified(error)
    if found is None:
        return as_activity_failure(error, what, attempt=attempt)
    if attempt is None:
        attempt = activity.info().attempt if activity.in_activity() else 1
    reason = found.reason.rstrip(".")
    if found.kind is Kind.TRANSIENT:
        message = f"{what} failed on attempt {attempt}: {reason}; {found.advice}."
        activity.logger.warning("%s", message)
        return ApplicationError(message, found.type, type=found.type, non_retryable=False)
    message = f"{what} failed for good on attempt {attempt}: {reason}; {found.advice}."
    activity.logger.warning("%s", message)
    return final_failure(message, found.type, found.type)


def _delivery_classified(error: BaseException) -> Classified | None:
    # Imported here: the senders are the delivery activities' own modules.
    from activities.smtp_sending import CredentialsInClear
    from activities.webhook_sending import WebhookRefused

    name = type(error).__name__
    if isinstance(error, WebhookRefused):
        return Classified(Kind.TRANSIENT, name, str(error), RETRIED_WITH_BACKOFF)
    if isinstance(error, httpx.TimeoutException):
        reason = f"the receiver did not answer in time ({name})"
        return Classified(Kind.TRANSIENT, name, reason, RETRIED_WITH_BACKOFF)
    if isinstance(error, httpx.TransportError):
        reason = f"the receiver could not be reached ({_first_line(error)})"
        return Classified(Kind.TRANSIENT, name, reason, RETRIED_WITH_BACKOFF)
    if isinstance(error, httpx.InvalidURL):
        reason = f"the webhook URL is unusable ({_first_line(error)})"
        return Classified(Kind.PERMANENT, name, reason, _CONFIG_ADVICE)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = error.recipients.items()
        replies = "; ".join(f"{to}: {code} {_smtp_text(text)}" for to, (code, text) in refused)
        code = min((code for _, (code, _text) in refused), default=0)
        return _smtp_reply(name, code, f"the recipient was refused ({replies})")
    if isinstance(error, smtplib.SMTPResponseException):
        reason = f"the SMTP server replied {error.smtp_code} {_smtp_text(error.smtp_error)}"
        return _smtp_reply(name, error.smtp_code, reason)
    if isinstance(error, smtplib.SMTPNotSupportedError | CredentialsInClear):
        return Classified(Kind.PERMANENT, name, _first_line(error), _CONFIG_ADVICE)
    if isinstance(error, smtplib.SMTPException | OSError):
        reason = f"the mail server could not be reached or went away ({_first_line(error)})"
        return Classified(Kind.TRANSIENT, name, reason, RETRIED_WITH_BACKOFF)
    return None


def _smtp_reply(name: str, code: int, reason: str) -> Classified:
    if code >= 500:
        return Classified(Kind.PERMANENT, name, reason, _SMTP_FINAL_ADVICE)
    return Classified(Kind.TRANSIENT, name, reason, RETRIED_WITH_BACKOFF)


def _smtp_text(text: bytes | str) -> str:
    decoded = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return " ".join(decoded.split())[:_MAX_DETAIL]
