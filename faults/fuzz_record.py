"""The fuzzing scenario's record, compared with what its requests were told.

Every fuzzing request acts as a user of its own, its tag (faults.fuzz_plan), so each event the
store holds either names one request or was recorded by the scenario's own steps (and the
programme's bookkeeping). Counted:

- *lost*: a request told its step was recorded whose tag no event names;
- *duplicates*: an event a request recorded twice (the same type and identity under one tag),
  and any event of a request told it was refused (recorded although refused);
- for the scenario's own steps, faults.checks.compare against their expected events; the
  programme's stream may hold each partnership's slot taken, freed or released once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from activities.database import create_engine_from_url
from activities.eventstore import EventStore
from activities.records import StoredEvent
from faults.checks import Comparison, EventKey, Streams, compare, event_key
from faults.fuzz_send import Answer
from faults.lifecycles import PROGRAMME_EVENTS, PROGRAMME_STREAM

TAG_PREFIX = "fuzz-"


@dataclass
class Record:
    """The store's events, split: those a fuzzing request recorded (by tag), and the others."""

    by_tag: dict[str, Counter[tuple[str, EventKey]]] = field(default_factory=dict)
    """tag → (stream, key) → how often."""
    others: dict[str, Counter[EventKey]] = field(default_factory=dict)
    """stream → key → how often, for events no fuzzing request recorded."""
    partnership_streams: set[str] = field(default_factory=set)


def actor_of(event: StoredEvent) -> str | None:
    """The acting user's id an event names, if it names one (programme events do not)."""
    actor = event.payload.get("actor")
    if isinstance(actor, dict) and isinstance(actor.get("id"), str):
        return str(actor["id"])
    return None


def split(events: Iterable[StoredEvent]) -> Record:
    """Sort the store's events by who recorded them."""
    record = Record()
    for event in events:
        key = event_key(event.type, event.payload)
        if event.stream_id != PROGRAMME_STREAM:
            record.partnership_streams.add(event.stream_id)
        actor = actor_of(event)
        if actor is not None and actor.startswith(TAG_PREFIX):
            record.by_tag.setdefault(actor, Counter())[(event.stream_id, key)] += 1
        else:
            record.others.setdefault(event.stream_id, Counter())[key] += 1
    return record


def read_record(database_url: str) -> Record:
    """The store's events, split (faults.checks reads them the same way, by EventStore)."""
    engine = create_engine_from_url(database_url)
    try:
        return split(EventStore(engine).iter_all())
    finally:
        engine.dispose()


def compare_tagged(answers: Sequence[Answer], record: Record) -> Comparison:
    """Each fuzzing request's events against what its answer said."""
    lost = duplicates = 0
    lines: list[str] = []
    told = {answer.tag: answer for answer in answers}
    for tag in sorted({*told, *record.by_tag}):
        recorded = record.by_tag.get(tag, Counter())
        answer = told.get(tag)
        what = f"{tag} ({answer.what}, {answer.status})" if answer else f"{tag} (never sent)"
        if answer is not None and answer.accepted and not recorded:
            lost += 1
            lines.append(f"{what}: told recorded, but no event names it")
        if (answer is None or answer.accepted is False) and recorded:
            count = sum(recorded.values())
            duplicates += count
            lines.append(f"{what}: told refused, yet {count} event(s) name it")
            continue
        for (stream, key), n in sorted(recorded.items()):
            if n > 1:
                duplicates += n - 1
                lines.append(f"{what}: {stream} {key.type}({key.identity}) recorded {n} times")
    return Comparison(lost, duplicates, tuple(lines))


def programme_bounds(record: Record) -> Counter[EventKey]:
    """The most the programme's stream may hold: each partnership's slot taken, freed and
    released at most once (a slot taken for a proposal never recorded names a stream that
    holds no event, and is released)."""
    named = {key.identity for key in record.others.get(PROGRAMME_STREAM, Counter())}
    allowed: Counter[EventKey] = Counter()
    for stream in named | record.partnership_streams:
        for kind in PROGRAMME_EVENTS:
            allowed[EventKey(kind, stream)] = 1
    return allowed


def compare_all(
    answers: Sequence[Answer], record: Record, own: Mapping[str, Counter[EventKey]]
) -> Comparison:
    """Everything compared: the requests' events by tag, the scenario's own steps (`own`, by
    stream, which must be recorded exactly) and the programme's bounds."""
    tagged = compare_tagged(answers, record)
    at_most: dict[str, Counter[EventKey]] = {s: Counter(c) for s, c in own.items()}
    at_most[PROGRAMME_STREAM] = at_most.get(PROGRAMME_STREAM, Counter()) | programme_bounds(record)
    # The programme's slots are required only for the scenario's own proposals.
    at_least: Streams = own
    others = compare(at_least, at_most, record.others)
    return Comparison(
        tagged.lost + others.lost,
        tagged.duplicates + others.duplicates,
        tagged.lines + others.lines,
    )
