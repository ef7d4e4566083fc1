"""Table metadata for the event store, its read models and the projector checkpoints.

Alembic migrations are written against this metadata and `alembic check` must find no drift.
The naming convention gives every constraint a stable name, so migrations can drop them by name
on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# SQLite only autoincrements a column declared exactly INTEGER PRIMARY KEY (a rowid alias).
LogPosition = BigInteger().with_variant(Integer(), "sqlite")
# JSONB on PostgreSQL so payloads can be indexed and queried; JSON text elsewhere.
Document = JSON().with_variant(JSONB(), "postgresql")
Hash = String(64)
StreamId = String(200)

events = Table(
    "events",
    metadata,
    # Assigned while appends are serialised (see activities/eventstore.py), so position order
    # is commit order and a catch-up reader never passes a position that is still in flight.
    Column("position", LogPosition, primary_key=True, autoincrement=True),
    Column("stream_id", StreamId, nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("event_id", Uuid(), nullable=False),
    Column("type", String(120), nullable=False),
    Column("schema_version", Integer, nullable=False),
    Column("payload", Document, nullable=False),
    Column("metadata", Document, nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("prev_hash", Hash, nullable=False),
    Column("hash", Hash, nullable=False),
    UniqueConstraint("stream_id", "stream_version"),
    UniqueConstraint("event_id"),
    CheckConstraint("stream_version >= 1", name="stream_version_positive"),
    CheckConstraint("schema_version >= 1", name="schema_version_positive"),
)

# One row per stream: its head. Lets an append find its predecessor's hash by primary key,
# lists streams cheaply, and anchors the chain so deleting a stream's last event is evident.
streams = Table(
    "streams",
    metadata,
    Column("stream_id", StreamId, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("head_hash", Hash, nullable=False),
)

# Read model: one row per partnership (stream).
status_board = Table(
    "status_board",
    metadata,
    Column("stream_id", StreamId, primary_key=True),
    Column("country", String(2), nullable=False),
    Column("region", String(64), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("consultation_deadline", Date, nullable=True),
    Column("decision_deadline", Date, nullable=True),
    Column("interested_count", Integer, nullable=False),
    Column("stream_version", Integer, nullable=False),
    Column("last_position", BigInteger, nullable=False),
    Column("last_event_type", String(120), nullable=False),
    Column("last_changed_on", Date, nullable=False),
    Column("last_recorded_at", DateTime(timezone=True), nullable=False),
    Index(None, "country"),
)

# Read model: partnership × Member State.
participation = Table(
    "participation",
    metadata,
    Column("stream_id", StreamId, primary_key=True),
    Column("member_state", String(2), primary_key=True),
    Column("latest_answer", String(32), nullable=True),
    Column("offers", JSON, nullable=False),
    Column("took_part_in_talks", Boolean, nullable=False),
    Column("signatory", Boolean, nullable=False),
)

# Outbox of report-back milestones, one per (stream, event position, kind).
milestones = Table(
    "milestones",
    metadata,
    Column("stream_id", StreamId, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("kind", String(64), primary_key=True),
    Column("country", String(2), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("report", Text, nullable=False),
    Column("delivery_state", String(16), nullable=False, server_default="pending"),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("delivery_state IN ('pending', 'delivered')", name="delivery_state_known"),
    Index(None, "delivery_state", "position"),
)

# Read model: the steps each role may take now on an open partnership (domain/tasks.py), one
# row per stream, role and update, replaced whole in each append's transaction; the inbox reads
# it by role and Member State. `member_state` set: that Member State's step only.
open_tasks = Table(
    "open_tasks",
    metadata,
    Column("stream_id", StreamId, primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("update_name", String(64), primary_key=True),
    Column("member_state", String(2), nullable=True),
    Column("country", String(2), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("deadline", Date, nullable=True),
    Column("closes_on", Date, nullable=True),
    Column("stream_version", Integer, nullable=False),
    Index(None, "role", "member_state"),
)

# Read model: the directory's role bindings (domain/directory.py), one row per binding, kept
# by activities/directory_store.py in the transaction of each append to the `directory`
# stream. Not among READ_MODEL_TABLES: the partnerships' projections neither fold nor empty it.
role_bindings = Table(
    "role_bindings",
    metadata,
    Column("binding_id", String(64), primary_key=True),
    Column("issuer", String(300), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("member_state", String(2), nullable=True),
    Column("valid_from", Date, nullable=False),
    Column("granted_by", String(200), nullable=False),
    Column("granted_on", Date, nullable=False),
    Column("reason", Text, nullable=True),
    Column("revoked_by", String(200), nullable=True),
    Column("revoked_on", Date, nullable=True),
    Column("revocation_reason", Text, nullable=True),
    # The directory stream's versions of the binding's grant and revocation: the grant's
    # orders the listing, and the highest of all is how far the table has folded the stream.
    Column("granted_version", Integer, nullable=False),
    Column("revoked_version", Integer, nullable=True),
    Index(None, "issuer", "subject"),
)

# How far each catch-up projector has read the log.
projector_checkpoints = Table(
    "projector_checkpoints",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The delivery of each milestone to each subscriber (activities/delivery_log.py): one row per
# milestone × subscription, keyed by its idempotency key, which also names its Temporal
# workflow and is the `webhook-id` the subscriber receives. Not a read model: it records what
# was done, which the log cannot tell, so the projections neither fold nor empty it.
DeliveryId = String(400)
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", DeliveryId, primary_key=True),
    Column("stream_id", StreamId, nullable=False),
    Column("version", Integer, nullable=False),
    Column("kind", String(64), nullable=False),
    Column("subscription_id", String(64), nullable=False),
    Column("subscriber", String(200), nullable=False),
    Column("destination", String(500), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("stream_id", "version", "kind", "subscription_id"),
    CheckConstraint(
        "state IN ('pending', 'delivered', 'failed', 'stopped')", name="delivery_state_known"
    ),
    Index(None, "state", "created_at"),
)

# The delivery log: each attempt, when, to whom, the HTTP status or SMTP reply, how long.
delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("attempt_id", LogPosition, primary_key=True, autoincrement=True),
    Column("delivery_id", DeliveryId, ForeignKey("deliveries.delivery_id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("subscription_id", String(64), nullable=False),
    Column("subscriber", String(200), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("reply", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Index(None, "delivery_id", "attempt_id"),
)

# Signed checkpoints (activities/checkpoints.py): the stream heads and the global chain over
# positions up to `position`, signed with a key held outside the database. The copy exported
# outside the database (`partnerships checkpoint export`) is what anchors the record.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("signature", String(200), nullable=False),
)

READ_MODEL_TABLES = (status_board, participation, milestones, open_tasks)


def read_utc(moment: datetime.datetime) -> datetime.datetime:
    """A timestamp read back from the store, in UTC.

    SQLite keeps no offset; the store writes UTC, so a naive value read back is UTC.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)
