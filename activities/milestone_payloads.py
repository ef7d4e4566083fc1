"""What a subscriber receives about a milestone: the webhook's JSON body, and where to read more.

The body holds the milestone (its stream, version, kind, country, business date and when it
was recorded), the partnership's status summary from the read models as it stands when the
attempt is made, the report in Markdown, and links to the report and the partnership in the
HTTP API (`PUBLIC_URL`). Its `id` is the delivery's idempotency key, as in `webhook-id`.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from activities.mail_messages import report_url
from activities.outbox import OutboxMilestone
from activities.schema import events, milestones, participation, read_utc, status_board

EVENT_TYPE: Final = "milestone.reached"
"""The `type` of every webhook body (Standard Webhooks' recommended envelope)."""


@dataclass(frozen=True)
class StatusSummary:
    """The partnership as the status board read model holds it."""

    stage: str
    region: str
    consultation_deadline: datetime.date | None
    decision_deadline: datetime.date | None
    interested_member_states: list[str]
    version: int
    last_changed_on: datetime.date

    def as_json(self) -> dict[str, Any]:
        """The summary as JSON values."""
        return {
            "stage": self.stage,
            "region": self.region,
            "consultation_deadline": _iso(self.consultation_deadline),
            "decision_deadline": _iso(self.decision_deadline),
            "interested_member_states": self.interested_member_states,
            "version": self.version,
            "last_changed_on": self.last_changed_on.isoformat(),
        }


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def outbox_milestone(
    engine: Engine, stream_id: str, version: int, kind: str
) -> OutboxMilestone | None:
    """The outbox's milestone reached by `stream_id`'s event at `version`, if it is there."""
    query = (
        sa.select(milestones)
        .join(events, events.c.position == milestones.c.position)
        .where(
            milestones.c.stream_id == stream_id,
            milestones.c.kind == kind,
            events.c.stream_id == stream_id,
            events.c.stream_version == version,
        )
    )
    with engine.connect() as conn:
        r = conn.execute(query).first()
    if r is None:
        return None
    return OutboxMilestone(
        stream_id=r.stream_id,
        position=r.position,
        kind=r.kind,
        country=r.country,
        business_date=r.business_date,
        recorded_at=read_utc(r.recorded_at),
        report=r.report,
        delivery_state=r.delivery_state,
        delivered_at=read_utc(r.delivered_at) if r.delivered_at else None,
    )


def status_summary(engine: Engine, stream_id: str) -> StatusSummary | None:
    """The partnership's row of the status board, with its interested Member States."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(status_board).where(status_board.c.stream_id == stream_id)
        ).first()
        interested = conn.execute(
            sa.select(participation.c.member_state)
            .where(
                participation.c.stream_id == stream_id,
                participation.c.latest_answer == "interested",
            )
            .order_by(participation.c.member_state)
        ).scalars()
        names = list(interested)
    if row is None:
        return None
    return StatusSummary(
        stage=row.stage,
        region=row.region,
        consultation_deadline=row.consultation_deadline,
        decision_deadline=row.decision_deadline,
        interested_member_states=names,
        version=row.stream_version,
        last_changed_on=row.last_changed_on,
    )


def links(public_url: str, country: str, kind: str) -> dict[str, str]:
    """Where the API serves the milestone's report and the partnership (a token is needed)."""
    base = f"{public_url.rstrip('/')}/partnerships/{quote(country)}"
    return {
        "report": report_url(public_url, country, kind),
        "partnership": base,
        "events": f"{base}/events",
    }


def webhook_body(
    *,
    message_id: str,
    milestone: OutboxMilestone,
    version: int,
    summary: StatusSummary | None,
    public_url: str,
) -> bytes:
    """The JSON body of the milestone's webhook, as UTF-8 bytes (what is signed is what is sent)."""
    document = {
        "id": message_id,
        "type": EVENT_TYPE,
        "timestamp": milestone.recorded_at.isoformat(),
        "data": {
            "milestone": {
                "stream_id": milestone.stream_id,
                "version": version,
                "kind": milestone.kind,
                "country": milestone.country,
                "business_date": milestone.business_date.isoformat(),
                "recorded_at": milestone.recorded_at.isoformat(),
            },
            "partnership": summary.as_json() if summary is not None else None,
            "report": {"format": "text/markdown", "text": milestone.report},
            "links": links(public_url, milestone.country, milestone.kind),
        },
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
