"""Signed checkpoints: the log's stream heads and global chain at a position, signed with Ed25519.

A checkpoint says: up to global position P the log held `events` events, its global chain
(activities/global_chain.py) was `global_chain`, and each stream's head was (version, hash).
Its document is signed, as its canonical JSON (activities/hashing.py) in UTF-8, with a key held
outside the database (activities/checkpoint_keys.py), so an insider who rewrites the database —
events, hashes and stream heads alike — cannot make the log agree with a checkpoint again.
The worker makes one every CHECKPOINT_EVERY appends, `partnerships checkpoint create` on demand;
`partnerships checkpoint export` copies them out of the database (activities/checkpoint_file.py),
and `partnerships verify --against FILE` compares the log with them (`compare_with_log`).
"""

from __future__ import annotations

import base64
import datetime
import json
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy.engine import Connection, Engine

from activities.checkpoint_keys import key_id
from activities.global_chain import ChainWalk, log_rows
from activities.hashing import canonical_json, utc_timestamp
from activities.records import ChainBreak
from activities.schema import checkpoints as checkpoints_table
from activities.schema import events as events_table

FORMAT: Final = "pilot-partnerships-checkpoint/1"

log = logging.getLogger("pilot-partnerships.checkpoints")


class CheckpointInvalid(ValueError):
    """A checkpoint that is malformed, or whose signature does not verify with the trusted key."""


@dataclass(frozen=True)
class Checkpoint:
    """The log's state at `position`, as signed."""

    position: int
    events: int
    global_chain: str
    heads: dict[str, tuple[int, str]]
    created_at: datetime.datetime
    key_id: str

    def document(self) -> dict[str, Any]:
        """The JSON document that is signed: every field, streams sorted by id."""
        return {
            "format": FORMAT,
            "position": self.position,
            "events": self.events,
            "global_chain": self.global_chain,
            "streams": [[sid, v, h] for sid, (v, h) in sorted(self.heads.items())],
            "created_at": utc_timestamp(self.created_at).isoformat(timespec="microseconds"),
            "key_id": self.key_id,
        }


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint and its Ed25519 signature (base64) over its document's canonical JSON."""

    checkpoint: Checkpoint
    signature: str

    @property
    def text(self) -> str:
        """The signed bytes, as text: the document's canonical JSON."""
        return canonical_json(self.checkpoint.document())

    def line(self) -> str:
        """One line of an exported file: {"checkpoint": document, "signature": base64}."""
        return canonical_json(
            {"checkpoint": self.checkpoint.document(), "signature": self.signature}
        )


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> SignedCheckpoint:
    """`checkpoint` signed with `key` (whose id it must carry)."""
    text = canonical_json(checkpoint.document())
    signature = base64.b64encode(key.sign(text.encode("utf-8"))).decode("ascii")
    return SignedCheckpoint(checkpoint, signature)


def parse_document(document: Any) -> Checkpoint:
    """A Checkpoint from its JSON document; CheckpointInvalid says what is wrong."""
    try:
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise CheckpointInvalid(f"it is not a checkpoint of format {FORMAT}")
        heads: dict[str, tuple[int, str]] = {}
        for sid, version, head in document["streams"]:
            if not (isinstance(sid, str) and type(version) is int and isinstance(head, str)):
                raise CheckpointInvalid("a stream head is not [stream id, version, hash]")
            heads[sid] = (version, head)
        position, events = document["position"], document["events"]
        if type(position) is not int or type(events) is not int:
            raise CheckpointInvalid("position and events must be integers")
        return Checkpoint(
            position=position,
            events=events,
            global_chain=str(document["global_chain"]),
            heads=heads,
            created_at=datetime.datetime.fromisoformat(document["created_at"]),
            key_id=str(document["key_id"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, CheckpointInvalid):
            raise
        raise CheckpointInvalid(f"it is not a well-formed checkpoint ({error})") from None


def verified(document: Any, signature: Any, key: Ed25519PublicKey) -> SignedCheckpoint:
    """The signed checkpoint, once its signature verifies with `key`; else CheckpointInvalid."""
    checkpoint = parse_document(document)
    trusted = key_id(key)
    if checkpoint.key_id != trusted:
        raise CheckpointInvalid(
            f"it is signed by key {checkpoint.key_id[:16]}…, not by the trusted checkpoint key "
            f"{trusted[:16]}…"
        )
    try:
        raw = base64.b64decode(str(signature), validate=True)
        key.verify(raw, canonical_json(document).encode("utf-8"))
    except (InvalidSignature, ValueError):
        raise CheckpointInvalid(
            f"its signature does not verify with the trusted checkpoint key {trusted[:16]}…: "
            "it was altered after signing, or signed by another key"
        ) from None
    return SignedCheckpoint(checkpoint, str(signature))


# -- making and keeping them -----------------------------------------------------------------


def walk_to(conn: Connection, upto: int, start: Checkpoint | None = None) -> ChainWalk:
    """The chain walked from `start` (or the beginning) to position `upto`."""
    walk = ChainWalk()
    if start is not None:
        walk = ChainWalk(start.position, start.events, start.global_chain, dict(start.heads))
    for row in log_rows(conn, walk.position, upto):
        walk.take(*row)
    return walk


def make_checkpoint(
    engine: Engine,
    key: Ed25519PrivateKey,
    now: datetime.datetime,
    *,
    start: Checkpoint | None = None,
) -> SignedCheckpoint:
    """Sign the log as it stands: from `start`, a checkpoint this key signed, when given.

    Positions commit in order (activities/eventstore.py), so every event up to the highest
    committed position is there to be read.
    """
    with engine.connect() as conn:
        upto = int(conn.execute(sa.select(sa.func.max(events_table.c.position))).scalar() or 0)
        if start is not None and start.position > upto:
            start = None  # the log is shorter than the checkpoint: walk it all, say what is
        walk = walk_to(conn, upto, start)
    checkpoint = Checkpoint(
        position=walk.position if walk.events else upto,
        events=walk.events,
        global_chain=walk.value,
        heads=walk.heads,
        created_at=now,
        key_id=key_id(key.public_key()),
    )
    return sign(checkpoint, key)


def store(engine: Engine, signed: SignedCheckpoint) -> bool:
    """Keep `signed` in the checkpoints table; False when one at its position is already kept."""
    checkpoint = signed.checkpoint
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.insert(checkpoints_table).values(
                    position=checkpoint.position,
                    created_at=checkpoint.created_at,
                    key_id=checkpoint.key_id,
                    document=signed.text,
                    signature=signed.signature,
                )
            )
    except sa.exc.IntegrityError:
        return False  # another worker signed the same position first
    return True


def kept(engine: Engine, key: Ed25519PublicKey) -> tuple[list[SignedCheckpoint], list[str]]:
    """The table's checkpoints that verify with `key`, oldest first, and why the others fail."""
    good: list[SignedCheckpoint] = []
    bad: list[str] = []
    with engine.connect() as conn:
        rows = conn.execute(sa.select(checkpoints_table).order_by(checkpoints_table.c.position))
        for row in rows:
            try:
                good.append(verified(json.loads(row.document), row.signature, key))
            except (CheckpointInvalid, json.JSONDecodeError) as error:
                bad.append(f"the checkpoint kept at position {row.position}: {error}")
    return good, bad


def latest_kept(engine: Engine, key: Ed25519PublicKey) -> Checkpoint | None:
    """The newest checkpoint in the table that `key` signed, or None."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(checkpoints_table)
            .where(checkpoints_table.c.key_id == key_id(key))
            .order_by(checkpoints_table.c.position.desc())
            .limit(10)
        )
        for row in rows:
            try:
                return verified(json.loads(row.document), row.signature, key).checkpoint
            except (CheckpointInvalid, json.JSONDecodeError):
                continue  # a row an insider forged: never build on it
    return None


class Checkpointer:
    """The worker's side: a checkpoint after every `every` appends, built on its last one.

    Called after an append has committed, never inside it; a failure is logged and the next
    append tries again, so the record never depends on a checkpoint being made.
    """

    def __init__(
        self,
        engine: Engine,
        key: Callable[[], Ed25519PrivateKey],
        every: int,
        clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    ) -> None:
        self.engine = engine
        self.every = every
        self._key = key
        self._clock = clock
        self._lock = threading.Lock()
        self._since = 0
        self._last: Checkpoint | None = None

    def appended(self) -> SignedCheckpoint | None:
        """Count one committed append; sign a checkpoint when `every` have been counted."""
        if self.every <= 0:
            return None
        with self._lock:
            self._since += 1
            if self._since < self.every:
                return None
            self._since = 0
        try:
            return self.checkpoint()
        except Exception:
            log.exception(
                "the checkpoint after %d appends was not made; the next one retries", self.every
            )
            with self._lock:
                self._since = self.every - 1
            return None

    def checkpoint(self) -> SignedCheckpoint:
        """Sign and keep a checkpoint of the log now."""
        key = self._key()
        with self._lock:
            start = self._last
        if start is None:
            start = latest_kept(self.engine, key.public_key())
        signed = make_checkpoint(self.engine, key, self._clock(), start=start)
        store(self.engine, signed)
        with self._lock:
            if self._last is None or signed.checkpoint.position >= self._last.position:
                self._last = signed.checkpoint
        log.info(
            "signed checkpoint at position %d (%d streams)",
            signed.checkpoint.position,
            len(signed.checkpoint.heads),
        )
        return signed


# -- comparing the log with them -------------------------------------------------------------


@dataclass(frozen=True)
class AnchorReport:
    """How the log compares with a set of signed checkpoints."""

    checkpoints: int
    position: int
    uncovered: int
    breaks: tuple[ChainBreak, ...]
    global_break: str | None = None  # the first checkpoint whose global chain disagrees

    @property
    def ok(self) -> bool:
        """True when the log agrees with every checkpoint."""
        return not self.breaks and self.global_break is None

    @property
    def problems(self) -> list[str]:
        """Every disagreement in words: each stream's first, then the global chain's."""
        found = [str(problem) for problem in self.breaks]
        return found + ([self.global_break] if self.global_break else [])


def compare_with_log(conn: Connection, checkpoints: Iterable[Checkpoint]) -> AnchorReport:
    """Walk the log once in position order and compare it with each checkpoint at its position.

    Names, per stream, the first checkpoint's disagreement: a head at another version (events
    deleted at its end or added), a head with another hash (the stream's chain was rewritten,
    hashes recomputed), a stream missing (deleted whole) or one the checkpoint did not know;
    and the first checkpoint whose global chain differs (an event anywhere was changed,
    removed or inserted, or positions moved).
    """
    ordered: Sequence[Checkpoint] = sorted(checkpoints, key=lambda c: c.position)
    walk = ChainWalk()
    rows = log_rows(conn)
    pending = next(rows, None)
    breaks: dict[str, ChainBreak] = {}
    global_break: str | None = None
    for checkpoint in ordered:
        while pending is not None and pending[0] <= checkpoint.position:
            walk.take(*pending)
            pending = next(rows, None)
        for problem in _disagreements(walk, checkpoint):
            breaks.setdefault(problem.stream_id, problem)
        if global_break is None:
            global_break = _global_disagreement(walk, checkpoint)
    uncovered = 0
    while pending is not None:
        uncovered += 1
        pending = next(rows, None)
    return AnchorReport(
        checkpoints=len(ordered),
        position=ordered[-1].position if ordered else 0,
        uncovered=uncovered,
        breaks=tuple(breaks[sid] for sid in sorted(breaks)),
        global_break=global_break,
    )


def _disagreements(walk: ChainWalk, checkpoint: Checkpoint) -> list[ChainBreak]:
    at = f"the checkpoint signed at position {checkpoint.position}"
    found: list[ChainBreak] = []
    for sid, (version, head) in sorted(checkpoint.heads.items()):
        here = walk.heads.get(sid)
        if here is None:
            found.append(
                ChainBreak(sid, version, f"the stream is missing; {at} has it at version {version}")
            )
        elif here[0] != version:
            found.append(
                ChainBreak(
                    sid,
                    here[0] + 1 if here[0] < version else version,  # the first one missing
                    f"the log holds version {here[0]} up to position {checkpoint.position}, "
                    f"but {at} has version {version}",
                )
            )
        elif here[1] != head:
            found.append(
                ChainBreak(
                    sid,
                    version,
                    f"its hash is not the one {at} has: the chain up to version {version} was "
                    "rewritten",
                )
            )
    for sid in sorted(set(walk.heads) - set(checkpoint.heads)):
        found.append(
            ChainBreak(sid, walk.heads[sid][0], f"the stream is not in {at}: it was inserted")
        )
    return found


def _global_disagreement(walk: ChainWalk, checkpoint: Checkpoint) -> str | None:
    if walk.value == checkpoint.global_chain and walk.events == checkpoint.events:
        return None
    return (
        f"the global chain up to position {checkpoint.position}: the log holds {walk.events} "
        f"event(s) chaining to {walk.value[:16]}…, but the checkpoint signed there has "
        f"{checkpoint.events} chaining to {checkpoint.global_chain[:16]}…"
    )
