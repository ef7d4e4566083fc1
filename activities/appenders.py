"""The append hot path: one writer per backend, writing a group of AppendRequests on a driver
connection, each member in its own savepoint, in one transaction (activities/group_commit.py).

An append is the one write the whole system waits on, so it skips SQLAlchemy's statement layer
and, on the connections a store keeps (activities/connections.py), its pool's checkout:
on PostgreSQL a member's savepoint, insert and head update go out as one psycopg pipeline with
the group's lock (first member) and commit (last member): one round trip for an append alone
whose stream's head is already known; on SQLite the statements run on the sqlite3 connection
inside BEGIN IMMEDIATE. Values are written in the formats SQLAlchemy's types read back
(activities/schema.py), which the contract tests check by reading through SQLAlchemy.
"""

from __future__ import annotations

import datetime
import functools
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from activities.database import APPEND_LOCK_KEY, APPEND_LOCK_SQL
from activities.hashing import (
    GENESIS_HASH,
    canonical_json,
    chain_hash,
    header_text,
    utc_timestamp,
)
from activities.records import NewEvent
from activities.store_errors import InvalidAppend


@dataclass(frozen=True)
class Head:
    """A stream's last version and that event's hash."""

    version: int
    hash: str


EMPTY_HEAD = Head(0, GENESIS_HASH)
"""The head before a stream's first event."""


class AppendRequest(NamedTuple):
    """One attempt at an append: the events, the stream and version they follow, and the
    head the store believes the stream has (None when it knows none), which lets a writer
    skip reading the head; with that head, the rows already prepared after it (hashed and
    encoded by the appending thread while it waited for its group), used only if the head
    the writer finds is that one.

    A named tuple, like PreparedRow, because one is made for every attempt.
    """

    stream_id: str
    expected_version: int
    events: Sequence[NewEvent]
    known_head: Head | None
    prepared: list[PreparedRow] | None = None


class PreparedRow(NamedTuple):
    """An event with its stream place and chain links, encoded once for both storage and hash.

    A named tuple rather than a frozen dataclass: one is made for every appended event, and a
    tuple is much cheaper to build than a frozen dataclass.
    """

    event: NewEvent
    stream_version: int
    recorded_at: datetime.datetime
    payload_json: str
    metadata_json: str
    prev_hash: str
    hash: str
    recorded_at_iso: str
    """recorded_at in UTC as the header renders it, "YYYY-MM-DDTHH:MM:SS.ffffff+00:00"."""
    occurred_on_iso: str


def rows_for(request: AppendRequest, head: Head) -> list[PreparedRow]:
    """The request's rows after `head`: those it brought if prepared after that very head."""
    if request.prepared is not None and request.known_head == head:
        return request.prepared
    return prepare_rows(request.stream_id, head, request.events)


def prepare_rows(stream_id: str, head: Head, events: Sequence[NewEvent]) -> list[PreparedRow]:
    """Place events after `head` and link each to its predecessor's hash.

    Raises InvalidAppend for an event that cannot be recorded faithfully on every backend.
    """
    try:
        return _prepare_rows(stream_id, head, events)
    except ValueError as error:
        raise InvalidAppend(f"cannot append to {stream_id!r}: {error}") from None


def _prepare_rows(stream_id: str, head: Head, events: Sequence[NewEvent]) -> list[PreparedRow]:
    rows: list[PreparedRow] = []
    prev = head.hash
    version = head.version
    for event in events:
        version += 1
        recorded_at = utc_timestamp(event.recorded_at)
        # Each date is rendered once, for the hash and for storage alike.
        recorded_at_iso = recorded_at.isoformat(timespec="microseconds")
        occurred_on_iso = event.occurred_on.isoformat()
        header = header_text(
            stream_id,
            version,
            event.event_id,
            event.type,
            event.schema_version,
            occurred_on_iso,
            recorded_at_iso,
        )
        payload_json = canonical_json(event.payload)
        metadata_json = canonical_json(event.metadata)
        digest = chain_hash(prev, header, payload_json, metadata_json)
        rows.append(
            PreparedRow(
                event,
                version,
                recorded_at,
                payload_json,
                metadata_json,
                prev,
                digest,
                recorded_at_iso,
                occurred_on_iso,
            )
        )
        prev = digest
    return rows


@dataclass(frozen=True)
class Inserted:
    """The rows went in; positions are in stream order."""

    rows: list[PreparedRow]
    positions: list[int]


@dataclass(frozen=True)
class Mismatch:
    """The stream is not at the expected version; nothing was written."""

    actual: Head


@dataclass(frozen=True)
class Collision:
    """A unique constraint refused the rows (stale head, or an event id already recorded)."""


WriteOutcome = Inserted | Mismatch | Collision
"""What one attempt at an append did."""


Fold = Callable[[int, AppendRequest, Inserted], None]
"""Work done after a member's rows went in, inside its savepoint (the read models), given the
member's index in the group: if it raises, that member's rows are rolled back with it and it
fails alone."""


class Writer(Protocol):
    """Writes a group of appends on a driver connection, each in its own savepoint.

    Every member keeps its own expected-version check and chain link; one that is refused
    (Mismatch, Collision) or fails (its error is its outcome) is rolled back to its savepoint
    and its neighbours go on. Only an error that leaves the transaction unusable raises, and
    then the whole group fails. With `own_transaction` the writer begins and commits; otherwise
    the caller has begun a transaction on the same connection and commits it.
    """

    def write_group(
        self,
        driver: Any,
        take: Callable[[], Sequence[AppendRequest]],
        *,
        own_transaction: bool,
        fold: Fold | None = None,
    ) -> list[WriteOutcome | Exception]:
        """Write the requests `take()` gives (called once the write lock is held), in order."""
        ...


_COLUMNS = (
    "stream_id, stream_version, event_id, type, schema_version, payload, metadata, "
    "occurred_on, recorded_at, prev_hash, hash"
)
_UPSERT_HEAD = (
    "INSERT INTO streams (stream_id, version, head_hash) VALUES ({p}, {p}, {p}) "
    "ON CONFLICT (stream_id) DO UPDATE "
    "SET version = excluded.version, head_hash = excluded.head_hash"
)
_SELECT_HEAD = "SELECT version, head_hash FROM streams WHERE stream_id = {p}"


def _sqlite_datetime(iso: str) -> str:
    """SQLAlchemy's SQLite DateTime text, "YYYY-MM-DD HH:MM:SS.ffffff", from a UTC ISO time.

    Sliced from the text the header already rendered: cheaper than strftime, and zero-padded
    like SQLAlchemy's own format for every year.
    """
    return f"{iso[:10]} {iso[11:26]}"


@functools.cache
def _sqlite_insert_sql(count: int) -> str:
    """One INSERT for a whole batch of `count` rows, returning each row's position."""
    row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    values = ", ".join([row] * count)
    return (
        f"INSERT INTO events ({_COLUMNS}) VALUES {values} "
        "RETURNING position, stream_id, stream_version"
    )


class SQLiteWriter:
    """Appends on a sqlite3 connection whose isolation_level is None (see database.py)."""

    upsert_head_sql = _UPSERT_HEAD.format(p="?")
    select_head_sql = _SELECT_HEAD.format(p="?")

    def write_group(
        self,
        driver: sqlite3.Connection,
        take: Callable[[], Sequence[AppendRequest]],
        *,
        own_transaction: bool,
        fold: Fold | None = None,
    ) -> list[WriteOutcome | Exception]:
        """See Writer.write_group."""
        cursor = driver.cursor()
        try:
            if own_transaction:
                cursor.execute("BEGIN IMMEDIATE")
            requests = take()
            # Alone in a transaction of its own, an append needs no savepoint: its transaction
            # is rolled back instead.
            alone = own_transaction and len(requests) == 1
            batch = None if alone or fold is not None else self._batch(cursor, requests)
            outcomes = batch or [
                self._member(cursor, index, request, fold, alone=alone)
                for index, request in enumerate(requests)
            ]
            if own_transaction:
                refused = alone and not isinstance(outcomes[0], Inserted)
                cursor.execute("ROLLBACK" if refused else "COMMIT")
            return outcomes
        except BaseException:
            if own_transaction and driver.in_transaction:
                driver.rollback()
            raise
        finally:
            cursor.close()

    def _member(
        self,
        cursor: sqlite3.Cursor,
        index: int,
        request: AppendRequest,
        fold: Fold | None,
        *,
        alone: bool,
    ) -> WriteOutcome | Exception:
        """One member in its own savepoint, released when its rows stay, else rolled back to
        (`alone`: no savepoint, the caller rolls back the transaction).

        A savepoint name per member: rolling back to a name that was never made fails, and
        then the group fails, where a shared name could roll back a neighbour's rows.
        """
        savepoint = f"m{index}"
        if not alone:
            cursor.execute(f"SAVEPOINT {savepoint}")
        outcome: WriteOutcome | Exception
        try:
            outcome = self._write(cursor, request)
        except sqlite3.IntegrityError:
            outcome = Collision()
        except sqlite3.OperationalError:
            raise  # the database (locked, full, gone): the whole group's problem
        except Exception as error:
            outcome = error  # this member's data alone
        if isinstance(outcome, Inserted) and fold is not None:
            try:
                fold(index, request, outcome)
            except Exception as error:
                outcome = error
        if alone:
            return outcome
        if not isinstance(outcome, Inserted):
            cursor.execute(f"ROLLBACK TO {savepoint}")
        cursor.execute(f"RELEASE {savepoint}")
        return outcome

    def _write(self, cursor: sqlite3.Cursor, request: AppendRequest) -> WriteOutcome:
        stream_id, expected_version, _, head, _ = request
        # Without a known head at the expected version, read it: inside BEGIN IMMEDIATE, so no
        # other writer can move it before this append's rows go in.
        if head is None or head.version != expected_version:
            found = cursor.execute(self.select_head_sql, (stream_id,)).fetchone()
            head = Head(found[0], found[1]) if found else EMPTY_HEAD
            if head.version != expected_version:
                return Mismatch(head)
        rows = rows_for(request, head)
        params: list[Any] = []
        _add_sqlite_params(params, stream_id, rows)
        returned = cursor.execute(_sqlite_insert_sql(len(rows)), params).fetchall()
        by_version = {version: position for position, _, version in returned}
        positions = [by_version[row.stream_version] for row in rows]
        cursor.execute(self.upsert_head_sql, (stream_id, rows[-1].stream_version, rows[-1].hash))
        return Inserted(rows, positions)

    def _batch(
        self, cursor: sqlite3.Cursor, requests: Sequence[AppendRequest]
    ) -> list[WriteOutcome | Exception] | None:
        """A group written at once: one INSERT for every member's rows, one head upsert.

        Each member still has its own head check and chain link; one refused by them is left
        out. None when the group cannot go at once (a stream twice, too many rows for one
        statement, or a row the database refused): then its members go one by one, each in
        its own savepoint, and only the one at fault fails.
        """
        if len({r.stream_id for r in requests}) != len(requests):
            return None
        outcomes: list[WriteOutcome | Exception | None] = [None] * len(requests)
        prepared: list[tuple[int, list[PreparedRow]]] = []
        for index, request in enumerate(requests):
            stream_id, expected_version, _, head, _ = request
            if head is None or head.version != expected_version:
                found = cursor.execute(self.select_head_sql, (stream_id,)).fetchone()
                head = Head(found[0], found[1]) if found else EMPTY_HEAD
                if head.version != expected_version:
                    outcomes[index] = Mismatch(head)
                    continue
            try:
                prepared.append((index, rows_for(request, head)))
            except InvalidAppend as error:
                outcomes[index] = error
        count = sum(len(rows) for _, rows in prepared)
        if count * _SQLITE_PARAMS_PER_ROW > _SQLITE_MAX_PARAMS:
            return None
        if prepared:
            params: list[Any] = []
            for index, rows in prepared:
                _add_sqlite_params(params, requests[index].stream_id, rows)
            cursor.execute("SAVEPOINT batch")
            try:
                returned = cursor.execute(_sqlite_insert_sql(count), params).fetchall()
                cursor.executemany(
                    self.upsert_head_sql,
                    [
                        (requests[index].stream_id, rows[-1].stream_version, rows[-1].hash)
                        for index, rows in prepared
                    ],
                )
            except sqlite3.IntegrityError:
                cursor.execute("ROLLBACK TO batch")
                cursor.execute("RELEASE batch")
                return None
            cursor.execute("RELEASE batch")
            at = {(stream, version): position for position, stream, version in returned}
            for index, rows in prepared:
                stream_id = requests[index].stream_id
                positions = [at[(stream_id, row.stream_version)] for row in rows]
                outcomes[index] = Inserted(rows, positions)
        return [outcome for outcome in outcomes if outcome is not None]


_SQLITE_PARAMS_PER_ROW = 11
_SQLITE_MAX_PARAMS = 32_000
"""Below SQLite's limit on one statement's parameters (32,766 since SQLite 3.32)."""


def _add_sqlite_params(params: list[Any], stream_id: str, rows: list[PreparedRow]) -> None:
    """Append the rows' values, in _COLUMNS order, as SQLAlchemy's SQLite types store them."""
    for row in rows:
        e = row.event
        params += (
            stream_id,
            row.stream_version,
            e.event_id.hex,
            e.type,
            e.schema_version,
            row.payload_json,
            row.metadata_json,
            row.occurred_on_iso,
            _sqlite_datetime(row.recorded_at_iso),
            row.prev_hash,
            row.hash,
        )


class _PostgresGroup:
    """What a group has sent so far on its connection: the lock, an unreleased savepoint."""

    __slots__ = ("alone", "committed", "locked", "unreleased")

    def __init__(self) -> None:
        self.locked = False
        self.unreleased: str | None = None
        self.committed = False  # or rolled back: the transaction is over
        self.alone = False  # one member in the writer's own transaction: no savepoint


class PostgresWriter:
    """Appends on a psycopg 3 connection (autocommit off), pipelining every statement.

    A member's statements go out as one pipeline with whatever the group still owes (the
    append lock for the first, the previous member's release): one round trip per member when
    the stream's head is already known, and the commit rides on the last member's pipeline.
    """

    insert_sql = (
        f"INSERT INTO events ({_COLUMNS}) "
        # Binary parameters (%b): psycopg's text-format array dumper escapes JSON's quotes
        # with a regular expression, which cost more than the rest of the append together.
        "SELECT %s, v, e, t, sv, p::jsonb, m::jsonb, o, r, ph, h FROM unnest("
        "%b::int[], %b::uuid[], %b::text[], %b::int[], %b::text[], %b::text[], "
        "%b::date[], %b::timestamptz[], %b::text[], %b::text[]"
        ") AS u(v, e, t, sv, p, m, o, r, ph, h) ORDER BY v "
        "RETURNING position, stream_version"
    )
    upsert_head_sql = _UPSERT_HEAD.format(p="%s")
    select_head_sql = _SELECT_HEAD.format(p="%s")
    # A whole group at once: every member's rows in member order, then every head.
    batch_insert_sql = (
        f"INSERT INTO events ({_COLUMNS}) "
        "SELECT s, v, e, t, sv, p::jsonb, m::jsonb, o, r, ph, h FROM unnest("
        "%b::text[], %b::int[], %b::uuid[], %b::text[], %b::int[], %b::text[], %b::text[], "
        "%b::date[], %b::timestamptz[], %b::text[], %b::text[]"
        ") WITH ORDINALITY AS u(s, v, e, t, sv, p, m, o, r, ph, h, n) ORDER BY n "
        "RETURNING position, stream_id, stream_version"
    )
    batch_upsert_heads_sql = (
        "INSERT INTO streams (stream_id, version, head_hash) "
        "SELECT * FROM unnest(%b::text[], %b::int[], %b::text[]) "
        "ON CONFLICT (stream_id) DO UPDATE "
        "SET version = excluded.version, head_hash = excluded.head_hash"
    )

    def write_group(
        self,
        driver: Any,
        take: Callable[[], Sequence[AppendRequest]],
        *,
        own_transaction: bool,
        fold: Fold | None = None,
    ) -> list[WriteOutcome | Exception]:
        """See Writer.write_group."""
        group = _PostgresGroup()
        try:
            requests = take()
            # Alone in a transaction of its own, an append needs no savepoint: its transaction
            # is rolled back instead.
            group.alone = own_transaction and len(requests) == 1
            if not group.alone and fold is None:
                batch = self._batch(driver, group, requests, commit=own_transaction)
                if batch is not None:
                    return batch
            outcomes: list[WriteOutcome | Exception] = []
            for index, request in enumerate(requests):
                # Without read models to fold, the last member's pipeline carries the commit.
                last = own_transaction and fold is None and index == len(requests) - 1
                outcomes.append(self._member(driver, group, index, request, fold, last))
            if own_transaction and not group.committed:
                driver.commit()
            return outcomes
        except BaseException:
            if own_transaction:
                driver.rollback()
            raise

    def _batch(
        self,
        driver: Any,
        group: _PostgresGroup,
        requests: Sequence[AppendRequest],
        *,
        commit: bool,
    ) -> list[WriteOutcome | Exception] | None:
        """A group written at once: two round trips (the heads not known, then one INSERT,
        one head upsert and the commit), whatever its size.

        Each member still has its own head check and chain link; one refused by them is left
        out. None when the group cannot go at once (a stream twice, or a row the database
        refused): then its members go one by one, each in its own savepoint, and only the one
        at fault fails.
        """
        import psycopg

        if len({r.stream_id for r in requests}) != len(requests):
            return None
        unknown = [
            index
            for index, r in enumerate(requests)
            if r.known_head is None or r.known_head.version != r.expected_version
        ]
        found: list[Any] = []
        try:
            if unknown:  # else the lock goes out with the rows
                with driver.pipeline():
                    self._owed(driver, group)
                    found = [
                        driver.execute(self.select_head_sql, (requests[i].stream_id,), prepare=True)
                        for i in unknown
                    ]
        except psycopg.OperationalError:
            raise
        except Exception:  # a stream id the database cannot take, say: start again one by one
            driver.rollback()
            group.locked = False
            return None
        heads = {i: cursor.fetchone() for i, cursor in zip(unknown, found, strict=True)}
        outcomes: list[WriteOutcome | Exception | None] = [None] * len(requests)
        prepared: list[tuple[int, list[PreparedRow]]] = []
        for index, request in enumerate(requests):
            _, expected_version, _, head, _ = request
            if index in heads:
                row = heads[index]
                head = Head(row[0], row[1]) if row else EMPTY_HEAD
                if head.version != expected_version:
                    outcomes[index] = Mismatch(head)
                    continue
            assert head is not None
            try:
                prepared.append((index, rows_for(request, head)))
            except InvalidAppend as error:
                outcomes[index] = error
        if prepared:
            try:
                with driver.pipeline():
                    self._owed(driver, group)
                    driver.execute("SAVEPOINT batch")
                    inserted = driver.execute(
                        self.batch_insert_sql, self._batch_params(requests, prepared), prepare=True
                    )
                    last = [(requests[i].stream_id, rows[-1]) for i, rows in prepared]
                    driver.execute(
                        self.batch_upsert_heads_sql,
                        (
                            [stream_id for stream_id, _ in last],
                            [row.stream_version for _, row in last],
                            [row.hash for _, row in last],
                        ),
                        prepare=True,
                    )
                    if commit:
                        driver.commit()
            except psycopg.OperationalError:
                raise
            except Exception:  # a row refused (a stale head, say): one by one, in savepoints
                driver.execute("ROLLBACK TO SAVEPOINT batch")
                driver.execute("RELEASE SAVEPOINT batch")
                return None
            group.committed = commit
            at = {(stream, version): position for position, stream, version in inserted.fetchall()}
            for index, rows in prepared:
                stream_id = requests[index].stream_id
                positions = [at[(stream_id, row.stream_version)] for row in rows]
                outcomes[index] = Inserted(rows, positions)
        if commit and not group.committed:
            driver.commit()
        return [outcome for outcome in outcomes if outcome is not None]

    @staticmethod
    def _batch_params(
        requests: Sequence[AppendRequest], prepared: list[tuple[int, list[PreparedRow]]]
    ) -> tuple[Any, ...]:
        every = [(requests[index].stream_id, row) for index, rows in prepared for row in rows]
        return (
            [stream_id for stream_id, _ in every],
            [r.stream_version for _, r in every],
            [r.event.event_id for _, r in every],
            [r.event.type for _, r in every],
            [r.event.schema_version for _, r in every],
            [r.payload_json for _, r in every],
            [r.metadata_json for _, r in every],
            [r.event.occurred_on for _, r in every],
            [r.recorded_at for _, r in every],
            [r.prev_hash for _, r in every],
            [r.hash for _, r in every],
        )

    def _owed(self, driver: Any, group: _PostgresGroup) -> None:
        """Queue what the group owes before a member's statements: the lock, a release."""
        if not group.locked:
            driver.execute(APPEND_LOCK_SQL, (APPEND_LOCK_KEY,), prepare=True)
            group.locked = True
        if group.unreleased is not None:
            driver.execute(f"RELEASE SAVEPOINT {group.unreleased}")
            group.unreleased = None

    def _member(
        self,
        driver: Any,
        group: _PostgresGroup,
        index: int,
        request: AppendRequest,
        fold: Fold | None,
        commit: bool,
    ) -> WriteOutcome | Exception:
        import psycopg  # imported here: the SQLite writer runs where psycopg is not installed

        stream_id, expected_version, _, known_head, _ = request
        savepoint = f"m{index}"
        try:
            if known_head is not None and known_head.version == expected_version:
                # A stale known head fails on the unique constraints, and the store retries.
                head = known_head
                opened = False
            else:
                with driver.pipeline():
                    # The head is read by a statement after the lock's, so its snapshot
                    # includes whatever the previous lock holder committed.
                    self._owed(driver, group)
                    if not group.alone:
                        driver.execute(f"SAVEPOINT {savepoint}")
                    found = driver.execute(self.select_head_sql, (stream_id,), prepare=True)
                opened = True
                row = found.fetchone()
                head = Head(row[0], row[1]) if row else EMPTY_HEAD
                if head.version != expected_version:
                    if not group.alone:
                        group.unreleased = savepoint
                    return Mismatch(head)
            rows = rows_for(request, head)
            with driver.pipeline():
                self._owed(driver, group)
                if not (opened or group.alone):
                    driver.execute(f"SAVEPOINT {savepoint}")
                inserted = driver.execute(
                    self.insert_sql, self._params(stream_id, rows), prepare=True
                )
                driver.execute(
                    self.upsert_head_sql,
                    (stream_id, rows[-1].stream_version, rows[-1].hash),
                    prepare=True,
                )
                if commit:
                    driver.commit()
            by_version = {version: position for position, version in inserted.fetchall()}
            outcome = Inserted(rows, [by_version[row.stream_version] for row in rows])
            if fold is not None:
                fold(index, request, outcome)
        except psycopg.errors.UniqueViolation:
            self._undo(driver, group, savepoint)
            return Collision()
        except Exception as error:
            if isinstance(error, psycopg.OperationalError):
                raise  # the connection or server: the whole group's problem
            # This member's data: roll it back alone. If its savepoint was never made (the
            # lock failed, say), rolling back to it fails, and so does the group.
            self._undo(driver, group, savepoint)
            return error
        group.committed = commit
        if not group.alone:
            # Released with the next member's statements (a commit releases it anyway).
            group.unreleased = savepoint
        return outcome

    @staticmethod
    def _undo(driver: Any, group: _PostgresGroup, savepoint: str) -> None:
        """Roll the member back; raises (failing the group) if its savepoint was never made."""
        if group.alone:
            driver.rollback()
            group.committed = True  # nothing left to commit
            return
        driver.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
        driver.execute(f"RELEASE SAVEPOINT {savepoint}")

    @staticmethod
    def _params(stream_id: str, rows: list[PreparedRow]) -> tuple[Any, ...]:
        return (
            stream_id,
            [r.stream_version for r in rows],
            [r.event.event_id for r in rows],
            [r.event.type for r in rows],
            [r.event.schema_version for r in rows],
            [r.payload_json for r in rows],
            [r.metadata_json for r in rows],
            [r.event.occurred_on for r in rows],
            [r.recorded_at for r in rows],
            [r.prev_hash for r in rows],
            [r.hash for r in rows],
        )


def writer_for(dialect_name: str) -> Writer:
    """The writer for a SQLAlchemy dialect name."""
    if dialect_name == "sqlite":
        return SQLiteWriter()
    if dialect_name == "postgresql":
        return PostgresWriter()
    raise ValueError(f"no event store writer for the {dialect_name!r} backend")
