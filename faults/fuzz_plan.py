"""The fuzzing scenario's requests, all drawn before the first is sent, from a printed seed.

Half go through the HTTP API, half through the `temporal` CLI. Through the API: schemathesis's
cases of the partnership operations (positive and negative, from the API's own OpenAPI
document) and hostile bodies of faults.fuzz_payloads, each with a real token of a role drawn
for it (or a missing, tampered or expired one). Through the CLI: `temporal workflow update
execute`, `update start` and `signal` with hostile payloads, some with a forged attestation
header.

Every request has a tag, the user it acts as: the subject of its token, or the `actor.id` of
its Temporal payload. An event recorded by a request names its tag, so the checks afterwards
can tell, for each request, whether it was recorded, and how often.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, TypeVar

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from faults.fuzz_payloads import (
    SPOILER_CHOICES,
    UNKNOWN_NAMES,
    UPDATE_NAMES,
    hostile_value,
    spoiled_text,
    step_body,
)

_T = TypeVar("_T")

TokenKind = Literal[
    "commission", "member_state", "presidency", "operator", "none", "tampered", "expired"
]
TOKEN_KINDS: Final[tuple[TokenKind, ...]] = (
    "commission",
    "member_state",
    "presidency",
    "operator",
    "none",
    "tampered",
    "expired",
)
"""The token a request carries: a real one of a role, none, or one that fails verification."""
TOKEN_WEIGHTS: Final = (4, 3, 3, 1, 1, 1, 1)
"""How often each of TOKEN_KINDS is drawn: mostly real tokens, so most requests reach the
domain's rules; one in six fails authentication."""

CliCommand = Literal["execute", "start", "signal"]

FUZZED_PATHS: Final = ("/partnerships", "/partnerships/{cc}")
"""The operations schemathesis fuzzes: the board, proposals and every partnership's steps and
records (those whose path starts with these); subscriptions, deliveries and the programme's
settings are other subjects."""

HEADER_MAX_BYTES: Final = 100_000
"""The largest forged header sent: a command-line argument holds at most 128 KiB on Linux
(the payload goes in a file, a header cannot)."""

NO_SUCH_COUNTRIES: Final = ("ZZ", "FR", "cv", "C", "CVV", "XK")
"""Countries that name no live partnership: unknown, a Member State, lower case, too short."""


@dataclass(frozen=True)
class ApiCase:
    """A schemathesis case of the API's document, sent with the tag's token."""

    tag: str
    token: TokenKind
    case: Any  # schemathesis.Case: its type is generic over an internal operation type


@dataclass(frozen=True)
class ApiRaw:
    """A step through the API with a hostile body of our own, sent as these bytes."""

    tag: str
    token: TokenKind
    country: str
    update: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CliRequest:
    """One `temporal workflow update execute|update start|signal` call."""

    tag: str
    command: CliCommand
    workflow_id: str
    name: str
    text: str
    header: str | None = None
    """A `--headers KEY=VALUE` the call carries: a forged attestation."""


FuzzRequest = ApiCase | ApiRaw | CliRequest


def draw(strategy: st.SearchStrategy[_T], count: int, seed: int) -> list[_T]:
    """`count` values of `strategy`, the same ones for the same seed.

    Hypothesis draws them as a test would (its shrinking and database left out); a run that
    ends with fewer, as Hypothesis may when it sees duplicates, is followed by another.
    """
    drawn: list[_T] = []
    round_seed = seed
    while len(drawn) < count:

        @settings(
            max_examples=count - len(drawn),
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @hypothesis_seed(round_seed)
        @given(strategy)
        def collect(value: _T) -> None:
            drawn.append(value)

        collect()
        round_seed += 1
    return drawn[:count]


def api_case_strategy(document: dict[str, Any], countries: Sequence[str]) -> st.SearchStrategy[Any]:
    """schemathesis cases of the fuzzed operations, positive and negative, paths naming a
    live partnership (or a country of NO_SUCH_COUNTRIES)."""
    schema = schemathesis.openapi.from_dict(document)
    in_path = st.sampled_from([*countries, *countries, *countries, *countries, *NO_SUCH_COUNTRIES])
    strategies: list[st.SearchStrategy[Any]] = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            raise ValueError(f"the API's document has an invalid operation: {result.err()}")
        operation = result.ok()
        if not operation.path.startswith(FUZZED_PATHS):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if "{cc}" in operation.path:
                strategies.append(in_path.flatmap(_cases_naming(operation, mode)))
            else:
                strategies.append(operation.as_strategy(mode))
    return st.one_of(strategies)


def _cases_naming(operation: Any, mode: GenerationMode) -> Callable[[str], st.SearchStrategy[Any]]:
    """The operation's cases whose path names country `cc`."""

    def cases(cc: str) -> st.SearchStrategy[Any]:
        strategy: st.SearchStrategy[Any] = operation.as_strategy(mode, path_parameters={"cc": cc})
        return strategy

    return cases


def api_headers() -> st.SearchStrategy[dict[str, str]]:
    """Optional headers of a hostile step: malformed Idempotency-Key, If-Match, Content-Type."""
    return st.fixed_dictionaries(
        {},
        optional={
            "Idempotency-Key": st.one_of(st.text(max_size=300), st.just("k" * 10_000)),
            "If-Match": st.one_of(
                st.text(max_size=20), st.sampled_from(['"1"', '"-1"', "*", 'W/"x"'])
            ),
            "Content-Type": st.sampled_from(
                ["text/plain", "application/xml", "application/json; charset=latin-1", ""]
            ),
        },
    ).map(lambda given: {k: v for k, v in given.items() if _latin1(v)})


def api_body(update: str) -> st.SearchStrategy[Any]:
    """The body of a hostile step through the API (without `actor`: the token says who)."""
    return step_body(update if update in UPDATE_NAMES else "withdraw", with_actor=False)


def _latin1(value: str) -> bool:
    """Whether an HTTP client can send `value` as a header at all."""
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return "\n" not in value and "\r" not in value


def forged_headers() -> st.SearchStrategy[str]:
    """Attestation headers no key made: of the right form, or anything at all."""
    return st.one_of(
        st.text("0123456789abcdef", max_size=64).map(_forged_attestation),
        hostile_value()
        .map(lambda value: spoiled_text(value, 0))
        .filter(lambda text: len(text.encode()) < HEADER_MAX_BYTES),
    )


def _forged_attestation(mac: str) -> str:
    """An attestation header of the right form whose MAC no key made."""
    return json.dumps(
        {"key_id": "k-test", "issuer": "i", "subject": "s", "token_id": None, "mac": mac}
    )


def cli_body(name: str) -> st.SearchStrategy[Any]:
    """The payload of a `temporal` call of update (or signal) `name`, with `actor`."""
    if name in UPDATE_NAMES:
        return step_body(name, with_actor=True)
    return st.one_of(step_body("withdraw", with_actor=True), hostile_value())


def tagged(body: Any, tag: str) -> Any:
    """`body` acting as user `tag`, when it carries an actor that names one at all."""
    if isinstance(body, dict) and isinstance(body.get("actor"), dict):
        actor = dict(body["actor"])
        if isinstance(actor.get("id"), str):
            actor["id"] = tag
            return {**body, "actor": actor}
    return body


class Pools:
    """Values Hypothesis drew, by kind, handed out in turn.

    The requests' shape (channel, command, target, name, token) is chosen with a seeded
    `random.Random`, so every kind occurs as often as its weight says; what Hypothesis draws
    is the content (bodies, headers), one pool per kind, each drawn in one run.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.wanted: Counter[str] = Counter()
        self.strategies: dict[str, st.SearchStrategy[Any]] = {}
        self.drawn: dict[str, list[Any]] = {}

    def want(self, kind: str, strategy: st.SearchStrategy[Any]) -> str:
        """One more value of `kind` will be needed; returns the kind, to `take` it later."""
        self.wanted[kind] += 1
        self.strategies[kind] = strategy
        return kind

    def fill(self) -> None:
        """Draw every pool (kinds sorted, each from its own seed: a run repeats exactly).

        Two more than needed: Hypothesis begins a run with its simplest value, which `take`
        (from the end) then leaves aside unless the pool is used up.
        """
        for index, kind in enumerate(sorted(self.wanted)):
            count = self.wanted[kind] + 2
            self.drawn[kind] = draw(self.strategies[kind], count, self.seed + index)

    def take(self, kind: str) -> Any:
        """The next value of `kind`."""
        return self.drawn[kind].pop()


CLI_COMMANDS: Final[tuple[CliCommand, ...]] = ("execute", "start", "signal")
CLI_COMMAND_WEIGHTS: Final = (3, 2, 1)
NO_SUCH_WORKFLOWS: Final = ("partnership-ZZ", "partnership-cv", "partnership-", "PilotPartnership")


def plan(
    document: dict[str, Any], countries: Sequence[str], *, api: int, cli: int, seed: int
) -> list[FuzzRequest]:
    """`api` requests through the API and `cli` through the CLI, shuffled, from `seed`.

    `document` is the API's OpenAPI document; `countries` the live partnerships' countries.
    Half the API's requests are schemathesis's cases, half hostile steps of our own.
    """
    rng = random.Random(seed)
    pools = Pools(seed + 1)
    # Each update twice, but a withdrawal once: a plausible one ends its partnership, and
    # the requests after it meet a closed workflow instead of a live stage.
    names = [*UPDATE_NAMES, *(n for n in UPDATE_NAMES if n != "withdraw"), *UNKNOWN_NAMES]
    live = [f"partnership-{cc}" for cc in countries]
    targets = [*live, *live, *live, *NO_SUCH_WORKFLOWS]

    def token() -> TokenKind:
        return rng.choices(TOKEN_KINDS, TOKEN_WEIGHTS)[0]

    shapes: list[tuple[Any, ...]] = []
    for _ in range(api // 2):
        # Through the API, only the first three unknown names: the HTTP client would rewrite
        # some of the others ("../withdraw", "", a trailing space) into another path.
        update = rng.choice(names[: -len(UNKNOWN_NAMES) + 3])
        shapes.append(
            (
                "raw",
                token(),
                rng.choice([*countries, *countries, *NO_SUCH_COUNTRIES[:2]]),
                update,
                pools.want(f"api {update}", api_body(update)),
                rng.choice(SPOILER_CHOICES),
                pools.want("api headers", api_headers()) if rng.random() < 0.3 else None,
            )
        )
    for _ in range(cli):
        name = rng.choice(names)
        shapes.append(
            (
                "cli",
                rng.choices(CLI_COMMANDS, CLI_COMMAND_WEIGHTS)[0],
                rng.choice(targets),
                name,
                pools.want(f"cli {name}", cli_body(name)),
                rng.choice(SPOILER_CHOICES),
                pools.want("forged", forged_headers()) if rng.random() < 0.2 else None,
            )
        )
    pools.fill()
    requests: list[FuzzRequest] = [
        ApiCase(f"fuzz-{i:04d}", token(), case)
        for i, case in enumerate(draw(api_case_strategy(document, countries), api - api // 2, seed))
    ]
    for shape in shapes:
        tag = f"fuzz-{len(requests):04d}"
        if shape[0] == "raw":
            _, kind, country, update, body, spoiler, headers = shape
            text = spoiled_text(pools.take(body), spoiler)
            extra = pools.take(headers) if headers else {}
            requests.append(
                ApiRaw(tag, kind, country, update, text.encode("utf-8", "surrogatepass"), extra)
            )
        else:
            _, command, workflow_id, name, body, spoiler, header = shape
            text = spoiled_text(tagged(pools.take(body), tag), spoiler)
            forged = pools.take(header) if header else None
            requests.append(CliRequest(tag, command, workflow_id, name, text, forged))
    rng.shuffle(requests)
    return requests
