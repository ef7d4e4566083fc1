"""Subscriptions (domain/subscriptions.py): where a subscriber may be told, what it is told,
and how its events fold into the directory beside the role bindings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.directory import (
    DIRECTORY_SCHEMA_VERSIONS,
    EMPTY_DIRECTORY,
    BindingRole,
    Directory,
    GrantRole,
    decide_grant,
    directory_event_payload,
    evolve_directory,
    parse_directory_event,
    replay_directory,
)
from domain.errors import DomainError
from domain.regions import Region
from domain.state import MilestoneKind
from domain.subscriptions import (
    EMAIL_MAX_CHARS,
    MAX_FILTER_ITEMS,
    AlreadySubscribed,
    DestinationKind,
    InvalidSubscription,
    StopSubscription,
    Subscribe,
    Subscription,
    SubscriptionEnded,
    SubscriptionError,
    SubscriptionFilter,
    UnknownSubscription,
    Unsubscribe,
    active_subscriptions,
    added_subscription,
    decide_stop,
    decide_subscribe,
    decide_unsubscribe,
    destination,
    email_destination,
    find_subscription,
    matches,
    subscription_filter,
    webhook_destination,
)

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
TODAY = NOW.date()


def subscribe(name: str = "council", where: str = "https://council.example.eu/hooks",
              **kwargs: object) -> Subscribe:  # fmt: skip
    return Subscribe.model_validate(
        {"name": name, "destination": where, "subscribed_by": "alice", **kwargs}
    )


def added(directory: Directory, command: Subscribe, sid: str = "s1", *,
          loopback: bool = False) -> Directory:  # fmt: skip
    event = decide_subscribe(
        directory, command, subscription_id=sid, now=NOW, allow_loopback_http=loopback
    )
    return evolve_directory(directory, event)


def subscription(filter_: SubscriptionFilter) -> Subscription:
    event = decide_subscribe(
        EMPTY_DIRECTORY, subscribe(), subscription_id="s1", now=NOW, allow_loopback_http=False
    )
    return added_subscription(event).model_copy(update={"filter": filter_})


# --- Destinations ----------------------------------------------------------------------------


def test_an_https_webhook_and_an_email_address_are_destinations_by_their_form() -> None:
    hook = destination(" https://council.example.eu/hooks?x=1 ", allow_loopback_http=False)
    assert (hook.kind, hook.address) == (
        DestinationKind.WEBHOOK,
        "https://council.example.eu/hooks?x=1",
    )
    mail = destination("Presidency.Office@Example.EU", allow_loopback_http=False)
    assert (mail.kind, mail.address) == (DestinationKind.EMAIL, "Presidency.Office@example.eu")
    assert email_destination("mailto:a@b.eu").address == "a@b.eu"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("ftp://council.example.eu/x", "is not a web address; a webhook is an https:// address"),
        ("https://alice:pw@council.example.eu/", "carries no user name or password"),
        ("https://council.example.eu/#frag", "has no #fragment"),
        ("https://council.example.eu:99999/", "is not a well-formed address"),
        ("https://council example.eu/", "has no spaces"),
        ("https://conseil.éu/", "non-ASCII"),
        ("http://council.example.eu/hooks", "allowed only to a loopback host"),
        ("https:///nohost", "is not a web address"),
        # Brackets hold an IPv6 address and nothing else (urllib, which sends, refuses these)
        ("https://council.example.eu[/hooks", "is not a well-formed address"),
        ("https://[]/hooks", "is not a well-formed address"),
        ("https://[council.example.eu]/hooks", "is not a well-formed address"),
    ],
)
def test_a_webhook_that_is_not_allowed_is_refused_saying_what_is(text: str, says: str) -> None:
    with pytest.raises(InvalidSubscription, match=says.replace("?", r"\?")) as refused:
        webhook_destination(text, allow_loopback_http=True)
    assert "https://council.example.eu/hooks/milestones" in refused.value.message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "[::1]", "localhost", "LOCALHOST"])
def test_plain_http_to_a_loopback_host_is_allowed_only_outside_production(host: str) -> None:
    address = f"http://{host}:8123/hook"
    assert webhook_destination(address, allow_loopback_http=True).address == address
    with pytest.raises(InvalidSubscription, match="allowed only outside production"):
        webhook_destination(address, allow_loopback_http=False)


@pytest.mark.parametrize(
    "text",
    ["plain", "a@b", "@example.eu", "a@@example.eu", "a b@example.eu", "a@-x.eu", "a@x..eu",
     "a@1.2.3.4", "é@example.eu", "a.@example.eu", "a@" + "x" * EMAIL_MAX_CHARS + ".eu"],
)  # fmt: skip
def test_a_malformed_email_address_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(InvalidSubscription, match=re.escape("secretariat@consilium.europa.eu")):
        destination(text, allow_loopback_http=True)


_LOCAL = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True).filter(
    lambda s: ".." not in s
)
_LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)


@given(
    local=_LOCAL,
    labels=st.lists(_LABEL, min_size=1, max_size=3),
    tld=st.sampled_from(["eu", "org", "pt"]),
)
def test_every_plain_email_address_is_accepted_as_written(
    local: str, labels: list[str], tld: str
) -> None:
    address = f"{local}@{'.'.join([*labels, tld])}"
    assert email_destination(address).address == address


@given(st.text(max_size=80))
def test_any_text_is_a_destination_or_a_typed_refusal_never_another_error(text: str) -> None:
    refusal: InvalidSubscription | None = None
    try:
        found = destination(text, allow_loopback_http=False)
    except InvalidSubscription as refused:
        refusal = refused
    if refusal is not None:
        assert "e.g. https://" in refusal.message or "e.g. secretariat@" in refusal.message
    else:
        assert found.address.startswith("https://") or "@" in found.address
        assert found.address == found.address.strip()


# --- Filters ---------------------------------------------------------------------------------


def test_a_filter_reads_names_in_any_case_and_keeps_each_once_in_order() -> None:
    wanted = subscription_filter(
        ["Launch", "deadline-reminder", "launch"], ["central_asia"], ["md", "CV", "GR", "cv"]
    )
    assert wanted.kinds == (MilestoneKind.DEADLINE_REMINDER, MilestoneKind.LAUNCH)
    assert wanted.regions == (Region.CENTRAL_ASIA,)
    assert wanted.countries == ("CV", "EL", "MD")
    assert wanted.describe() == (
        "kinds: deadline_reminder, launch; regions: central_asia; countries: CV, EL, MD"
    )
    assert SubscriptionFilter().describe() == "everything"


def test_an_unknown_kind_region_or_country_is_refused_naming_what_is_allowed() -> None:
    with pytest.raises(InvalidSubscription, match="the kinds are: consultation_outcome, "):
        subscription_filter(["launched"])
    with pytest.raises(InvalidSubscription, match="the regions are: africa_mediterranean, "):
        subscription_filter(regions_=["europe"])
    with pytest.raises(InvalidSubscription, match="give two ASCII letters naming a country"):
        subscription_filter(countries_=["ZZ"])
    with pytest.raises(InvalidSubscription, match=f"at most {MAX_FILTER_ITEMS} are allowed"):
        subscription_filter(countries_=["CV"] * (MAX_FILTER_ITEMS + 1))


_KIND = st.sampled_from(list(MilestoneKind))
_REGION = st.sampled_from(list(Region))
_COUNTRY = st.sampled_from(["CV", "MD", "GE", "TN", "XK", "UK"])


@given(
    kinds=st.frozensets(_KIND), regions=st.frozensets(_REGION), countries=st.frozensets(_COUNTRY),
    kind=_KIND, region=_REGION, country=_COUNTRY,
)  # fmt: skip
def test_a_milestone_matches_exactly_when_each_named_part_of_the_filter_names_it(
    kinds: frozenset[MilestoneKind],
    regions: frozenset[Region],
    countries: frozenset[str],
    kind: MilestoneKind,
    region: Region,
    country: str,
) -> None:
    wanted = subscription_filter(kinds, regions, countries)
    expected = (
        (not kinds or kind in kinds)
        and (not regions or region in regions)
        and (not countries or country in countries)
    )
    assert matches(subscription(wanted), kind, region, country) is expected
    # The empty filter lets everything through; the country's EU or ISO spelling is the same.
    assert matches(subscription(SubscriptionFilter()), kind, region, country)
    if country == "UK":
        assert matches(subscription(wanted), kind, region, "GB") is expected


# --- Decisions and the fold ------------------------------------------------------------------


def test_a_subscription_is_added_and_folds_into_the_directory_beside_the_bindings() -> None:
    grant = GrantRole(
        issuer="https://issuer.example/",
        subject="alice",
        role=BindingRole.ADMINISTRATOR,
        valid_from=TODAY,
        granted_by="root",
    )
    granted = decide_grant(EMPTY_DIRECTORY, grant, binding_id="b1", now=NOW)
    event = decide_subscribe(
        evolve_directory(EMPTY_DIRECTORY, granted),
        subscribe(kinds=("launch",), history=True, reason="the Council asked"),
        subscription_id="s1",
        now=NOW,
        allow_loopback_http=False,
    )
    directory = replay_directory([granted, event])
    (held,) = active_subscriptions(directory)
    assert (held.subscription_id, held.name, held.history, held.subscribed_on) == (
        "s1", "council", True, TODAY,
    )  # fmt: skip
    assert list(directory.bindings) == ["b1"]
    assert find_subscription(directory, "COUNCIL") == held == find_subscription(directory, "s1")
    assert find_subscription(directory, "nobody") is None


def test_every_subscription_event_round_trips_through_its_stored_payload() -> None:
    directory = added(EMPTY_DIRECTORY, subscribe())
    events = [
        decide_subscribe(EMPTY_DIRECTORY, subscribe(), subscription_id="s1", now=NOW,
                         allow_loopback_http=False),
        decide_unsubscribe(directory, Unsubscribe(subscription_id="s1", removed_by="bob"), now=NOW),
        decide_stop(directory, StopSubscription(subscription_id="s1", reason="410 Gone"), now=NOW),
    ]  # fmt: skip
    for event in events:
        assert event is not None
        payload = directory_event_payload(event)
        assert payload["schema_version"] == DIRECTORY_SCHEMA_VERSIONS[event.type] == 1
        assert parse_directory_event(payload) == event


def test_a_name_in_use_by_an_active_subscription_is_refused_until_it_is_removed() -> None:
    directory = added(EMPTY_DIRECTORY, subscribe())
    with pytest.raises(AlreadySubscribed, match="choose another name, or remove that one first"):
        added(directory, subscribe("COUNCIL", "other@example.eu"), "s2")
    with pytest.raises(AlreadySubscribed, match="each gets a new id"):
        added(directory, subscribe("other"), "s1")
    removal = decide_unsubscribe(directory, Unsubscribe(subscription_id="s1", removed_by="bob"),
                                 now=NOW)  # fmt: skip
    directory = evolve_directory(directory, removal)
    directory = added(directory, subscribe("COUNCIL", "other@example.eu"), "s2")
    assert [s.subscription_id for s in active_subscriptions(directory)] == ["s2"]


def test_only_an_active_subscription_is_removed_and_a_stop_after_its_end_records_nothing() -> None:
    directory = added(EMPTY_DIRECTORY, subscribe())
    with pytest.raises(UnknownSubscription, match="give the id or name of an active subscription"):
        decide_unsubscribe(directory, Unsubscribe(subscription_id="s9", removed_by="b"), now=NOW)
    stop = StopSubscription(subscription_id="s1", reason="the receiver answered 410 Gone")
    stopped = decide_stop(directory, stop, now=NOW)
    assert stopped is not None
    directory = evolve_directory(directory, stopped)
    (held,) = directory.subscriptions.values()
    assert (held.active, held.ended, held.ended_by) == (False, "stopped", "pilot-partnerships")
    assert decide_stop(directory, stop, now=NOW) is None
    with pytest.raises(SubscriptionEnded, match="was stopped on 2026-12-02 by pilot-partnerships"):
        decide_unsubscribe(directory, Unsubscribe(subscription_id="s1", removed_by="b"), now=NOW)


def test_a_subscription_takes_earlier_milestones_only_when_it_asked_for_history() -> None:
    before, after = NOW - timedelta(days=1), NOW + timedelta(seconds=1)
    plain = added_subscription(decide_subscribe(
        EMPTY_DIRECTORY, subscribe(), subscription_id="s1", now=NOW, allow_loopback_http=False
    ))  # fmt: skip
    with_history = plain.model_copy(update={"history": True})
    assert (plain.takes(before), plain.takes(NOW), plain.takes(after)) == (False, True, True)
    assert with_history.takes(before)


def test_refusals_are_domain_errors_and_malformed_commands_are_validation_errors() -> None:
    assert issubclass(SubscriptionError, DomainError)
    with pytest.raises(ValidationError):
        subscribe(name="")
    with pytest.raises(ValidationError):
        subscribe(subscribed_by=" alice")
    with pytest.raises(ValidationError):
        subscribe(colour="red")


def test_a_stream_of_role_bindings_alone_folds_to_no_subscription() -> None:
    grant = GrantRole(
        issuer="https://issuer.example/",
        subject="maria",
        role=BindingRole.MEMBER_STATE,
        member_state="PT",
        valid_from=TODAY,
        granted_by="root",
    )
    granted = decide_grant(EMPTY_DIRECTORY, grant, binding_id="b1", now=NOW)
    assert replay_directory([granted]) == Directory(bindings={"b1": evolve_directory(
        EMPTY_DIRECTORY, granted).bindings["b1"]})  # fmt: skip
    assert active_subscriptions(replay_directory([granted])) == []


_URL_TEXT = st.text(
    alphabet=st.sampled_from("abcxyz019.-_~:/?#[]@!$&'()*+,;=%"), min_size=1, max_size=40
)


@given(
    scheme=st.sampled_from(["https", "HTTPS", "http", "ftp", ""]),
    userinfo=st.sampled_from(["", "alice@", "alice:pw@", ":@", "@"]),
    host=st.sampled_from(["council.example.eu", "127.0.0.1", "[::1]", "LOCALHOST", "", "[::1"]),
    port=st.sampled_from(["", ":", ":8123", ":65535", ":65536", ":x"]),
    rest=_URL_TEXT | st.just("/hooks"),
)
def test_webhook_addresses_are_read_as_the_standard_librarys_url_parser_reads_them(
    scheme: str, userinfo: str, host: str, port: str, rest: str
) -> None:
    # The domain has its own small RFC 3986 reader (it imports nothing of urllib); on every
    # address it accepts, urllib.parse finds the same scheme, host, credentials and fragment.
    address = f"{scheme}://{userinfo}{host}{port}{rest}"
    try:
        accepted = webhook_destination(address, allow_loopback_http=True)
    except InvalidSubscription:
        return
    parts = urlsplit(accepted.address)
    assert parts.scheme in ("https", "http")
    assert parts.hostname
    assert parts.username is None
    assert parts.password is None
    assert not parts.fragment
    assert parts.port is None or 0 <= parts.port <= 65535
    if parts.scheme == "http":
        assert parts.hostname in ("127.0.0.1", "::1", "localhost")
