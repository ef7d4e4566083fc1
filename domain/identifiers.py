"""The names of a partnership in the contract: its workflow id and its event streams.

A country's partnership runs as workflow `partnership-CV`; each incarnation of it (a country may
be proposed again after an end) records to its own stream, `partnership-CV/1`, `/2`, … Every
part of the system builds and reads these names here, so an operator may paste any of them
(`CV`, `partnership-CV` from the Temporal UI, or `partnership-CV/2`) wherever a stream is named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final

from domain.countries import iso_code
from domain.directory import DIRECTORY_STREAM
from domain.programme import PROGRAMME_STREAM

WORKFLOW_ID_PREFIX: Final = "partnership-"


def workflow_id_for(country: str) -> str:
    """The workflow id of a country's partnership, e.g. `partnership-CV` (`uk` → `-GB`).

    Raises InvalidCountry for a code that is not an ISO 3166-1 alpha-2 country.
    """
    return f"{WORKFLOW_ID_PREFIX}{iso_code(country)}"


def stream_prefix(country: str) -> str:
    """The prefix shared by every incarnation of a country's stream, e.g. `partnership-CV/`."""
    return f"{workflow_id_for(country)}/"


def stream_id(country: str, incarnation_number: int) -> str:
    """The stream of one incarnation of a country's partnership, e.g. `partnership-CV/2`."""
    return f"{stream_prefix(country)}{incarnation_number}"


def incarnation(stream: str) -> int:
    """The ordinal of a partnership stream, `partnership-CV/2` → 2; 0 when it has none."""
    head, sep, tail = stream.rpartition("/")
    return int(tail) if sep and head and tail.isdigit() else 0


def latest_stream(streams: Iterable[str]) -> str | None:
    """The latest incarnation among a country's streams, or None when there is none."""
    return max(streams, key=incarnation, default=None)


def next_stream(country: str, streams: Iterable[str]) -> str:
    """The stream a new incarnation of the country's partnership records to."""
    return stream_id(country, max((incarnation(s) for s in streams), default=0) + 1)


def resolve_stream(name: str, streams_with_prefix: Callable[[str], list[str]]) -> str | None:
    """The stream `name` means: itself when it names an incarnation, else the latest one.

    `name` may be a country code (`CV`), a workflow id (`partnership-CV`) or a stream id
    (`partnership-CV/2`, the directory's `directory`, the programme's `programme`, or any
    other stream, returned as given). Raises InvalidCountry when a code or workflow id names
    no country; None when that country has no stream yet.
    """
    text = name.strip()
    if "/" in text or text in (DIRECTORY_STREAM, PROGRAMME_STREAM):
        return text
    code = text[len(WORKFLOW_ID_PREFIX) :] if text.startswith(WORKFLOW_ID_PREFIX) else text
    return latest_stream(streams_with_prefix(stream_prefix(code)))
