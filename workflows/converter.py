"""The contract's data converter: Pydantic JSON payloads, and refusals that say they are final.

The SDK turns any exception that is not already a Temporal failure into an `ApplicationError`
marked retryable. A payload that fails validation would then reach the caller as
`ValidationError` with `retryable: true`, although sending the same JSON again can never
succeed. This converter marks such refusals non-retryable and words them field by field.
"""

from __future__ import annotations

import dataclasses
from typing import Final

import pydantic
import temporalio.api.failure.v1
from pydantic_core import ErrorDetails
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError

from activities.failures import final_failure

# A hostile payload can carry thousands of bad fields; the first few say enough.
MAX_FIELD_ERRORS_SHOWN: Final = 10


def _closest_reading(title: str, problems: list[ErrorDetails]) -> tuple[str, list[ErrorDetails]]:
    # A union (a start, or a run's continuation) reports every member's errors; the member
    # with the fewest is what the sender meant, and its errors alone say what to fix.
    if not title.startswith("union[") or not all(p["loc"] for p in problems):
        return title, problems
    members: dict[str, list[ErrorDetails]] = {}
    for problem in problems:
        member, *rest = problem["loc"]
        members.setdefault(str(member), []).append({**problem, "loc": tuple(rest)})
    return min(members.items(), key=lambda item: len(item[1]))


def describe_validation_error(error: pydantic.ValidationError) -> str:
    """One line per bad field: where it is and what is allowed there (no echo of the input)."""
    title, problems = _closest_reading(
        error.title, error.errors(include_url=False, include_input=False)
    )
    lines = [
        f"{'.'.join(str(part) for part in problem['loc']) or 'payload'}: {problem['msg']}"
        for problem in problems[:MAX_FIELD_ERRORS_SHOWN]
    ]
    hidden = len(problems) - len(lines)
    if hidden > 0:
        lines.append(f"… and {hidden} more")
    return f"the {title} payload is not valid: " + "; ".join(lines)


def final_refusal(error: pydantic.ValidationError) -> ApplicationError:
    """The non-retryable failure a caller receives for a payload that fails validation."""
    return final_failure(describe_validation_error(error), "ValidationError")


class RefusalFailureConverter(DefaultFailureConverter):
    """The SDK's failure converter, with validation failures marked final."""

    def to_failure(
        self,
        exception: BaseException,
        payload_converter: PayloadConverter,
        failure: temporalio.api.failure.v1.Failure,
    ) -> None:
        """Convert `exception`, refusing a `pydantic.ValidationError` as non-retryable."""
        if isinstance(exception, pydantic.ValidationError):
            refusal = final_refusal(exception)
            refusal.__traceback__ = exception.__traceback__
            exception = refusal
        super().to_failure(exception, payload_converter, failure)


DATA_CONVERTER: Final[DataConverter] = dataclasses.replace(
    pydantic_data_converter, failure_converter_class=RefusalFailureConverter
)
"""Every worker's and client's converter: JSON through Pydantic, refusals final."""
