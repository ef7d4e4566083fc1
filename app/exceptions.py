"""The application core's typed errors: what went wrong, in words free of any front door.

Each front door maps these once (the CLI to exit codes and hints such as a command to run;
the HTTP API to statuses). Messages say what happened and what is allowed, never how to type
the fix.
"""

from __future__ import annotations


class AppError(Exception):
    """Root of the core's expected failures; `message` is shown to people as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class Rejected(AppError):
    """The domain (or the contract's validation) refused the step; nothing was recorded.

    `kind` is the domain error's type, e.g. `NotPermitted`, `WrongStage`, `ValidationError`.
    """

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class Ended(Rejected):
    """The country's partnership has ended; a new one may be proposed."""

    def __init__(self, country: str, stage: str | None) -> None:
        ended = f" ({stage})" if stage else ""
        super().__init__(
            f"the partnership with {country} has ended{ended}; nothing more can be done to it",
            kind="WrongStage",
        )
        self.country = country
        self.stage = stage


class NotFound(AppError):
    """No partnership of that country has been proposed (or recorded)."""

    def __init__(self, message: str, *, country: str) -> None:
        super().__init__(message)
        self.country = country


class AlreadyOpen(AppError):
    """A partnership with the country is open already; it may be proposed again after an end."""

    def __init__(self, country: str, workflow_id: str, stage: str | None) -> None:
        at = f" (stage {stage})" if stage else ""
        super().__init__(
            f"a partnership with {country} is already open{at}: workflow {workflow_id}. It can "
            "be proposed again only after it ends"
        )
        self.country = country
        self.workflow_id = workflow_id
        self.stage = stage


class Refused(AppError):
    """Temporal refused a request for a reason of its own (not the domain's)."""


class Unavailable(AppError):
    """Temporal, a worker or the database cannot serve the request now; retrying may help."""


class TemporalUnreachable(Unavailable):
    """The Temporal frontend cannot be reached."""

    def __init__(self, address: str, namespace: str, detail: str) -> None:
        super().__init__(f"cannot reach Temporal at {address} (namespace {namespace}): {detail}")
        self.address = address
        self.namespace = namespace
        self.detail = detail


class StillRecording(Unavailable):
    """A worker accepted the step but has not finished recording it; it will finish alone."""

    def __init__(self, country: str, update: str, waited_s: int, task_queue: str) -> None:
        super().__init__(
            f"{update} was accepted by the partnership with {country} but is still being "
            f"recorded after {waited_s} s; the worker on task queue {task_queue} keeps retrying "
            "until the event store answers"
        )
        self.country = country
        self.update = update


class NotAccepted(AppError):
    """No worker accepted the step (or answered) in time; nothing was recorded."""

    def __init__(self, task_queue: str, waited_s: int, update: str | None = None) -> None:
        waited = f"within {waited_s} s"
        if update is not None:
            waited += f", so {update} was not accepted and nothing has been recorded"
        super().__init__(f"no worker answered on task queue {task_queue} {waited}")
        self.task_queue = task_queue
        self.waited_s = waited_s
        self.update = update
