"""An auditor's check of the record, independent of this code base: standard library only.

Reproduces every event's hash, each stream's chain and head, and the global chain over positions
from the rows as stored, and compares them with signed checkpoints' values when given. It
imports nothing from the engine; README "Checking the record without this code" specifies the
encoding it implements.

    # SQLite: read the database file itself
    python tools/audit_chain.py --sqlite .data/partnerships.db
    # PostgreSQL: one JSON object per row from psql, then the stream heads the same way
    psql "$URL" -At -c "SELECT row_to_json(e) FROM events e ORDER BY position" > events.jsonl
    psql "$URL" -At -c "SELECT row_to_json(s) FROM streams s" > streams.jsonl
    python tools/audit_chain.py --events events.jsonl --streams streams.jsonl

With `--rfc8785` the payload and metadata are encoded by the `rfc8785` package (RFC 8785, the
JSON Canonicalization Scheme) instead, which gives the same bytes for every value the engine
writes. Exit status 0 when every hash is reproduced and every chain holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
Row = dict[str, Any]


def canonical(value: Any) -> str:
    """Sorted keys, no blanks, UTF-8 as is, integral numbers without a fraction."""
    return json.dumps(
        _integral(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral(item) for item in value]
    return value


def rfc8785_text(value: Any) -> str:
    """The RFC 8785 encoding, by the `rfc8785` package (pip install rfc8785)."""
    import rfc8785  # only when asked for: the default needs the standard library alone

    return rfc8785.dumps(_integral(value)).decode("utf-8")


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _utc(text: str) -> str:
    """The recorded time as hashed: UTC to the microsecond with its +00:00 offset."""
    moment = datetime.datetime.fromisoformat(str(text).replace(" ", "T"))
    if moment.tzinfo is None:  # SQLite keeps no offset; the store writes UTC
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds")


def event_hash(row: Row, encode: Callable[[Any], str] = canonical) -> str:
    """SHA-256 of: predecessor hash, header, payload, metadata, joined by line feeds."""
    header = canonical(
        [
            row["stream_id"],
            int(row["stream_version"]),
            str(uuid.UUID(str(row["event_id"]))),
            row["type"],
            int(row["schema_version"]),
            str(row["occurred_on"])[:10],
            _utc(row["recorded_at"]),
        ]
    )
    payload, metadata = encode(_document(row["payload"])), encode(_document(row["metadata"]))
    text = f"{row['prev_hash']}\n{header}\n{payload}\n{metadata}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def global_link(previous: str, position: int, hash_: str) -> str:
    """The global chain after the event at `position` with stream-chain hash `hash_`."""
    return hashlib.sha256(f"{previous}\n{position}\n{hash_}".encode()).hexdigest()


def audit(
    rows: Iterable[Row],
    heads: dict[str, tuple[int, str]] | None,
    checkpoints: list[Row],
    encode: Callable[[Any], str] = canonical,
) -> tuple[int, list[str]]:
    """How many hashes were reproduced, and every problem found."""
    problems: list[str] = []
    last: dict[str, tuple[int, str]] = {}
    chain, count, reproduced = GENESIS, 0, 0
    pending = sorted(checkpoints, key=lambda c: c["position"])
    for row in sorted(rows, key=lambda r: int(r["position"])):
        position = int(row["position"])
        while pending and pending[0]["position"] < position:
            problems += _against(pending.pop(0), count, chain, last)
        where = f"{row['stream_id']} version {row['stream_version']} (position {position})"
        version, previous = last.get(row["stream_id"], (0, GENESIS))
        if int(row["stream_version"]) != version + 1:
            problems.append(f"{where}: expected version {version + 1}")
        if row["prev_hash"] != previous:
            problems.append(f"{where}: does not link to its predecessor's hash")
        if event_hash(row, encode) == row["hash"]:
            reproduced += 1
        else:
            problems.append(f"{where}: its content does not match its hash")
        last[row["stream_id"]] = (int(row["stream_version"]), row["hash"])
        chain, count = global_link(chain, position, row["hash"]), count + 1
    for checkpoint in pending:
        problems += _against(checkpoint, count, chain, last)
    if heads is not None:
        for stream_id in sorted(set(heads) | set(last)):
            if heads.get(stream_id) != last.get(stream_id):
                problems.append(
                    f"{stream_id}: the recorded head {heads.get(stream_id)} is not where the "
                    f"log ends, {last.get(stream_id)}"
                )
    return reproduced, problems


def _against(
    checkpoint: Row, count: int, chain: str, last: dict[str, tuple[int, str]]
) -> list[str]:
    at = f"checkpoint at position {checkpoint['position']}"
    found = []
    if (checkpoint["events"], checkpoint["global_chain"]) != (count, chain):
        found.append(f"{at}: the log's global chain is not the one signed")
    signed = {sid: (version, head) for sid, version, head in checkpoint["streams"]}
    for stream_id in sorted(set(signed) | set(last)):
        if signed.get(stream_id) != last.get(stream_id):
            found.append(
                f"{at}: {stream_id} is at {last.get(stream_id)}, signed {signed.get(stream_id)}"
            )
    return found


def _json_lines(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _sqlite(path: Path) -> tuple[list[Row], dict[str, tuple[int, str]]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in connection.execute("SELECT * FROM events ORDER BY position")]
        heads = {
            r["stream_id"]: (r["version"], r["head_hash"])
            for r in connection.execute("SELECT * FROM streams")
        }
    finally:
        connection.close()
    return rows, heads


def main(argv: list[str] | None = None) -> int:
    """Run the audit the command line asks for; print what was found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--sqlite", type=Path, help="the SQLite database file")
    source.add_argument("--events", type=Path, help="JSON lines, one row of `events` each")
    parser.add_argument("--streams", type=Path, help="JSON lines, one row of `streams` each")
    parser.add_argument("--checkpoints", type=Path, help="an exported checkpoint file")
    parser.add_argument("--rfc8785", action="store_true", help="encode with the rfc8785 package")
    args = parser.parse_args(argv)
    heads: dict[str, tuple[int, str]] | None = None
    if args.sqlite is not None:
        rows, heads = _sqlite(args.sqlite)
    else:
        rows = list(_json_lines(args.events))
        if args.streams is not None:
            heads = {
                r["stream_id"]: (int(r["version"]), r["head_hash"])
                for r in _json_lines(args.streams)
            }
    checkpoints = (
        [entry["checkpoint"] for entry in _json_lines(args.checkpoints)] if args.checkpoints else []
    )
    encode = rfc8785_text if args.rfc8785 else canonical
    reproduced, problems = audit(rows, heads, checkpoints, encode)
    for problem in problems:
        print(f"BROKEN {problem}")
    print(
        f"{reproduced} of {len(rows)} hash(es) reproduced, {len(checkpoints)} checkpoint(s) "
        f"compared, {len(problems)} problem(s)"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
