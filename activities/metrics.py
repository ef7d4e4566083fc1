"""The application's own Prometheus metrics that count events as they happen.

They live in prometheus_client's default registry, so one exposition (the worker's and the
API's `/metrics`) carries them with the process's own metrics. Counts taken from the database
at scrape time (outbox, deliveries, stages, projection lag) are in activities/operator_gauges.py.

Every metric is named `partnerships_…`, so it never collides with the Temporal SDK's
`temporal_…` metrics served beside it. Labels take a few fixed values only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from prometheus_client import Counter, Histogram, disable_created_metrics

from activities.store_errors import ConcurrencyError, EventIdConflict, InvalidAppend

APPEND_OUTCOMES: Final = ("recorded", "duplicate", "conflict", "refused", "error")
"""How an append ends: new events recorded; a retry that recorded nothing again; another writer
got there first (expected version); refused for good (bad ids or content); anything else."""

# No `_created` series beside each counter and histogram: nothing here reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

APPENDS = Counter(
    "partnerships_appends",
    "Appends of a partnership's events to the event store, by outcome",
    ["outcome"],
)
APPEND_SECONDS = Histogram(
    "partnerships_append_duration_seconds",
    "How long an append to the event store took, read models included, whatever its outcome",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ATTESTATION_REFUSALS = Counter(
    "partnerships_attestation_refusals",
    "Starts and steps refused because the API did not attest them (Unattested)",
    ["kind"],
)

for _outcome in APPEND_OUTCOMES:  # every series exists from the start, at 0
    APPENDS.labels(outcome=_outcome)
for _kind in ("start", "step"):
    ATTESTATION_REFUSALS.labels(kind=_kind)


def _failure_outcome(error: BaseException) -> str:
    if isinstance(error, ConcurrencyError):
        return "conflict"
    if isinstance(error, EventIdConflict | InvalidAppend):
        return "refused"
    return "error"


@contextmanager
def observed_append() -> Iterator[Callable[[bool], None]]:
    """Count one append and time it; call the yielded function with `duplicate` on success.

    An exception counts the append by its kind and passes on unchanged.
    """
    outcome: list[str] = []
    started = time.perf_counter()
    try:
        yield lambda duplicate: outcome.append("duplicate" if duplicate else "recorded")
    except BaseException as error:
        outcome.append(_failure_outcome(error))
        raise
    finally:
        APPEND_SECONDS.observe(time.perf_counter() - started)
        APPENDS.labels(outcome=outcome[-1] if outcome else "error").inc()


def count_attestation_refusal(kind: str) -> None:
    """Count a start (`start`) or step (`step`) refused as Unattested."""
    ATTESTATION_REFUSALS.labels(kind="start" if kind == "start" else "step").inc()
