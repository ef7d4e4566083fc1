"""Typed domain errors: one root, one subclass per kind of rejection.

Each message says what was wrong and what is allowed, because it is shown verbatim to the
Commission official, Presidency official or Member State representative who tried the step.
"""

from __future__ import annotations


class DomainError(Exception):
    """Root of every rejection the domain makes; nothing is recorded when one is raised."""

    code: str = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidCountry(DomainError):
    """A code is not a country, or not the kind of country the step needs."""

    code = "invalid_country"


class NotAThirdCountry(InvalidCountry):
    """A Member State was given where a third country is needed."""

    code = "not_a_third_country"


class NotAMemberState(InvalidCountry):
    """A code that is not a Member State on the event's business date."""

    code = "not_a_member_state"


class NotPermitted(DomainError):
    """The actor's role may not issue this command."""

    code = "not_permitted"


class ForeignMemberState(NotPermitted):
    """A Member State representative acting for another Member State."""

    code = "foreign_member_state"


class WrongStage(DomainError):
    """The command is not possible at the partnership's current stage."""

    code = "wrong_stage"


class NotInterested(DomainError):
    """A Member State that did not declare interest was named for talks or signature."""

    code = "not_interested"


class InvalidDeadline(DomainError):
    """A deadline in the past, beyond the horizon (domain/bounds.py), or out of order."""

    code = "invalid_deadline"


class InvalidDate(DomainError):
    """A business date in the future, before the earliest business date (domain/bounds.py),
    or before an earlier step it depends on."""

    code = "invalid_date"


class InvalidInput(DomainError):
    """A field value that breaks a rule not captured by its type (e.g. an empty list)."""

    code = "invalid_input"


class DeadlineNotReached(DomainError):
    """A deadline-driven step tried before its deadline."""

    code = "deadline_not_reached"


class AlreadyStarted(DomainError):
    """A partnership was proposed twice in one stream."""

    code = "already_started"


class LimitReached(DomainError):
    """A step that would exceed one of a partnership's count caps (domain/bounds.py)."""

    code = "limit_reached"
