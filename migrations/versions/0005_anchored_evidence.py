"""Anchored tamper evidence: signed checkpoints, append-only `events`, roles of least privilege.

`checkpoints` keeps the signed checkpoints (activities/checkpoints.py), empty at first. Triggers
refuse UPDATE and DELETE on `events` on both backends; on PostgreSQL the NOLOGIN group roles
`partnerships_migrator`, `partnerships_writer` and `partnerships_reader` are made when missing
and granted their privileges on this database's tables (migrations/append_only.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.append_only import grant_roles, install_guard, remove_guard, revoke_roles

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mirrors activities/schema.py's checkpoints; `alembic check` keeps the two in step.
    op.create_table(
        "checkpoints",
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_checkpoints")),
    )
    conn = op.get_bind()
    install_guard(conn)
    if conn.dialect.name == "postgresql":
        grant_roles(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        revoke_roles(conn)
    remove_guard(conn)
    op.drop_table("checkpoints")
