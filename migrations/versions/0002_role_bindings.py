"""The directory's read model: one row per role binding, looked up by issuer and subject.

The bindings themselves are events of the `directory` stream in `events`; this table is their
fold (activities/directory_store.py), kept in each append's transaction.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Mirrors activities/schema.py's role_bindings; `alembic check` keeps the two in step.
    op.create_table(
        "role_bindings",
        sa.Column("binding_id", sa.String(length=64), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("member_state", sa.String(length=2), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column("granted_version", sa.Integer(), nullable=False),
        sa.Column("revoked_version", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("binding_id", name=op.f("pk_role_bindings")),
    )
    op.create_index(op.f("ix_role_bindings_issuer_subject"), "role_bindings", ["issuer", "subject"])


def downgrade() -> None:
    op.drop_index(op.f("ix_role_bindings_issuer_subject"), table_name="role_bindings")
    op.drop_table("role_bindings")
