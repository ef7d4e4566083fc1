"""The permanent record of a partnership: its events with their provenance and hash links, and
its report-back documents in the format the caller accepts."""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import Response

from activities.records import StoredEvent
from app.exceptions import NotFound
from app.reading import latest_record
from app.reports import ReportFormat, render_report_as
from domain.state import MilestoneKind
from interfaces.api.inputs import CountryCode, country_in_path
from interfaces.api.models import Provenance, RecordedEvent, RecordPage
from interfaces.api.problems import ProblemError, problem_responses
from interfaces.api.resources import Authenticated, Held

router = APIRouter(tags=["record"])

MARKDOWN: Final = ReportFormat.MARKDOWN.media_type
HTML: Final = ReportFormat.HTML.media_type
PDF: Final = ReportFormat.PDF.media_type
OFFERED: Final = (MARKDOWN, HTML, PDF)
"""The report's formats, the first the default: the record's Markdown, and the Council-ready
document as HTML and as PDF."""
_FORMAT_OF: Final = {fmt.media_type: fmt for fmt in ReportFormat}

_PROVENANCE_KEYS: Final = ("channel", "issuer", "subject", "token_id")


def provenance(event: StoredEvent) -> Provenance:
    """Who and what recorded `event`, from its metadata (hash-chained with it).

    The channel, issuer, subject and token id sit at the metadata's top level (or under
    `provenance`); the actor is the metadata's, or the payload's for events recorded before
    metadata carried it. Events recorded before provenance existed show only their actor.
    """
    metadata = event.metadata
    nested = metadata.get("provenance")
    source = {**metadata, **(nested if isinstance(nested, dict) else {})}
    found = {key: source[key] for key in _PROVENANCE_KEYS if isinstance(source.get(key), str)}
    if "token_id" not in found and isinstance(source.get("jti"), str):
        found["token_id"] = source["jti"]
    actor = metadata.get("actor") or event.payload.get("actor")
    return Provenance(**found, actor=actor if isinstance(actor, dict) else None)


def recorded(event: StoredEvent) -> RecordedEvent:
    """One stored event as the API shows it."""
    return RecordedEvent(
        position=event.position,
        stream_id=event.stream_id,
        stream_version=event.stream_version,
        event_id=str(event.event_id),
        type=event.type,
        schema_version=event.schema_version,
        occurred_on=event.occurred_on,
        recorded_at=event.recorded_at,
        payload=event.payload,
        metadata=event.metadata,
        provenance=provenance(event),
        prev_hash=event.prev_hash,
        hash=event.hash,
    )


@router.get(
    "/partnerships/{cc}/events",
    response_model=RecordPage,
    summary="The record",
    responses=problem_responses(401, 403, 404, 422, 503),
)
def events(
    cc: CountryCode,
    caller: Authenticated,
    held: Held,
    from_: Annotated[
        int, Query(alias="from", ge=1, le=2**31 - 1, description="The first stream version")
    ] = 1,
) -> RecordPage:
    """The events of the country's latest stream from version `from`, oldest first.

    Each carries its provenance and the hash links that chain it (`prev_hash`, `hash`):
    `partnerships verify` recomputes them.
    """
    code = country_in_path(cc)
    record = latest_record(held.store.engine(), code)
    if record is None:
        raise NotFound(f"no partnership with {code} is on record", country=code)
    shown = [recorded(e) for e in record.stored if e.stream_version >= from_]
    return RecordPage(stream_id=record.stream_id, events=shown)


def chosen_format(accept: str | None) -> str:
    """The offered format `accept` prefers (by q-value, then our order); 406 if none fits."""
    if accept is None or not accept.strip():
        return OFFERED[0]
    best: tuple[float, int, str] | None = None
    for part in accept.split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        for rank, offered in enumerate(OFFERED):
            if _matches(media.lower(), offered):
                candidate = (quality, -rank, offered)
                best = candidate if best is None or candidate > best else best
    if best is None:
        raise ProblemError(
            406,
            "NotAcceptable",
            f"the report is available as {', '.join(OFFERED[:-1])} or {OFFERED[-1]}; ask for "
            "one in Accept",
            extra={"available": list(OFFERED)},
        )
    return best[2]


def _matches(media: str, offered: str) -> bool:
    if media in ("*/*", offered):
        return True
    kind, _, sub = media.partition("/")
    return sub == "*" and offered.startswith(f"{kind}/")


@router.get(
    "/partnerships/{cc}/reports/{milestone}",
    summary="A report-back document",
    response_class=Response,
    responses={
        200: {
            "description": "The report",
            "content": {
                MARKDOWN: {"schema": {"type": "string"}},
                HTML: {"schema": {"type": "string"}},
                PDF: {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **problem_responses(401, 403, 404, 406, 422, 503),
    },
)
def report(
    cc: CountryCode,
    milestone: MilestoneKind | Literal["all"],
    caller: Authenticated,
    held: Held,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """The report as of `milestone` (`all`: the whole record), rendered from the events.

    Markdown is the record's working copy; HTML and PDF are the Council-ready document, with
    its title, reference, dates and the Member States by name.
    """
    code = country_in_path(cc)
    fmt = _FORMAT_OF[chosen_format(accept)]
    kind = None if milestone == "all" else MilestoneKind(milestone)
    rendered = render_report_as(held.store.engine(), code, kind, fmt)
    headers = {
        "Vary": "Accept",
        "Content-Disposition": f'inline; filename="{rendered.filename}"',
    }
    media = fmt.media_type if fmt is ReportFormat.PDF else f"{fmt.media_type}; charset=utf-8"
    return Response(rendered.content, media_type=media, headers=headers)
