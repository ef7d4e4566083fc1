"""Deliveries of milestones to subscribers, and the delivery log of their attempts.

`deliveries` holds one row per milestone × subscription, keyed by its idempotency key (the
milestone's stream, version and kind, and the subscription's id), which also names its
`MilestoneDeliveryWorkflow` on Temporal; `delivery_attempts` logs each attempt. Both start
empty: the delivery sweeper starts whatever the outbox still owes its subscribers.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mirrors activities/schema.py's deliveries and delivery_attempts; `alembic check` keeps
    # them in step.
    op.create_table(
        "deliveries",
        sa.Column("delivery_id", sa.String(length=400), nullable=False),
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("subscriber", sa.String(length=200), nullable=False),
        sa.Column("destination", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'delivered', 'failed', 'stopped')",
            name=op.f("ck_deliveries_delivery_state_known"),
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "stream_id",
            "version",
            "kind",
            "subscription_id",
            name=op.f("uq_deliveries_stream_id_version_kind_subscription_id"),
        ),
    )
    op.create_index(op.f("ix_deliveries_state_created_at"), "deliveries", ["state", "created_at"])
    op.create_table(
        "delivery_attempts",
        sa.Column(
            "attempt_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("delivery_id", sa.String(length=400), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("subscriber", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["deliveries.delivery_id"],
            name=op.f("fk_delivery_attempts_delivery_id_deliveries"),
        ),
        sa.PrimaryKeyConstraint("attempt_id", name=op.f("pk_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_delivery_attempts_delivery_id_attempt_id"),
        "delivery_attempts",
        ["delivery_id", "attempt_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_delivery_attempts_delivery_id_attempt_id"), table_name="delivery_attempts"
    )
    op.drop_table("delivery_attempts")
    op.drop_index(op.f("ix_deliveries_state_created_at"), table_name="deliveries")
    op.drop_table("deliveries")
