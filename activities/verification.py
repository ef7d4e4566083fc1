"""Tamper evidence: recompute the log's hash chains and report where each first breaks.

Reads the rows as they are stored, without upcasting: the hashes were computed over the stored
version of each event, and an upcaster must never be able to hide a change. `compare_heads`
checks heads reported elsewhere (Temporal's histories) against the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from activities.hashing import GENESIS_HASH, canonical_header, canonical_json, chain_hash
from activities.records import ChainBreak, VerifyReport
from activities.schema import events as events_table
from activities.schema import read_utc
from activities.schema import streams as streams_table

__all__ = ["ReportedHead", "compare_heads", "recorded_runs", "verify_chains"]


def verify_chains(conn: Connection, stream_id: str | None = None) -> VerifyReport:
    """Recompute every hash chain (or one stream's) and report the first break in each.

    Finds changed events (hash mismatch), deleted or inserted ones (broken links, missing
    versions, a head that disagrees with the log) and reordered ones (links, or positions
    out of version order).
    """
    if stream_id is not None:
        stream_ids = [stream_id]
    else:
        # A stream with a head but no events left is checked too: its events were deleted.
        ids_query = sa.union(
            sa.select(events_table.c.stream_id), sa.select(streams_table.c.stream_id)
        )
        stream_ids = sorted(conn.execute(ids_query).scalars())
    breaks: list[ChainBreak] = []
    total = 0
    for sid in stream_ids:
        checked, problem = _verify_stream(conn, sid)
        total += checked
        if problem is not None:
            breaks.append(problem)
    return VerifyReport(streams_checked=len(stream_ids), events_checked=total, breaks=tuple(breaks))


def _verify_stream(conn: Connection, stream_id: str) -> tuple[int, ChainBreak | None]:
    """How many of the stream's events were checked, and its first break or None."""
    rows = conn.execute(
        sa.select(events_table)
        .where(events_table.c.stream_id == stream_id)
        .order_by(events_table.c.stream_version)
    )
    prev_hash, version, last_position, checked = GENESIS_HASH, 0, 0, 0
    for row in rows:
        checked += 1
        version += 1
        reason = _link_problem(row, version, prev_hash, last_position)
        if reason is not None:
            return checked, ChainBreak(stream_id, version, reason)
        prev_hash, last_position = row.hash, row.position
    # The head anchors the chain's end: without it, deleting a stream's last events would
    # leave a chain that holds.
    head = conn.execute(
        sa.select(streams_table.c.version, streams_table.c.head_hash).where(
            streams_table.c.stream_id == stream_id
        )
    ).first()
    if head is None:
        return checked, ChainBreak(stream_id, version, "the stream has no recorded head")
    if head.version != version or head.head_hash != prev_hash:
        at = min(head.version, version + 1) if head.version > version else version
        return checked, ChainBreak(
            stream_id,
            at,
            f"the recorded head is version {head.version}, but the log ends at {version}",
        )
    return checked, None


def _link_problem(row: Row[Any], version: int, prev_hash: str, last_position: int) -> str | None:
    """Why `row` cannot be the stream's event at `version` after `prev_hash`, or None."""
    if row.stream_version != version:
        return f"version {version} is missing (the next is {row.stream_version})"
    if row.prev_hash != prev_hash:
        return "it does not link to its predecessor's hash"
    if _row_hash(row) != row.hash:
        return "its content does not match its hash"
    if row.position <= last_position:
        return "its global position is out of version order"
    return None


def _row_hash(row: Row[Any]) -> str:
    """The hash of a stored row, recomputed from its columns as the append computed it."""
    header = canonical_header(
        stream_id=row.stream_id,
        stream_version=row.stream_version,
        event_id=row.event_id,
        type=row.type,
        schema_version=row.schema_version,
        occurred_on=row.occurred_on,
        recorded_at=read_utc(row.recorded_at),
    )
    return chain_hash(
        row.prev_hash, header, canonical_json(row.payload), canonical_json(row.metadata)
    )


@dataclass(frozen=True)
class ReportedHead:
    """A head an append reported outside the store: `stream_id` at `version` had `head_hash`.

    Where it was reported (a workflow run's history, say) is `source`, named in a break.
    """

    stream_id: str
    version: int
    head_hash: str
    source: str


def compare_heads(conn: Connection, heads: Iterable[ReportedHead]) -> list[ChainBreak]:
    """Each reported head the log disagrees with: its event missing, or with another hash.

    The first disagreement per stream, in stream order.
    """
    by_stream: dict[str, list[ReportedHead]] = {}
    for head in heads:
        by_stream.setdefault(head.stream_id, []).append(head)
    breaks: list[ChainBreak] = []
    for stream_id in sorted(by_stream):
        rows = conn.execute(
            sa.select(events_table.c.stream_version, events_table.c.hash).where(
                events_table.c.stream_id == stream_id
            )
        )
        stored = {version: hash_ for version, hash_ in rows}
        for head in sorted(by_stream[stream_id], key=lambda h: h.version):
            found = stored.get(head.version)
            if found is None:
                reason = f"{head.source} reports it appended, but the log lacks it"
            elif found != head.head_hash:
                reason = (
                    f"its hash is not the one {head.source} reports: the chain up to it was "
                    "rewritten"
                )
            else:
                continue
            breaks.append(ChainBreak(stream_id, head.version, reason))
            break
    return breaks


def recorded_runs(conn: Connection) -> list[tuple[str, str]]:
    """(workflow id, run id) of every workflow run the log's event metadata names."""
    workflow = events_table.c.metadata["workflow_id"].as_string()
    run = events_table.c.metadata["run_id"].as_string()
    rows = conn.execute(
        sa.select(workflow, run).where(workflow.is_not(None)).where(run.is_not(None)).distinct()
    )
    return sorted((str(w), str(r)) for w, r in rows)
