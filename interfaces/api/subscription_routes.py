"""Who is told of report-back milestones: `GET/POST /subscriptions`, `DELETE
/subscriptions/{id}`, for administrators only (issue 12).

Subscriptions are events of the directory's stream, recorded with the administrator's issuer,
subject and token id. A webhook subscriber's secret is derived from WEBHOOK_SIGNING_KEY and
never stored: the reply to its `POST` gives it, once.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from activities.directory_store import DirectoryStore
from activities.webhook_signatures import SigningKeyError, secret_for, signing_key
from app.identity import Caller
from domain.directory import BindingRole
from domain.subscriptions import (
    DestinationKind,
    InvalidSubscription,
    Subscribe,
    Subscription,
    UnknownSubscription,
    Unsubscribe,
)
from interfaces.api.inputs import body_of
from interfaces.api.models import (
    SubscriptionAddedOut,
    SubscriptionBody,
    SubscriptionList,
    SubscriptionOut,
)
from interfaces.api.problems import ProblemError, problem_responses
from interfaces.api.resources import Authenticated, Held

log = logging.getLogger("pilot-partnerships.api")

router = APIRouter(tags=["subscriptions"])

SUBSCRIPTION_ID_PATTERN: Final = r"^[0-9a-f]{1,64}$"
"""What a subscription id looks like (twelve hex digits as the directory makes them)."""


def administrator(caller: Authenticated) -> Caller:
    """The caller, when they hold an administrator binding today; 403 NotPermitted otherwise."""
    if not any(b.role is BindingRole.ADMINISTRATOR for b in caller.bindings):
        held = ", ".join(b.label() for b in caller.bindings) or "no role"
        raise ProblemError(
            403,
            "NotPermitted",
            f"{caller.subject} holds {held}; only an administrator keeps the subscribers",
        )
    return caller


Administrator = Annotated[Caller, Depends(administrator)]


def _directory(held: Held) -> DirectoryStore:
    return DirectoryStore(held.store.engine())


def _signing_key(held: Held) -> bytes:
    settings = held.settings
    try:
        return signing_key(
            settings.webhook_signing_key,
            production=settings.partnerships_env == "production",
            data_dir=settings.data_dir,
        )
    except SigningKeyError as error:
        log.error("webhook signing key: %s", error)
        raise ProblemError(
            503,
            "WebhookSigningKeyMissing",
            "the service has no webhook signing key, so no webhook subscriber can be added; "
            "its operators must set WEBHOOK_SIGNING_KEY",
        ) from None


def _provenance(caller: Caller) -> dict[str, Any]:
    found = {"channel": "api", "issuer": caller.issuer, "subject": caller.subject}
    return found | ({"token_id": caller.token_id} if caller.token_id else {})


def _out(subscription: Subscription) -> dict[str, Any]:
    s = subscription
    return {
        "subscription_id": s.subscription_id,
        "name": s.name,
        "destination_kind": s.destination.kind.value,
        "destination": s.destination.address,
        "kinds": [k.value for k in s.filter.kinds],
        "regions": [r.value for r in s.filter.regions],
        "countries": list(s.filter.countries),
        "history": s.history,
        "subscribed_by": s.subscribed_by,
        "subscribed_on": s.subscribed_on,
        "reason": s.reason,
        "active": s.active,
        "ended": s.ended,
        "ended_by": s.ended_by,
        "ended_on": s.ended_on,
        "end_reason": s.end_reason,
        "href": f"/subscriptions/{s.subscription_id}",
    }


_BODY: Final = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": SubscriptionBody.model_json_schema()}},
    }
}


@router.get(
    "/subscriptions",
    response_model=SubscriptionList,
    summary="The subscribers (administrators)",
    responses=problem_responses(401, 403, 422, 503),
)
def list_subscriptions(
    caller: Administrator,
    held: Held,
    include_ended: Annotated[
        bool, Query(alias="all", description="Removed and stopped subscribers too")
    ] = False,
) -> SubscriptionList:
    """Every active subscriber, in the order added (with `all=true`, the ended ones too)."""
    listed = _directory(held).subscriptions(include_ended=include_ended)
    return SubscriptionList.model_validate({"items": [_out(s) for s in listed]})


@router.post(
    "/subscriptions",
    status_code=201,
    response_model=SubscriptionAddedOut,
    summary="Add a subscriber (administrators)",
    openapi_extra=_BODY,
    responses={
        201: {"headers": {"Location": {"schema": {"type": "string"}}}},
        **problem_responses(400, 401, 403, 409, 413, 422, 503),
    },
)
async def add_subscription(
    request: Request, response: Response, caller: Administrator, held: Held
) -> SubscriptionAddedOut:
    """Add a subscriber told by webhook (signed, Standard Webhooks) or by e-mail.

    The reply gives a webhook's secret once; refusals say what is allowed (422 for a
    destination or filter that is not, 409 for a name in use).
    """
    body = await body_of(request, SubscriptionBody)
    assert isinstance(body, SubscriptionBody)
    if (body.webhook is None) == (body.email is None):
        raise ProblemError(
            422,
            "InvalidSubscription",
            "give exactly one of `webhook` (an https:// address) and `email` (name@domain)",
        )
    if body.email is not None and "://" in body.email:
        raise ProblemError(
            422, "InvalidSubscription", "`email` is an e-mail address (name@domain), not a URL"
        )
    if body.webhook is not None and "://" not in body.webhook:
        raise ProblemError(
            422,
            "InvalidSubscription",
            "`webhook` is an https:// address, e.g. https://council.example.eu/hooks/milestones",
        )
    command = Subscribe(
        name=body.name,
        destination=body.webhook if body.webhook is not None else f"mailto:{body.email}",
        kinds=tuple(body.kinds),
        regions=tuple(body.regions),
        countries=tuple(body.countries),
        history=body.history,
        subscribed_by=caller.subject,
        reason=body.reason,
    )
    settings = held.settings
    production = settings.partnerships_env == "production"
    # The key is had before anything is recorded, so a missing key refuses the whole request.
    key = _signing_key(held) if body.webhook is not None else None
    try:
        added = await run_in_threadpool(
            _directory(held).subscribe,
            command,
            allow_loopback_http=not production,
            provenance=_provenance(caller),
        )
    except InvalidSubscription as error:
        # A destination or filter that is not allowed is a field that fails validation.
        raise ProblemError(422, "InvalidSubscription", error.message) from None
    response.headers["Location"] = f"/subscriptions/{added.subscription_id}"
    webhook = added.destination.kind is DestinationKind.WEBHOOK
    secret = secret_for(key, added.subscription_id) if webhook and key is not None else None
    return SubscriptionAddedOut.model_validate({**_out(added), "secret": secret})


@router.delete(
    "/subscriptions/{subscription_id}",
    response_model=SubscriptionOut,
    summary="Remove a subscriber (administrators)",
    responses=problem_responses(401, 403, 404, 409, 422, 503),
)
def remove_subscription(
    caller: Administrator,
    held: Held,
    subscription_id: Annotated[
        str, Path(pattern=SUBSCRIPTION_ID_PATTERN, description="The subscription's id")
    ],
) -> SubscriptionOut:
    """Remove a subscriber: it is told of nothing more. Its record stays, ended."""
    command = Unsubscribe(subscription_id=subscription_id, removed_by=caller.subject)
    try:
        removed = _directory(held).unsubscribe(command, provenance=_provenance(caller))
    except UnknownSubscription as error:
        raise ProblemError(404, "UnknownSubscription", error.message) from None
    return SubscriptionOut.model_validate(_out(removed))
