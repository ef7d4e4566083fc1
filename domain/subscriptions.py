"""Who is told what: subscriptions to report-back milestones, as events of the directory.

A subscription names a receiver (a webhook that takes signed HTTPS requests, or an e-mail
address), a filter (milestone kinds, regions, countries; an empty part lets everything through)
and whether it also wants the milestones recorded before it was added (`history`). Its events
are recorded in the directory's one stream, beside the role bindings (domain/directory.py folds
them), so who was told what, and from when, is itself on the permanent record.

As for role bindings, the rules are pure: `decide_subscribe`, `decide_unsubscribe` and
`decide_stop` return the event to record or raise a typed SubscriptionError that says what was
wrong and what is allowed. The clock, the new subscription's id and whether plain `http://` is
allowed for loopback receivers (tests and development only) come from the caller.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal, NamedTuple, Protocol

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domain.actors import ACTOR_ID_MAX_BYTES, SYSTEM_ACTOR
from domain.countries import eu_code
from domain.errors import DomainError, InvalidCountry
from domain.regions import Region
from domain.state import MilestoneKind
from domain.text import Label, Text, no_format_characters, printable, utf8_size

URL_MAX_CHARS: Final = 2000
"""The longest webhook address accepted: what every common HTTP stack takes in a request line."""

EMAIL_MAX_CHARS: Final = 254
"""The longest e-mail address SMTP carries (RFC 5321's path limit, less its angle brackets)."""

MAX_FILTER_ITEMS: Final = 300
"""The most kinds, regions or countries one filter may name: more than there are countries."""

STOPPED_BY: Final = SYSTEM_ACTOR.id
"""Who stops a subscription whose receiver answered `410 Gone`: the engine itself."""

LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.localdomain"})
"""Host names that always mean this machine, besides the loopback addresses."""


# --- Errors ----------------------------------------------------------------------------------


class SubscriptionError(DomainError):
    """Root of the refusals about subscriptions; nothing is recorded when one is raised."""


class InvalidSubscription(SubscriptionError):
    """A destination or a filter that is not allowed; the message says what is."""


class AlreadySubscribed(SubscriptionError):
    """A new subscription under the name of one that is still active."""


class UnknownSubscription(SubscriptionError):
    """A subscription id or name that names no subscription in the directory."""


class SubscriptionEnded(SubscriptionError):
    """A removal of a subscription that was removed or stopped already."""


# --- Destinations ----------------------------------------------------------------------------


class DestinationKind(StrEnum):
    """How a subscriber is told: a signed webhook request, or an e-mail."""

    WEBHOOK = "webhook"
    EMAIL = "email"


class Destination(BaseModel):
    """Where a subscriber is told: a webhook URL or an e-mail address, as validated."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: DestinationKind
    address: str

    def __str__(self) -> str:
        return self.address


_WEBHOOK_RULE: Final = (
    "a webhook is an https:// address, e.g. https://council.example.eu/hooks/milestones"
)

# A dot-atom local part (RFC 5322) and a host name of letters, digits and hyphens: what every
# mail system delivers to. Quoted local parts and address literals are refused, not guessed at.
_ATOM: Final = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LOCAL_PART: Final = re.compile(rf"{_ATOM}(?:\.{_ATOM})*")
_HOST_LABEL: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_EMAIL_RULE: Final = (
    "an e-mail address is written as name@domain, e.g. secretariat@consilium.europa.eu, in "
    "ASCII letters, digits and . _ + - in the name, and a domain of dot-separated labels"
)


# RFC 3986, appendix B: scheme, authority, path, query, fragment. (urllib.parse would do, but
# the domain imports nothing of a package that also does I/O.)
_URL: Final = re.compile(r"(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?")
_PORT: Final = re.compile(r"[0-9]{0,5}")


class _Url(NamedTuple):
    scheme: str
    userinfo: str | None
    host: str
    fragment: str | None


def _split_url(address: str) -> _Url:
    """The parts of `address` a webhook rule reads; ValueError for a malformed authority."""
    found = _URL.fullmatch(address)
    if found is None:  # the pattern matches any text; kept for the type checker
        raise ValueError(address)
    scheme, authority, _, _, fragment = found.groups()
    userinfo, at, hostport = (authority or "").rpartition("@")
    if hostport.startswith("["):
        host, bracket, port = hostport[1:].partition("]")
        if not bracket or (port and not port.startswith(":")):
            raise ValueError(address)
        ipaddress.IPv6Address(host)  # RFC 3986: brackets hold an IPv6 address (ValueError)
        port = port[1:]
    else:
        host, _, port = hostport.partition(":")
        if "[" in host or "]" in host:  # outside an IP literal, brackets are not host text
            raise ValueError(address)
    if not _PORT.fullmatch(port) or (port and int(port) > 65535):
        raise ValueError(address)
    return _Url((scheme or "").lower(), userinfo if at else None, host.lower(), fragment)


def is_loopback_host(host: str) -> bool:
    """Whether `host` (a URL's host name, without brackets) means this machine only."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def webhook_destination(text: str, *, allow_loopback_http: bool) -> Destination:
    """`text` as a webhook destination, or InvalidSubscription saying what is allowed.

    Only `https://` is allowed, with one exception for tests and development: `http://` to a
    loopback host (localhost, 127.0.0.0/8, ::1) when `allow_loopback_http` (never in
    production). The address must not carry a user name or password: it is kept in the
    permanent record, and the receiver checks the signature instead.
    """
    address = text.strip()
    if not address or len(address) > URL_MAX_CHARS:
        raise InvalidSubscription(
            f"a webhook address has 1 to {URL_MAX_CHARS:,} characters; {_WEBHOOK_RULE}"
        )
    if any(c.isspace() or not c.isprintable() or not c.isascii() for c in address):
        raise InvalidSubscription(
            "a webhook address has no spaces, control or non-ASCII characters (write an "
            f"internationalised host in its xn-- form); {_WEBHOOK_RULE}"
        )
    try:
        parts = _split_url(address)
    except ValueError:
        raise InvalidSubscription(
            f"{address[:100]!r} is not a well-formed address; {_WEBHOOK_RULE}"
        ) from None
    host = parts.host
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidSubscription(f"{address[:100]!r} is not a web address; {_WEBHOOK_RULE}")
    if parts.userinfo is not None:
        raise InvalidSubscription(
            "a webhook address carries no user name or password: it is kept in the permanent "
            "record, and receivers check each request's signature instead; "
            f"{_WEBHOOK_RULE}"
        )
    if parts.fragment:
        raise InvalidSubscription(
            f"a webhook address has no #fragment (it is never sent); {_WEBHOOK_RULE}"
        )
    if parts.scheme == "http":
        if not is_loopback_host(host):
            raise InvalidSubscription(
                f"{address[:100]!r} is plain http://, which is allowed only to a loopback "
                f"host (localhost, 127.0.0.1, ::1) in tests and development; {_WEBHOOK_RULE}"
            )
        if not allow_loopback_http:
            raise InvalidSubscription(
                f"{address[:100]!r} is plain http://, which is allowed only outside "
                f"production, to a loopback host for tests; {_WEBHOOK_RULE}"
            )
    return Destination(kind=DestinationKind.WEBHOOK, address=address)


def email_destination(text: str) -> Destination:
    """`text` as an e-mail destination (its domain in lower case), or InvalidSubscription."""
    address = text.strip()
    if address.lower().startswith("mailto:"):
        address = address[len("mailto:") :]
    if len(address) > EMAIL_MAX_CHARS:
        raise InvalidSubscription(
            f"an e-mail address has at most {EMAIL_MAX_CHARS} characters; {_EMAIL_RULE}"
        )
    local, at, domain = address.rpartition("@")
    labels = domain.split(".")
    well_formed = (
        bool(at)
        and 0 < len(local) <= 64
        and _LOCAL_PART.fullmatch(local) is not None
        and len(labels) >= 2
        and all(_HOST_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )
    if not well_formed:
        raise InvalidSubscription(f"{address[:100]!r} is not an e-mail address; {_EMAIL_RULE}")
    return Destination(kind=DestinationKind.EMAIL, address=f"{local}@{domain.lower()}")


def destination(text: str, *, allow_loopback_http: bool) -> Destination:
    """A webhook (`https://…`, or `http://` as allowed) or an e-mail address, by its form."""
    stripped = text.strip()
    if "://" in stripped or stripped.lower().startswith(("http:", "https:")):
        return webhook_destination(stripped, allow_loopback_http=allow_loopback_http)
    if "@" in stripped:
        return email_destination(stripped)
    raise InvalidSubscription(
        f"{stripped[:100]!r} is neither a webhook nor an e-mail address; {_WEBHOOK_RULE}, "
        f"and {_EMAIL_RULE}"
    )


# --- Filters ---------------------------------------------------------------------------------


def _names(values: Iterable[StrEnum]) -> str:
    return ", ".join(v.value for v in values)


def _too_many(what: str, count: int) -> InvalidSubscription:
    return InvalidSubscription(
        f"the filter names {count} {what}; at most {MAX_FILTER_ITEMS} are allowed (an empty "
        f"list lets every one through)"
    )


def milestone_kinds(texts: Iterable[str]) -> tuple[MilestoneKind, ...]:
    """The kinds named, each once, in the order MilestoneKind lists them; or InvalidSubscription."""
    named = list(texts)
    if len(named) > MAX_FILTER_ITEMS:
        raise _too_many("milestone kinds", len(named))
    kinds: set[MilestoneKind] = set()
    for text in named:
        try:
            kinds.add(MilestoneKind(text.strip().lower().replace("-", "_")))
        except ValueError:
            raise InvalidSubscription(
                f"{text[:60]!r} is not a milestone kind; the kinds are: {_names(MilestoneKind)}"
            ) from None
    return tuple(k for k in MilestoneKind if k in kinds)


def regions(texts: Iterable[str]) -> tuple[Region, ...]:
    """The regions named, each once, in the order Region lists them; or InvalidSubscription."""
    named = list(texts)
    if len(named) > MAX_FILTER_ITEMS:
        raise _too_many("regions", len(named))
    found: set[Region] = set()
    for text in named:
        try:
            found.add(Region(text.strip().lower().replace("-", "_")))
        except ValueError:
            raise InvalidSubscription(
                f"{text[:60]!r} is not a region; the regions are: {_names(Region)}"
            ) from None
    return tuple(r for r in Region if r in found)


def countries(texts: Iterable[str]) -> tuple[str, ...]:
    """The countries named, as the EU writes their codes, each once and sorted."""
    named = list(texts)
    if len(named) > MAX_FILTER_ITEMS:
        raise _too_many("countries", len(named))
    found: set[str] = set()
    for text in named:
        try:
            found.add(eu_code(text))
        except InvalidCountry as error:
            raise InvalidSubscription(f"in the filter's countries: {error.message}") from None
    return tuple(sorted(found))


class SubscriptionFilter(BaseModel):
    """Which milestones a subscription takes; an empty part lets every value through."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kinds: tuple[MilestoneKind, ...] = ()
    regions: tuple[Region, ...] = ()
    countries: tuple[str, ...] = ()

    def describe(self) -> str:
        """The filter in words, e.g. `kinds: launch; countries: CV, MD` or `everything`."""
        parts = [
            f"{label}: {', '.join(values)}"
            for label, values in (
                ("kinds", [k.value for k in self.kinds]),
                ("regions", [r.value for r in self.regions]),
                ("countries", list(self.countries)),
            )
            if values
        ]
        return "; ".join(parts) or "everything"


def subscription_filter(
    kinds: Iterable[str] = (), regions_: Iterable[str] = (), countries_: Iterable[str] = ()
) -> SubscriptionFilter:
    """A filter from the names given, checked; InvalidSubscription names what is allowed."""
    return SubscriptionFilter(
        kinds=milestone_kinds(kinds), regions=regions(regions_), countries=countries(countries_)
    )


def _same_country(code: str) -> str:
    # Never raises: a milestone's country was checked when its partnership was proposed.
    try:
        return eu_code(code)
    except InvalidCountry:
        return code


# --- Commands --------------------------------------------------------------------------------


def _a_name(value: str) -> str:
    size = utf8_size(value)
    if size > ACTOR_ID_MAX_BYTES:
        raise ValueError(
            f"is {size:,} bytes in UTF-8; at most {ACTOR_ID_MAX_BYTES:,} bytes are allowed"
        )
    if value != value.strip() or any(c in value for c in "\n\r"):
        raise ValueError("must be one line without spaces at either end, e.g. maria.silva")
    return value


# A name that becomes an actor's id follows the id's rules: who subscribed or unsubscribed, and
# in domain/directory.py a token's subject and who granted or revoked a role.
ActorName = Annotated[
    str,
    StringConstraints(min_length=1),
    AfterValidator(_a_name),
    AfterValidator(printable),
    AfterValidator(no_format_characters),
]
By = ActorName


class SubscriptionCommand(BaseModel):
    """Base of the subscription commands: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Subscribe(SubscriptionCommand):
    """Add a subscriber: a name, where to tell it, what to tell it, and whether the past too.

    `destination` is a webhook URL or an e-mail address; `kinds`, `regions` and `countries`
    are names (MilestoneKind, Region, country codes), checked by `decide_subscribe`.
    """

    name: Label
    destination: str = Field(min_length=1, max_length=URL_MAX_CHARS)
    kinds: tuple[str, ...] = Field(default=(), max_length=MAX_FILTER_ITEMS)
    regions: tuple[str, ...] = Field(default=(), max_length=MAX_FILTER_ITEMS)
    countries: tuple[str, ...] = Field(default=(), max_length=MAX_FILTER_ITEMS)
    history: bool = False
    subscribed_by: By
    reason: Text | None = None


class Unsubscribe(SubscriptionCommand):
    """Remove a subscriber: it is told nothing more from the day it is removed."""

    subscription_id: str = Field(min_length=1, max_length=64)
    removed_by: By
    reason: Text | None = None


class StopSubscription(SubscriptionCommand):
    """Stop a subscription for the system, e.g. because its receiver answered `410 Gone`."""

    subscription_id: str = Field(min_length=1, max_length=64)
    reason: Text


# --- Events ----------------------------------------------------------------------------------


class SubscriptionEventBase(BaseModel):
    """Fields every subscription event carries, as every directory event does."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = 1
    occurred_on: date
    recorded_at: AwareDatetime


class SubscriptionAdded(SubscriptionEventBase):
    """A subscriber was added, by `subscribed_by`."""

    type: Literal["SubscriptionAdded"] = "SubscriptionAdded"
    subscription_id: str
    name: str
    destination: Destination
    filter: SubscriptionFilter
    history: bool
    subscribed_by: str
    reason: str | None = None


class SubscriptionRemoved(SubscriptionEventBase):
    """A subscriber was removed, by `removed_by`; it is told nothing from then on."""

    type: Literal["SubscriptionRemoved"] = "SubscriptionRemoved"
    subscription_id: str
    removed_by: str
    reason: str | None = None


class SubscriptionStopped(SubscriptionEventBase):
    """The system stopped a subscription, saying why (e.g. its receiver answered 410 Gone)."""

    type: Literal["SubscriptionStopped"] = "SubscriptionStopped"
    subscription_id: str
    reason: str


SubscriptionEvent = SubscriptionAdded | SubscriptionRemoved | SubscriptionStopped
"""The directory's events about subscriptions (its union names them with the bindings')."""


# --- State -----------------------------------------------------------------------------------


class Subscription(BaseModel):
    """One subscription as the directory holds it now: added, and perhaps ended."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subscription_id: str
    name: str
    destination: Destination
    filter: SubscriptionFilter
    history: bool
    subscribed_by: str
    subscribed_on: date
    subscribed_at: AwareDatetime
    reason: str | None = None
    ended: Literal["removed", "stopped"] | None = None
    ended_by: str | None = None
    ended_on: date | None = None
    end_reason: str | None = None

    @property
    def active(self) -> bool:
        """Whether the subscriber is still told of new milestones."""
        return self.ended is None

    def takes(self, recorded_at: datetime) -> bool:
        """Whether a milestone recorded at `recorded_at` is owed to this subscriber at all.

        Those recorded before it was added are owed only when it asked for history.
        """
        return self.history or recorded_at >= self.subscribed_at


class HoldsSubscriptions(Protocol):
    """What holds subscriptions by id: the directory (domain/directory.py)."""

    @property
    def subscriptions(self) -> Mapping[str, Subscription]:
        """Every subscription ever added, by id, in the order added."""
        ...


def added_subscription(event: SubscriptionAdded) -> Subscription:
    """The subscription a SubscriptionAdded event creates."""
    return Subscription(
        subscription_id=event.subscription_id,
        name=event.name,
        destination=event.destination,
        filter=event.filter,
        history=event.history,
        subscribed_by=event.subscribed_by,
        subscribed_on=event.occurred_on,
        subscribed_at=event.recorded_at,
        reason=event.reason,
    )


def ended_subscription(
    subscription: Subscription, event: SubscriptionRemoved | SubscriptionStopped
) -> Subscription:
    """`subscription` as a SubscriptionRemoved or SubscriptionStopped event leaves it."""
    if isinstance(event, SubscriptionRemoved):
        how, by = "removed", event.removed_by
    else:
        how, by = "stopped", STOPPED_BY
    return subscription.model_copy(
        update={
            "ended": how,
            "ended_by": by,
            "ended_on": event.occurred_on,
            "end_reason": event.reason,
        }
    )


def apply_subscription_event(
    subscriptions: dict[str, Subscription], event: SubscriptionEvent
) -> None:
    """Fold one subscription event into `subscriptions`, in place (the decisions checked it)."""
    match event:
        case SubscriptionAdded():
            subscriptions[event.subscription_id] = added_subscription(event)
        case SubscriptionRemoved() | SubscriptionStopped():
            held = subscriptions[event.subscription_id]
            subscriptions[event.subscription_id] = ended_subscription(held, event)


def active_subscriptions(directory: HoldsSubscriptions) -> list[Subscription]:
    """The subscriptions still active, in the order they were added."""
    return [s for s in directory.subscriptions.values() if s.active]


def find_subscription(directory: HoldsSubscriptions, key: str) -> Subscription | None:
    """The subscription whose id is `key`, else the active one named `key` (any case)."""
    held = directory.subscriptions.get(key)
    if held is not None:
        return held
    wanted = key.strip().casefold()
    for subscription in active_subscriptions(directory):
        if subscription.name.casefold() == wanted:
            return subscription
    return None


def matches(subscription: Subscription, kind: MilestoneKind, region: Region, country: str) -> bool:
    """Whether a milestone of `kind`, for `country` in `region`, passes the subscription's filter.

    Each part of the filter that names nothing lets every value through; one that names values
    lets only those through. Whether the subscription is active is not asked here.
    """
    wanted = subscription.filter
    return (
        (not wanted.kinds or kind in wanted.kinds)
        and (not wanted.regions or region in wanted.regions)
        and (not wanted.countries or _same_country(country) in wanted.countries)
    )


# --- Decisions -------------------------------------------------------------------------------


def decide_subscribe(
    directory: HoldsSubscriptions,
    command: Subscribe,
    *,
    subscription_id: str,
    now: datetime,
    allow_loopback_http: bool,
) -> SubscriptionAdded:
    """The SubscriptionAdded event for `command`, or a SubscriptionError saying why not.

    The destination and the filter must be valid (`destination`, `subscription_filter`); no
    active subscription may have the same name (in any case); an id is never reused.
    """
    where = destination(command.destination, allow_loopback_http=allow_loopback_http)
    wanted = subscription_filter(command.kinds, command.regions, command.countries)
    if subscription_id in directory.subscriptions:
        raise AlreadySubscribed(
            f"a subscription with id {subscription_id} exists already; each gets a new id"
        )
    for held in active_subscriptions(directory):
        if held.name.casefold() == command.name.casefold():
            raise AlreadySubscribed(
                f"the subscription {held.name!r} (id {held.subscription_id}, to "
                f"{held.destination}) exists already; choose another name, or remove that "
                "one first"
            )
    return SubscriptionAdded(
        subscription_id=subscription_id,
        name=command.name,
        destination=where,
        filter=wanted,
        history=command.history,
        subscribed_by=command.subscribed_by,
        reason=command.reason,
        occurred_on=now.date(),
        recorded_at=now,
    )


def _held(directory: HoldsSubscriptions, subscription_id: str) -> Subscription:
    held = directory.subscriptions.get(subscription_id)
    if held is None:
        raise UnknownSubscription(
            f"no subscription has the id {subscription_id!r}; give the id or name of an "
            "active subscription as the list of subscribers shows it"
        )
    return held


def decide_unsubscribe(
    directory: HoldsSubscriptions, command: Unsubscribe, *, now: datetime
) -> SubscriptionRemoved:
    """The SubscriptionRemoved event for `command`, or a SubscriptionError saying why not.

    Only an active subscription can be removed.
    """
    held = _held(directory, command.subscription_id)
    if not held.active:
        ended_on = held.ended_on.isoformat() if held.ended_on else "?"
        raise SubscriptionEnded(
            f"the subscription {held.name!r} (id {held.subscription_id}) was {held.ended} on "
            f"{ended_on} by {held.ended_by}; only an active subscription can be removed"
        )
    return SubscriptionRemoved(
        subscription_id=held.subscription_id,
        removed_by=command.removed_by,
        reason=command.reason,
        occurred_on=now.date(),
        recorded_at=now,
    )


def decide_stop(
    directory: HoldsSubscriptions, command: StopSubscription, *, now: datetime
) -> SubscriptionStopped | None:
    """The SubscriptionStopped event for `command`; None when it has ended already.

    A stop comes from a delivery that may be retried, or race a removal: once the
    subscription has ended there is nothing more to record, and that is no error.
    """
    held = _held(directory, command.subscription_id)
    if not held.active:
        return None
    return SubscriptionStopped(
        subscription_id=held.subscription_id,
        reason=command.reason,
        occurred_on=now.date(),
        recorded_at=now,
    )
