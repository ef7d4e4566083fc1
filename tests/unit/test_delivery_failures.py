"""How a delivery's failures are sorted (activities/failures.py): retried with backoff, or
final at once; the store's own failures as every activity sorts them."""

from __future__ import annotations

import smtplib

import httpx
import pytest
import sqlalchemy.exc
from hypothesis import given
from hypothesis import strategies as st
from temporalio.exceptions import ApplicationError

from activities.failures import RETRIED_WITH_BACKOFF, Kind, classify_delivery, delivery_failure
from activities.smtp_sending import CredentialsInClear
from activities.webhook_sending import WebhookRefused


@given(st.integers(100, 599).filter(lambda code: not 200 <= code < 300 and code != 410))
def test_any_answer_but_2xx_and_410_is_retried(status: int) -> None:
    found = classify_delivery(WebhookRefused(status, "busy"))
    assert (found.kind, found.advice) == (Kind.TRANSIENT, RETRIED_WITH_BACKOFF)
    assert f"HTTP {status}" in found.reason


@given(st.integers(500, 599))
def test_an_smtp_5xx_reply_is_final(code: int) -> None:
    found = classify_delivery(smtplib.SMTPDataError(code, b"5.7.1 refused"))
    assert found.kind is Kind.PERMANENT
    failure = delivery_failure(smtplib.SMTPDataError(code, b"refused"), "sending", attempt=2)
    assert isinstance(failure, ApplicationError)
    assert failure.non_retryable
    assert failure.type == "SMTPDataError"


@given(st.integers(400, 499))
def test_an_smtp_4xx_reply_is_retried(code: int) -> None:
    found = classify_delivery(smtplib.SMTPRecipientsRefused({"p@x.eu": (code, b"later")}))
    assert found.kind is Kind.TRANSIENT
    assert f"{code} later" in found.reason


@pytest.mark.parametrize(
    "error",
    [
        httpx.ConnectError("[Errno 111] Connection refused"),
        httpx.ReadTimeout("timed out"),
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
    ],
)
def test_an_unreachable_or_silent_receiver_is_retried(error: Exception) -> None:
    failure = delivery_failure(error, "delivering launch", attempt=3)
    assert isinstance(failure, ApplicationError)
    assert not failure.non_retryable
    assert "attempt 3" in failure.message
    assert RETRIED_WITH_BACKOFF in failure.message


def test_a_misconfiguration_is_final() -> None:
    failure = delivery_failure(CredentialsInClear("in clear"), "sending", attempt=1)
    assert isinstance(failure, ApplicationError)
    assert failure.non_retryable


def test_a_database_outage_while_logging_is_waited_out_as_for_every_activity() -> None:
    outage = sqlalchemy.exc.OperationalError("INSERT", {}, Exception("database is locked"))
    found = classify_delivery(outage)
    assert found.kind is Kind.TRANSIENT
    assert "database" in found.reason
