"""Log lines that say what they are about: workflow id, run id, stream and request id.

The fields come from context variables, set where the work starts: the worker's activity
interceptor (app/activity_context.py) sets the workflow, run and stream of each activity; the
API's middleware (interfaces/api/request_ids.py) the request id. Workflow code logs through
`workflow.logger`, whose records carry the SDK's own `temporal_workflow` details, read here too.
Every line on the same thread or task then carries them, whichever module logged it.

LOG_FORMAT picks the shape: `json` (one object per line, for a log pipeline; the default in
production) or `text` (for a terminal; the default elsewhere), which appends the known fields
as `key=value`.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, Final

from settings import Settings

CONTEXT_FIELDS: Final = ("workflow_id", "run_id", "stream", "request_id", "activity")
"""The fields every line carries when known, in this order."""

_NONE: Final[Mapping[str, str]] = MappingProxyType({})
_fields: contextvars.ContextVar[Mapping[str, str]] = contextvars.ContextVar(
    "partnerships_log_fields", default=_NONE
)

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(message)s"


def current_fields() -> dict[str, str]:
    """The context fields known here (set by `bound`)."""
    return dict(_fields.get())


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    """Log lines within the block (and the tasks and threads it starts) carry `fields`."""
    known = {key: value for key, value in fields.items() if value}
    token = _fields.set({**_fields.get(), **known})
    try:
        yield
    finally:
        _fields.reset(token)


def record_fields(record: logging.LogRecord) -> dict[str, str]:
    """The context fields of `record`: the context variables, then the SDK's own details."""
    found = current_fields()
    workflow = getattr(record, "temporal_workflow", None)
    if isinstance(workflow, Mapping):
        found.setdefault("workflow_id", str(workflow.get("workflow_id", "")))
        found.setdefault("run_id", str(workflow.get("run_id", "")))
    activity = getattr(record, "temporal_activity", None)
    if isinstance(activity, Mapping):
        found.setdefault("workflow_id", str(activity.get("workflow_id", "")))
        found.setdefault("run_id", str(activity.get("workflow_run_id", "")))
        found.setdefault("activity", str(activity.get("activity_type", "")))
    return {key: found[key] for key in CONTEXT_FIELDS if found.get(key)}


def _trace_ids() -> dict[str, str]:
    """The current span's trace and span ids, when tracing is on and a span is recording."""
    try:
        from opentelemetry import trace
    except ImportError:  # pragma: no cover - a dependency; kept optional for the formatter
        return {}
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        line: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **record_fields(record),
            **_trace_ids(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The usual text line, followed by the known context fields as key=value."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        """The record as text, with its context."""
        text = super().format(record)
        fields = record_fields(record)
        if not fields:
            return text
        context = " ".join(f"{key}={value}" for key, value in fields.items())
        first, newline, rest = text.partition("\n")
        return f"{first} [{context}]{newline}{rest}"


def formatter_for(settings: Settings) -> logging.Formatter:
    """The formatter LOG_FORMAT (or the environment's default) asks for."""
    return JsonFormatter() if settings.logs_as_json else TextFormatter()


OWN_LOGGERS: Final = ("pilot-partnerships", "activities", "app", "workflows", "interfaces")
"""Our loggers, at INFO; libraries' only at WARNING."""


def configure_logging(settings: Settings, *, extra_info: tuple[str, ...] = ()) -> None:
    """One handler on the root logger, on stderr, in the format the settings ask for.

    Our own loggers (and `extra_info`, e.g. uvicorn's) log at INFO, the rest at WARNING.
    Replaces handlers an earlier call (or basicConfig) installed on the root.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(formatter_for(settings))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in (*OWN_LOGGERS, *extra_info):
        logging.getLogger(name).setLevel(logging.INFO)
