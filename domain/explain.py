"""Pydantic's refusals in words a person can act on: one short sentence per bad field.

Pydantic's own messages already say what is allowed ("Input should be 'launch' or
'do_not_launch'"); the noise around them (URLs, input reprs, error types) is dropped. Every
front door and the settings say a refusal of their input this way.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError


def _field_label(loc: tuple[int | str, ...], labels: Mapping[str, str]) -> str:
    names = [str(part) for part in loc if not isinstance(part, int)]
    if not names:
        return "the input"
    head = names[0]
    if head in labels:
        return labels[head]
    return ".".join(names)


def explain_validation_error(
    error: ValidationError, *, labels: Mapping[str, str] | None = None
) -> str:
    """A short sentence per problem, naming the field (by `labels[field]` when given)."""
    known = labels or {}
    lines: list[str] = []
    for problem in error.errors(include_url=False):
        label = _field_label(tuple(problem.get("loc", ())), known)
        message = str(problem.get("msg", "is invalid")).removeprefix("Value error, ")
        given = problem.get("input")
        shown = f" (given {given!r})" if isinstance(given, str | int | float) else ""
        lines.append(f"{label}: {message}{shown}")
    return "; ".join(lines) if lines else str(error)
