"""The event store, its stream heads, the read models and the projector checkpoints.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Mirrors activities/schema.py; `alembic check` in the tests keeps the two in step.
_position = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_document = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("position", _position, autoincrement=True, nullable=False),
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("stream_version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=120), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("payload", _document, nullable=False),
        sa.Column("metadata", _document, nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_events")),
        sa.UniqueConstraint(
            "stream_id", "stream_version", name=op.f("uq_events_stream_id_stream_version")
        ),
        sa.UniqueConstraint("event_id", name=op.f("uq_events_event_id")),
        sa.CheckConstraint("stream_version >= 1", name=op.f("ck_events_stream_version_positive")),
        sa.CheckConstraint("schema_version >= 1", name=op.f("ck_events_schema_version_positive")),
    )
    op.create_table(
        "streams",
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_streams")),
    )
    op.create_table(
        "status_board",
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("consultation_deadline", sa.Date(), nullable=True),
        sa.Column("decision_deadline", sa.Date(), nullable=True),
        sa.Column("interested_count", sa.Integer(), nullable=False),
        sa.Column("stream_version", sa.Integer(), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column("last_event_type", sa.String(length=120), nullable=False),
        sa.Column("last_changed_on", sa.Date(), nullable=False),
        sa.Column("last_recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_status_board")),
    )
    op.create_index(op.f("ix_status_board_country"), "status_board", ["country"])
    op.create_table(
        "participation",
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("member_state", sa.String(length=2), nullable=False),
        sa.Column("latest_answer", sa.String(length=32), nullable=True),
        sa.Column("offers", sa.JSON(), nullable=False),
        sa.Column("took_part_in_talks", sa.Boolean(), nullable=False),
        sa.Column("signatory", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "member_state", name=op.f("pk_participation")),
    )
    op.create_table(
        "milestones",
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("delivery_state", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("stream_id", "position", "kind", name=op.f("pk_milestones")),
        sa.CheckConstraint(
            "delivery_state IN ('pending', 'delivered')",
            name=op.f("ck_milestones_delivery_state_known"),
        ),
    )
    op.create_index(
        op.f("ix_milestones_delivery_state_position"),
        "milestones",
        ["delivery_state", "position"],
    )
    op.create_table(
        "projector_checkpoints",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_projector_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("projector_checkpoints")
    op.drop_index(op.f("ix_milestones_delivery_state_position"), table_name="milestones")
    op.drop_table("milestones")
    op.drop_table("participation")
    op.drop_index(op.f("ix_status_board_country"), table_name="status_board")
    op.drop_table("status_board")
    op.drop_table("streams")
    op.drop_table("events")
