"""The open-tasks read model: the steps each role may take now on an open partnership.

One row per stream, role and update (domain/tasks.py), replaced whole in each append's
transaction by activities/projections.py; the inbox reads it by role and Member State. The
table starts empty: `partnerships projections rebuild` fills it from the log for the
partnerships already on record (each one's next append would also write its rows).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mirrors activities/schema.py's open_tasks; `alembic check` keeps the two in step.
    op.create_table(
        "open_tasks",
        sa.Column("stream_id", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("update_name", sa.String(length=64), nullable=False),
        sa.Column("member_state", sa.String(length=2), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("stream_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", "role", "update_name", name=op.f("pk_open_tasks")),
    )
    op.create_index(op.f("ix_open_tasks_role_member_state"), "open_tasks", ["role", "member_state"])


def downgrade() -> None:
    op.drop_index(op.f("ix_open_tasks_role_member_state"), table_name="open_tasks")
    op.drop_table("open_tasks")
