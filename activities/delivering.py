"""The delivery activities: take one milestone to one subscriber, and log every attempt.

`deliver` makes one attempt: a signed webhook (Standard Webhooks) or an e-mail (SMTP). A 2xx
answer, or the mail server taking the message, delivers it; `410 Gone` stops the subscription
(recorded in the directory) and ends the delivery as stopped; any other failure is sorted by
activities/failures.py into retried (Temporal waits, with backoff, and tries again until the
delivery's period ends) or final. Each attempt is logged (delivery_attempts) whatever happens.

Every attempt sends the same `webhook-id` (the delivery's idempotency key), so a receiver
recognises the repeat that at-least-once delivery may cause (a worker that died after sending
and before logging); the e-mail's Message-ID is stable per milestone and recipient alike.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.delivery_log import Attempt, DeliveryLog
from activities.delivery_messages import (
    DeliveryInput,
    DeliveryResult,
    DeliveryState,
    FailDeliveryInput,
)
from activities.documents import milestone_document
from activities.eventstore import EventStore
from activities.failures import classified_failures, classify_delivery, delivery_failure
from activities.mail_messages import milestone_email
from activities.milestone_payloads import outbox_milestone, status_summary, webhook_body
from activities.outbox import OutboxMilestone
from activities.smtp_sending import SmtpConfig, send_mail
from activities.webhook_sending import WebhookRefused, post_webhook
from activities.webhook_signatures import secret_for
from domain.errors import DomainError
from domain.state import MilestoneKind
from domain.subscriptions import DestinationKind, Subscription

GONE = 410
_ENDED = (DeliveryState.DELIVERED, DeliveryState.STOPPED)


class SubscriptionDirectory(Protocol):
    """What the deliveries need of the directory: subscriptions, and stopping one."""

    def subscription(self, key: str) -> Subscription | None: ...

    def stop(
        self, subscription_id: str, reason: str, *, provenance: Mapping[str, Any] | None = None
    ) -> Subscription: ...


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _attempt_number() -> int:
    return activity.info().attempt if activity.in_activity() else 1


class DeliveryActivities:
    """The activities of `MilestoneDeliveryWorkflow`, bound to the store and the senders."""

    def __init__(
        self,
        log: DeliveryLog,
        directory: SubscriptionDirectory,
        store: EventStore,
        *,
        smtp: SmtpConfig,
        public_url: str,
        signing_key: Callable[[], bytes],
        clock: Callable[[], datetime.datetime] = _utc_now,
    ) -> None:
        self._log = log
        self._directory = directory
        self._store = store
        self._smtp = smtp
        self._public_url = public_url
        self._signing_key = signing_key
        self._clock = clock

    @property
    def engine(self) -> Engine:
        """The store's engine, which the delivery sweeper reads the outbox through."""
        return self._store.engine

    @activity.defn(name="begin_delivery")
    def begin_delivery(self, request: DeliveryInput) -> DeliveryResult:
        """Write the delivery's row (pending), or say how it already ended.

        A delivery whose subscription has ended (removed, or stopped by a 410) ends as stopped
        before any attempt; one delivered already (a second run) stays delivered.
        """
        with classified_failures(f"beginning {request.delivery_id}"):
            subscription = self._directory.subscription(request.subscription_id)
            opened = self._log.open(
                delivery_id=request.delivery_id,
                stream_id=request.stream_id,
                version=request.version,
                kind=request.kind.value,
                subscription_id=request.subscription_id,
                subscriber=subscription.name if subscription else "(unknown subscription)",
                destination=str(subscription.destination) if subscription else "",
                now=self._clock(),
            )
            if opened.state is DeliveryState.PENDING and not _active(subscription):
                reason = _ended(subscription, request.subscription_id)
                self._log.finish(request.delivery_id, DeliveryState.STOPPED, self._clock(), reason)
                return DeliveryResult(
                    delivery_id=request.delivery_id,
                    state=DeliveryState.STOPPED,
                    attempts=opened.attempts,
                    detail=reason,
                )
            return DeliveryResult(
                delivery_id=request.delivery_id,
                state=opened.state,
                attempts=opened.attempts,
                detail=opened.last_error or "",
            )

    @activity.defn(name="deliver")
    def deliver(self, request: DeliveryInput) -> DeliveryResult:
        """Make one attempt at the delivery; raise to have Temporal retry it (or give up)."""
        what = (
            f"delivering {request.kind.value} of {request.stream_id} to {request.subscription_id}"
        )
        with classified_failures(what):
            # A worker may die after the attempt was logged and before Temporal heard of it:
            # the retry finds the delivery ended and sends nothing again.
            ended = self._log.get(request.delivery_id)
            if ended is not None and ended.state in _ENDED:
                return self._result(request, ended.state, "ended already")
            subscription = self._directory.subscription(request.subscription_id)
            milestone = outbox_milestone(
                self._store.engine, request.stream_id, request.version, request.kind.value
            )
        if not _active(subscription) or subscription is None:
            reason = _ended(subscription, request.subscription_id)
            with classified_failures(what):
                self._log.finish(request.delivery_id, DeliveryState.STOPPED, self._clock(), reason)
            return self._result(request, DeliveryState.STOPPED, reason)
        if milestone is None:
            raise ApplicationError(
                f"{what}: the outbox holds no {request.kind.value} milestone at version "
                f"{request.version} of {request.stream_id}",
                type="UnknownMilestone",
                non_retryable=True,
            )
        attempted_at = self._clock()
        started = time.monotonic()
        try:
            if subscription.destination.kind is DestinationKind.WEBHOOK:
                return self._post(request, subscription, milestone)
            return self._mail(request, subscription, milestone)
        except Exception as error:
            failure = delivery_failure(error, what, attempt=_attempt_number())
            # The log keeps the reason alone; Temporal's failure says what and which attempt.
            reason = classify_delivery(error).reason
            if isinstance(error, ApplicationError):
                reason = error.message
            final = isinstance(failure, ApplicationError) and failure.non_retryable
            self._log_failure(
                request,
                subscription,
                Attempt(
                    attempt=_attempt_number(),
                    attempted_at=attempted_at,
                    outcome="failed" if final else "retried",
                    duration_ms=int((time.monotonic() - started) * 1000),
                    status_code=_status_of(error),
                    reply=_reply_of(error),
                    error=reason,
                    subscription_id=subscription.subscription_id,
                    subscriber=subscription.name,
                ),
            )
            raise failure from None

    @activity.defn(name="fail_delivery")
    def fail_delivery(self, request: FailDeliveryInput) -> DeliveryResult:
        """Mark the delivery failed: its period ended, or an attempt failed for good."""
        with classified_failures(f"marking {request.delivery_id} failed"):
            self._log.finish(request.delivery_id, DeliveryState.FAILED, self._clock(), None)
            found = self._log.get(request.delivery_id)
        return DeliveryResult(
            delivery_id=request.delivery_id,
            state=DeliveryState.FAILED,
            attempts=found.attempts if found else 0,
            detail=(found.last_error if found else None) or request.reason,
        )

    def _post(
        self,
        request: DeliveryInput,
        subscription: Subscription,
        milestone: OutboxMilestone,
    ) -> DeliveryResult:
        body = webhook_body(
            message_id=request.delivery_id,
            milestone=milestone,
            version=request.version,
            summary=status_summary(self._store.engine, request.stream_id),
            public_url=self._public_url,
        )
        attempted_at = self._clock()
        answer = post_webhook(
            subscription.destination.address,
            message_id=request.delivery_id,
            body=body,
            secret=secret_for(self._signing_key(), subscription.subscription_id),
            # The HTTP timeout leaves the attempt time to log what happened.
            timeout=_within(request.schedule.attempt_timeout),
            sent_at=attempted_at,
        )
        if 200 <= answer.status_code < 300:
            state, outcome = DeliveryState.DELIVERED, "delivered"
        elif answer.status_code == GONE:
            state, outcome = DeliveryState.STOPPED, "stopped"
            self._stop(subscription, f"its receiver answered 410 Gone to {request.delivery_id}")
        else:
            raise WebhookRefused(answer.status_code, answer.reply)
        attempt = Attempt(
            attempt=_attempt_number(),
            attempted_at=attempted_at,
            outcome=outcome,
            duration_ms=answer.duration_ms,
            status_code=answer.status_code,
            reply=answer.reply or None,
            subscription_id=subscription.subscription_id,
            subscriber=subscription.name,
        )
        with classified_failures(f"logging {request.delivery_id}"):
            self._log.record_attempt(request.delivery_id, attempt, final=state)
        detail = f"HTTP {answer.status_code}"
        return self._result(request, state, detail)

    def _mail(
        self,
        request: DeliveryInput,
        subscription: Subscription,
        milestone: OutboxMilestone,
    ) -> DeliveryResult:
        document = milestone_document(
            self._store, milestone.stream_id, milestone.position, MilestoneKind(milestone.kind)
        )
        to = subscription.destination.address
        message = milestone_email(
            milestone=milestone,
            document=document,
            to=to,
            sender=self._smtp.mail_from,
            public_url=self._public_url,
        )
        attempted_at = self._clock()  # rendering the PDF took a while: the attempt is now
        reply = send_mail(self._smtp, message, to)
        attempt = Attempt(
            attempt=_attempt_number(),
            attempted_at=attempted_at,
            outcome="delivered",
            duration_ms=reply.duration_ms,
            status_code=reply.code,
            reply=str(reply),
            subscription_id=subscription.subscription_id,
            subscriber=subscription.name,
        )
        with classified_failures(f"logging {request.delivery_id}"):
            self._log.record_attempt(request.delivery_id, attempt, final=DeliveryState.DELIVERED)
        return self._result(request, DeliveryState.DELIVERED, str(reply))

    def _stop(self, subscription: Subscription, reason: str) -> None:
        with classified_failures(f"stopping the subscription {subscription.subscription_id}"):
            try:
                self._directory.stop(subscription.subscription_id, reason, provenance=_run())
            except DomainError as error:  # unknown by now: nothing left to stop
                activity.logger.warning("stopping %s: %s", subscription.subscription_id, error)

    def _log_failure(
        self, request: DeliveryInput, subscription: Subscription, attempt: Attempt
    ) -> None:
        # The attempt's own failure is what Temporal must see; a log that cannot be written
        # (the database is away) is said in the worker's log, and the next attempt logs again.
        try:
            final = DeliveryState.FAILED if attempt.outcome == "failed" else None
            self._log.record_attempt(request.delivery_id, attempt, final=final)
        except Exception as error:
            activity.logger.error(
                "the attempt at %s to %s could not be logged: %r",
                request.delivery_id,
                subscription.subscription_id,
                error,
            )

    def _result(self, request: DeliveryInput, state: DeliveryState, detail: str) -> DeliveryResult:
        found = self._log.get(request.delivery_id)
        return DeliveryResult(
            delivery_id=request.delivery_id,
            state=state,
            attempts=found.attempts if found else 0,
            detail=detail,
        )


def _run() -> dict[str, str]:
    """The delivery run that stopped a subscription, for the directory event's metadata."""
    if not activity.in_activity():
        return {}
    info = activity.info()
    return {"workflow_id": info.workflow_id or "", "run_id": info.workflow_run_id or ""}


def _active(subscription: Subscription | None) -> bool:
    return subscription is not None and subscription.active


def _ended(subscription: Subscription | None, subscription_id: str) -> str:
    if subscription is None:
        return f"the subscription {subscription_id} is not in the directory"
    return (
        f"the subscription {subscription.name!r} was {subscription.ended} on "
        f"{subscription.ended_on}: {subscription.end_reason or 'no reason given'}"
    )


def _within(attempt_timeout: datetime.timedelta) -> datetime.timedelta:
    return max(attempt_timeout * 0.8, attempt_timeout - datetime.timedelta(seconds=5))


def _status_of(error: BaseException) -> int | None:
    if isinstance(error, WebhookRefused):
        return error.status_code
    code = getattr(error, "smtp_code", None)
    return code if isinstance(code, int) else None


def _reply_of(error: BaseException) -> str | None:
    if isinstance(error, WebhookRefused):
        return error.reply or None
    text = getattr(error, "smtp_error", None)
    if isinstance(text, bytes):
        return text.decode("utf-8", "replace")
    return None
